"""What the speed benchmarks share: the reader's questions of ``questions.json`` and the
articles they are asked about, ingested into a database of the benchmark's own."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from nutgraf import Nutgraf
from nutgraf.settings import Settings

from .. import harness
from ..ingest import cnn_documents, cnn_stories

QUESTIONS = Path(__file__).with_name("questions.json")
SAMPLE = "sample"


@dataclass(frozen=True)
class Question:
    story: str | int  # "sample", or the line of the CNN stories' file
    kind: str  # the form of answer it was written to want
    question: str


def questions(limit: int | None = None, stories: int | None = None) -> list[Question]:
    """The first ``limit`` questions on the sample and the first ``stories`` CNN stories."""
    listed = [Question(**q) for q in json.loads(QUESTIONS.read_text(encoding="utf-8"))["questions"]]
    story_order = list(dict.fromkeys(q.story for q in listed if q.story != SAMPLE))
    kept = set(story_order[:stories] if stories is not None else story_order) | {SAMPLE}
    return [q for q in listed if q.story in kept][:limit]


def ingest(db: Path, asked: list[Question], settings: Settings) -> dict[str | int, str]:
    """The sample article and the CNN stories the questions are about, ingested into ``db``
    without a model (preparing is the benchmark's to do or to leave): their ids by story."""
    nutgraf = Nutgraf(str(db), settings=settings.with_values(model="none"))
    ids: dict[str | int, str] = {}
    [sample] = nutgraf.ingest([str(harness.sample_article())])
    ids[SAMPLE] = sample.article_id
    lines = sorted({q.story for q in asked if q.story != SAMPLE})
    if lines:
        documents = cnn_documents(cnn_stories(settings), max(lines))
        for line in lines:
            [outcome] = nutgraf.ingest_documents([documents[line - 1]])
            ids[line] = outcome.article_id
    nutgraf.close()
    return ids

