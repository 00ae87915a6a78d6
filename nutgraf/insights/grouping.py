"""Near-identical reader questions grouped as they arrive: online average linkage on cosine.

A wording not seen before joins the group of its article, among those of a form it shares
(:func:`question_form`: "when", "where", "who", a yes-no question...), whose members it is
most similar to on average, when that average reaches :data:`SAME_QUESTION`; otherwise it
starts a group of its own. The form keeps apart what sentence embeddings put close
together: "When is the summit?" and "Where is the summit?" differ in one word. For unit vectors the average cosine similarity to a group's members is the dot
product with the mean of their vectors, so a group keeps only that mean and its size, and
placing a wording costs one dot product per group of its article. A wording is embedded
once, when it is first asked; asked again, it is found by its key (:func:`wording_key`).
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

# The average cosine similarity (MiniLM) from which two wordings are one question. Chosen on
# NewsQA's tune questions, where questions of one story about one answer span are the same
# question and questions about other spans are not (benchmarks/insights_grouping.py; the
# figures, on the report questions, are in BENCHMARKS.md, "Grouping reader questions").
SAME_QUESTION = 0.72
# A group's mean is kept as int8: each coordinate of a mean of unit vectors lies in [-1, 1],
# and steps of 1/127 move a similarity by well under 0.01 (384 bytes a group, not 1,536).
MEAN_SCALE = 127
QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})
# The question word that says what kind of thing is asked for, and its form.
QUESTION_WORDS = {"when": "when", "where": "where", "who": "who", "whom": "who", "whose": "who", "why": "why",
                  "what": "what", "which": "what", "how": "how"}
HOW = {"much": "how much", "many": "how much", "long": "how long", "old": "how old", "far": "how far"}
# "What share ...?" and "Number of voters?" ask how much, as "How much ...?" does.
AMOUNTS = frozenset("amount number share percentage proportion price cost".split())
# A question opening with one of these asks yes or no ("Is the summit confirmed?", "Isn't it?").
AUXILIARIES = frozenset("""is are was were am do does did will would can could should shall may might must
    has have had isn aren wasn weren don doesn didn won wouldn couldn shouldn hasn haven""".split())
# Forms that may ask for anything ("What day ...?" asks when): they join a group of any form.
OPEN_FORMS = frozenset({"what", "other"})
WORD = re.compile(r"[^\W_]+")


def question_form(question: str) -> str:
    """What the question asks for, as its question word says: "when", "where", "who", "why",
    "how", "how much", "how long", "how old", "how far", "yes-no", else "what" or "other"."""
    words = WORD.findall(question.casefold())
    if not words:
        return "other"
    if words[0] in AUXILIARIES:
        return "yes-no"
    if words[0] in AMOUNTS and words[1:2] == ["of"]:
        return "how much"
    for position, word in enumerate(words):
        if word in QUESTION_WORDS:
            form = QUESTION_WORDS[word]
            following = words[position + 1] if position + 1 < len(words) else ""
            if form == "how":
                return HOW.get(following, form)
            return "how much" if form == "what" and following in AMOUNTS else form
    return "other"


def same_form(one: str, other: str) -> bool:
    """Whether questions of these forms may ask the same thing."""
    return one == other or one in OPEN_FORMS or other in OPEN_FORMS


def wording_key(question: str) -> str:
    """What two wordings share when they are the same text: case, spacing, quote marks and
    the closing punctuation aside ("When is the vote?" and "when is the vote")."""
    text = unicodedata.normalize("NFKC", question).translate(QUOTES).casefold()
    return re.sub(r"\s+", " ", text).strip().rstrip("?!. ").strip()


def closest_group(vector: np.ndarray, means: np.ndarray, threshold: float = SAME_QUESTION) -> int | None:
    """The row of ``means`` whose group ``vector`` joins, or None when it starts one."""
    if len(means) == 0:
        return None
    similarity = means @ vector
    best = int(np.argmax(similarity))
    return best if similarity[best] >= threshold else None


def joined_mean(mean: np.ndarray, size: int, vector: np.ndarray) -> np.ndarray:
    return (mean * size + vector) / (size + 1)


def group_labels(questions: list[str], vectors: np.ndarray, threshold: float = SAME_QUESTION) -> list[int]:
    """The group of each of ``questions`` (in the order asked; ``vectors`` their unit rows),
    numbered from 0 in order of first appearance: what the question log does, in memory,
    means kept as int8 as the log keeps them."""
    means: list[np.ndarray] = []
    sizes: list[int] = []
    forms: list[str] = []
    labels = []
    for question, vector in zip(questions, vectors):
        form = question_form(question)
        candidates = [n for n, other in enumerate(forms) if same_form(form, other)]
        chosen = closest_group(vector, np.array([means[n] for n in candidates]).reshape(-1, len(vector)), threshold)
        if chosen is None:
            label = len(means)
            means.append(unpack_mean(pack_mean(vector)))
            sizes.append(1)
            forms.append(form)
        else:
            label = candidates[chosen]
            means[label] = unpack_mean(pack_mean(joined_mean(means[label], sizes[label], vector)))
            sizes[label] += 1
        labels.append(label)
    return labels


def pack_mean(mean: np.ndarray) -> bytes:
    return np.clip(np.rint(mean * MEAN_SCALE), -MEAN_SCALE, MEAN_SCALE).astype(np.int8).tobytes()


def unpack_mean(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.int8).astype(np.float32) / MEAN_SCALE
