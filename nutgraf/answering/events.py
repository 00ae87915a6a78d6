"""The events of an answer as it is made (``Nutgraf.ask_stream``, the SSE API), in order:
``evidence`` (the sentence retrieval ranks first, shown as "reading here" while the model
reads), ``delta`` (the checked answer's text; never withdrawn), then ``answer``."""

from __future__ import annotations

from typing import Literal, TypedDict, Union

from ..records import Answer


class EvidenceEvent(TypedDict):
    type: Literal["evidence"]
    citations: list[dict]


class DeltaEvent(TypedDict):
    type: Literal["delta"]
    text: str


class AnswerEvent(TypedDict):
    type: Literal["answer"]
    answer: Answer


Event = Union[EvidenceEvent, DeltaEvent, AnswerEvent]
