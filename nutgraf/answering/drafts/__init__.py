"""The read stage: from the question's kind and the evidence to a draft answer.

Three ways to read, tried in this order:
- the article's own structures, where the form of the question names one (the key points
  for "What is this about?", the speaker's words for "What did Zelensky say?", the title
  the story gives a person for "Who is Viktor Orban?"): ``article``;
- the language model, with the task of the question's kind (see ``prompts``): ``model``;
- without a model, the best retrieved sentence and, in it, the phrase of the asked-for type:
  ``search``.
Every point of a draft is words of the sentences it cites, except where it says so
(``Point.verbatim``): the check stage holds those to the cited text.

One question is the batch of one: questions the model reads on the same evidence with the
same task are read side by side, and the sentences they settle on are then read again on
their own, side by side too.
"""

from __future__ import annotations

from ...llm.base import LLM
from ...retrieval.embedder import Embedder
from ..evidence import EvidenceSet
from ..kinds import Asked
from ..request import Request
from .article import from_structures
from .draft import Draft, Point, Source
from .model import check_sentences, read_with_model
from .search import from_search

__all__ = ["Draft", "Point", "Source", "article_drafts", "read_all"]


def article_drafts(requests: list[Request], asked: list[Asked], evidence: list[EvidenceSet],
                   embedder: Embedder | None, with_model: bool) -> list[Draft | None]:
    """The drafts read off the article's structures, None where the model (or the search) reads."""
    return [from_structures(r, a, e, embedder, with_model) for r, a, e in zip(requests, asked, evidence)]


def read_all(requests: list[Request], asked: list[Asked], evidence: list[EvidenceSet], llm: LLM | None,
             embedder: Embedder | None = None, drafts: list[Draft | None] | None = None) -> list[Draft]:
    """One draft per request; ``drafts`` are those :func:`article_drafts` gave, when it was asked first."""
    if drafts is None:
        drafts = article_drafts(requests, asked, evidence, embedder, llm is not None)
    if llm is None:
        return [d or from_search(r.resolved, a, e, r.article) for d, r, a, e in zip(drafts, requests, asked, evidence)]
    read_with_model(llm, requests, asked, evidence, drafts)
    check_sentences(llm, requests, evidence, drafts)
    return drafts
