"""Loaders for the evaluation data: each question becomes an :class:`EvalItem`.

The data sets live outside the project (``../shared/eval`` next to the repository, or the
``eval_dir`` setting, which callers pass as ``folder``) and are only read here. Every loader
is deterministic: the same files give the same items in the same order, so ``--limit N``
always means the same N.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..records import Document
from ..settings import env_name
from .metrics import answer_parts

EVAL_DIR_ENV = env_name("eval_dir")
SPLITS = ("tune", "report")
NULL_ANSWER = "Insufficient information."  # MultiHop-RAG's gold for questions the corpus cannot answer


@dataclass
class EvalItem:
    id: str
    question: str
    documents: list[Document]  # the articles the question is asked about; empty: the whole archive
    answers: list[str]  # gold answers, any of which is right (empty when unanswerable)
    answerable: bool
    scoring: str  # "squad" (EM/F1), "rgb" (contains every part), "multihop" or "boolq" (yes/no)
    kind: str = ""  # the subset reported on its own: RGB's "positive"/"negative", MultiHop's query type
    parts: list[list[str]] = field(default_factory=list)  # RGB: each part needs one of its alternatives
    article_ids: list[str] | None = None  # set once the documents are ingested; None: archive-wide


@dataclass
class EvalSet:
    name: str  # also names the cached database of its articles
    items: list[EvalItem]
    archive: list[Document] | None = None  # the corpus of archive-wide questions

    @property
    def corpus(self) -> list[Document]:
        """Every article to ingest: the archive, or the documents the items ask about."""
        if self.archive is not None:
            return self.archive
        unique: dict[tuple[str | None, str], Document] = {}
        for item in self.items:
            for document in item.documents:
                unique.setdefault(document_key(document), document)
        return list(unique.values())

    def head(self, limit: int | None) -> EvalSet:
        """The first ``limit`` questions, with only the articles those questions need."""
        if limit is None:
            return self
        return replace(self, items=self.items[:limit])


def document_key(document: Document) -> tuple[str | None, str]:
    """What makes two documents one article: the same URL, else the same text."""
    return (document.url, "" if document.url else document.text)


# -- where the data is


def eval_dir(configured: Path | None = None) -> Path:
    """``configured`` (the ``eval_dir`` setting), else ``shared/eval`` next to the repository."""
    folder = configured if configured else Path(__file__).resolve().parents[2].parent / "shared" / "eval"
    if not folder.is_dir():
        raise InputError(f"no evaluation data at {folder}; set {EVAL_DIR_ENV} to the folder holding it")
    return folder


def _data_file(folder: Path | None, *parts: str) -> Path:
    path = eval_dir(folder).joinpath(*parts)
    if not path.is_file():
        raise InputError(f"evaluation file missing: {path}")
    return path


# -- SQuAD 2.0 and any file in its format


def squad_items(data: list[dict], origin: str) -> list[EvalItem]:
    """One item per question; each paragraph is one article titled after its Wikipedia page."""
    items = []
    try:
        for page in data:
            for number, paragraph in enumerate(page["paragraphs"]):
                document = Document(
                    text=paragraph["context"].strip(), title=page.get("title"),
                    origin=f"{origin}#{page.get('title', '')}/{number}",
                )
                for qa in paragraph["qas"]:
                    answers = [a["text"] for a in qa.get("answers", [])]
                    answerable = not qa.get("is_impossible", not answers)
                    items.append(EvalItem(
                        id=str(qa["id"]), question=qa["question"], documents=[document],
                        answers=answers if answerable else [], answerable=answerable, scoring="squad",
                        kind="HasAns" if answerable else "NoAns",
                    ))
    except (KeyError, TypeError) as error:
        raise InputError(f"{origin}: not SQuAD v2 JSON (missing or malformed {error})") from None
    return items


def load_squad_file(path: str | Path) -> EvalSet:
    """Every question of a SQuAD-v2-format file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    content = _read_json(path)
    data = content.get("data") if isinstance(content, dict) else None
    if not isinstance(data, list):
        raise InputError(f"{path}: not SQuAD v2 JSON (expected an object with a 'data' list)")
    return EvalSet(name=f"data-{path.stem}", items=squad_items(data, path.name))


def load_squad2(split: str, folder: Path | None = None) -> EvalSet:
    pages = _read_json(_data_file(folder, "squad2-dev", "dev-v2.0.json"))["data"]
    chosen = pages[0:8] if split == "tune" else pages[8:16]
    return EvalSet(name=f"squad2-{split}", items=squad_items(chosen, "dev-v2.0.json"))


# -- NewsQA


_BRACKETS = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}"}
_BRACKET_MARKERS = re.compile("|".join(_BRACKETS))  # also inside tokens: "-LRB-303-RRB-"
_ATTACH_LEFT = {",", ".", ";", ":", "?", "!", "%", ")", "]", "}", "...", "'"}
_ATTACH_RIGHT = {"(", "[", "{", "$", "#", "`"}
_CONTRACTIONS = {"n't", "'s", "'re", "'ve", "'ll", "'d", "'m"}
_SENTENCE_BREAKS = {"", ".", "?", "!", ":", ";", "--"}


def detokenize_ptb(text: str) -> str:
    """Readable text from Penn-Treebank tokens: brackets, quotes, contractions, punctuation.

    ``` `` ``` opens a double quote and ``''`` closes one, except that ``''`` with no quote
    open, at the start or after the end of a sentence, opens one: the tokenizer sometimes
    wrote it for an opening quote. An answer span cut from a story may also begin or end
    inside a quotation, so an unmatched ``''`` after a word still closes.
    """
    pieces: list[str] = []
    glue_next = True  # no space before the next token
    quote_open = False
    previous = ""
    for token in text.split():
        token = _BRACKET_MARKERS.sub(lambda marker: _BRACKETS[marker.group()], token)
        opens = token == "``" or (token == "''" and not quote_open and previous in _SENTENCE_BREAKS)
        if opens:
            pieces.append('"' if glue_next else ' "')
            glue_next, quote_open = True, True
        elif token == "''":
            pieces.append('"')
            glue_next, quote_open = False, False
        else:
            attach = glue_next or token in _ATTACH_LEFT or token.lower() in _CONTRACTIONS
            pieces.append(("" if attach else " ") + ("'" if token == "`" else token))
            glue_next = token in _ATTACH_RIGHT
        previous = token
    return "".join(pieces)


def load_newsqa(split: str, folder: Path | None = None) -> EvalSet:
    """Each distinct story is one article; every question is answerable."""
    name = "newsqa_indomain_utility.csv" if split == "tune" else "newsqa_blocklisted_utility.csv"
    stories: dict[str, Document] = {}
    items = []
    for number, row in enumerate(_read_csv(_data_file(folder, "newsqa", name))):
        text = detokenize_ptb(row["story_text"])
        document = stories.setdefault(text, Document(text=text, origin=f"{name}#story{len(stories)}"))
        items.append(EvalItem(
            id=f"newsqa-{split}-{number}", question=detokenize_ptb(row["question"]),
            documents=[document], answers=[detokenize_ptb(row["answer"])], answerable=True,
            scoring="squad", kind="HasAns",
        ))
    return EvalSet(name=f"newsqa-{split}", items=items)


# -- RGB


def load_rgb(split: str, folder: Path | None = None) -> EvalSet:
    """Two runs per query: its negative documents only (abstaining is right), then its positive ones."""
    wanted = range(0, 50) if split == "tune" else range(50, 100)
    items = []
    for row in _read_json_lines(_data_file(folder, "rgb", "en_fact.json")):
        if row["id"] not in wanted:
            continue
        parts = answer_parts(row["answer"])
        for kind, answerable in (("negative", False), ("positive", True)):
            documents = [
                Document(text=text.strip(), origin=f"en_fact.json#{row['id']}/{kind}/{n}")
                for n, text in enumerate(row[kind]) if text.strip()
            ]
            items.append(EvalItem(
                id=f"rgb-{row['id']}-{kind}", question=row["query"], documents=documents,
                answers=[a for part in parts for a in part] if answerable else [],
                answerable=answerable, scoring="rgb", kind=kind, parts=parts if answerable else [],
            ))
    return EvalSet(name=f"rgb-{split}", items=items)


# -- MultiHop-RAG


def load_multihop(split: str, folder: Path | None = None) -> EvalSet:
    """Archive-wide questions over articles rebuilt from the evidence facts of all 500 queries.

    MultiHop-RAG ships facts, not article bodies. The facts quoted from one URL are one
    article (its paragraphs in order of first use), so every source article appears once
    in the archive with its title, source, author and date.
    """
    queries = _read_json(_data_file(folder, "multihop-rag", "queries.json"))["queries"]
    truth = _read_json(_data_file(folder, "multihop-rag", "ground_truth.json"))
    chosen = queries[:250] if split == "tune" else queries[250:]
    items = []
    for query in chosen:
        gold = truth[query["id"]]["answer"]
        answerable = gold != NULL_ANSWER
        items.append(EvalItem(
            id=f"multihop-{query['id']}", question=query["question"], documents=[],
            answers=[gold] if answerable else [], answerable=answerable, scoring="multihop",
            kind=query["question_type"],
        ))
    return EvalSet(name=f"multihop-{split}", items=items, archive=_multihop_archive(queries, truth))


def _multihop_archive(queries: list[dict], truth: dict[str, dict]) -> list[Document]:
    facts: dict[str, list[str]] = {}
    first: dict[str, dict] = {}
    for query in queries:
        for evidence in truth[query["id"]]["evidence_list"]:
            url = evidence["url"]
            first.setdefault(url, evidence)
            paragraphs = facts.setdefault(url, [])
            if evidence["fact"] not in paragraphs:
                paragraphs.append(evidence["fact"])
    return [
        Document(
            text="\n\n".join(paragraphs), title=first[url]["title"], url=url,
            published=first[url]["published_at"], source=first[url]["source"],
            authors=[first[url]["author"]] if first[url].get("author") else [],
            origin=f"multihop-rag#{url}",
        )
        for url, paragraphs in facts.items()
    ]


# -- BoolQ


def load_boolq(split: str, folder: Path | None = None) -> EvalSet:
    """Yes/no questions on Wikipedia passages: lines 1-300 tune, 301-600 report.

    BoolQ writes questions lowercased without a question mark, as search queries; they are
    given a capital and a question mark, as a reader would type them.
    """
    rows = _read_json_lines(_data_file(folder, "boolq", "dev-600.jsonl"))
    chosen = rows[:300] if split == "tune" else rows[300:600]
    items = []
    for number, row in enumerate(chosen, start=1 if split == "tune" else 301):
        question = row["question"].strip()
        document = Document(text=row["passage"].strip(), title=row.get("title"), origin=f"boolq#{number}")
        items.append(EvalItem(
            id=f"boolq-{number}", question=question[:1].upper() + question[1:].rstrip("?") + "?",
            documents=[document], answers=["yes" if row["answer"] else "no"], answerable=True,
            scoring="boolq", kind="yes" if row["answer"] else "no",
        ))
    return EvalSet(name=f"boolq-{split}", items=items)


LOADERS: dict[str, Callable[[str, Path | None], EvalSet]] = {
    "squad2": load_squad2,
    "newsqa": load_newsqa,
    "rgb": load_rgb,
    "multihop": load_multihop,
    "boolq": load_boolq,
}


def load(dataset: str, split: str, folder: Path | None = None) -> EvalSet:
    """The ``split`` of ``dataset``, read from ``folder`` (see :func:`eval_dir`)."""
    if dataset not in LOADERS:
        raise InputError(f"unknown dataset {dataset!r}: choose one of {', '.join(LOADERS)}")
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}: choose tune or report")
    return LOADERS[dataset](split, folder)


# -- reading files


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read {path}: {error}") from None


def _read_json_lines(path: Path) -> list[dict]:
    try:
        with path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read {path}: {error}") from None


def _read_csv(path: Path) -> list[dict[str, str]]:
    csv.field_size_limit(1 << 24)  # stories are longer than csv's default field limit
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
