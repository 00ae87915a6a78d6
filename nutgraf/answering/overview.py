"""Key points of an article: the overview answer ("What is this about?") and the "In short"
bullets of the explore panel.

Three sentences from different parts of the story: the lede, which news writing makes the
summary of the story, then the most central sentence of each later part (closest to the
article's mean sentence vector), so the bullets cover the story instead of rewording its
opening. Each bullet is the sentence itself without the connective that tied it to the one
before, so every word of it stands in the cited sentence.
"""

from __future__ import annotations

import numpy as np

from ..records import Article, Sentence
from .structures import Span, is_bullet, readable, strip_bullet

KEY_POINTS = 3
MIN_WORDS, MAX_WORDS = 8, 70  # shorter lines are headings or labels; longer ones are run-ons
NEAR_DUPLICATE = 0.8  # cosine above which two bullets say the same


def eligible(sentence: Sentence) -> bool:
    words = len(sentence.text.split())
    return (MIN_WORDS <= words <= MAX_WORDS and not is_bullet(sentence)
            and not sentence.text.rstrip().endswith("?")
            and sentence.text.rstrip()[-1:] in {".", "!", "”", '"', "’", ")"})


def key_points(article: Article, count: int = KEY_POINTS) -> list[Span]:
    """Up to ``count`` sentences in reading order, from different parts of the article."""
    candidates = [s for s in article.sentences if eligible(s)]
    if len(candidates) <= count:
        return [strip_bullet(s) for s in candidates]
    centrality = _centrality(article, candidates)
    parts = np.array_split(np.arange(len(candidates)), count)
    chosen: list[int] = [0]  # the lede
    for part in parts[1:]:
        ranked = sorted((int(i) for i in part), key=lambda i: -centrality[i])
        pick = next((i for i in ranked if not _repeats(article, candidates, i, chosen)), None)
        if pick is not None:
            chosen.append(pick)
    return [strip_bullet(candidates[i]) for i in sorted(chosen)]


def bullet_text(span: Span) -> str:
    return readable(span)


def _centrality(article: Article, candidates: list[Sentence]) -> np.ndarray:
    if article.embeddings is None:
        return np.zeros(len(candidates))  # without vectors: the first of each part
    vectors = article.embeddings[[s.index for s in candidates]]
    centre = article.embeddings.mean(axis=0)
    centre /= np.linalg.norm(centre) or 1.0
    return vectors @ centre


def _repeats(article: Article, candidates: list[Sentence], index: int, chosen: list[int]) -> bool:
    if article.embeddings is None:
        return False
    vector = article.embeddings[candidates[index].index]
    return any(float(vector @ article.embeddings[candidates[c].index]) >= NEAR_DUPLICATE for c in chosen)
