"""The SQL of search on PostgreSQL: BM25 over ``tsvector``, cosine through pgvector, scopes."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...records import Scope

EXACT_SCOPE_ARTICLES = 50  # up to this many named articles, dense search is exact

# BM25 as SQLite's FTS5 computes it (k1 = 1.2, b = 0.75), over the tsvector column. Each
# reader's term becomes its own plainto_tsquery, so no text is ever parsed as query syntax.
# Document frequencies and the average length come from the matched sentences of the
# scope and the sentence count from the archive (see _sentence_count), so no search scans
# more than the sentences it ranks. A term counts once per sentence: within a sentence,
# repeats are rare, and the tune splits rank the same either way.
BM25_SQL = """
WITH terms AS (
    SELECT n, query FROM (
        SELECT n, plainto_tsquery('english', term) AS query
        FROM unnest(%s::text[]) WITH ORDINALITY AS t (term, n)
    ) parsed WHERE numnode(query) > 0
),
matched AS (
    SELECT s.article_id, s.idx, length(s.tsv) AS lexemes, t.n
    FROM sentences s JOIN terms t ON s.tsv @@ t.query WHERE {where}
),
frequency AS (SELECT n, count(*) AS df FROM matched GROUP BY n),
archive AS (SELECT %s::float8 AS sentences, (SELECT avg(lexemes) FROM matched) AS average_lexemes)
SELECT m.article_id, m.idx,
       sum(greatest(ln((greatest(a.sentences, f.df) - f.df + 0.5) / (f.df + 0.5)), 1e-6))
       * 2.2 / (1 + 1.2 * (0.25 + 0.75 * m.lexemes / a.average_lexemes)) AS score
FROM matched m JOIN frequency f USING (n) CROSS JOIN archive a
GROUP BY m.article_id, m.idx, m.lexemes, a.sentences, a.average_lexemes
ORDER BY score DESC, m.article_id, m.idx LIMIT %s
"""


def dense_query(vector: np.ndarray, scope: Scope, limit: int) -> tuple[str, list[Any]]:
    """The nearest sentences by cosine: exact within a few articles, through HNSW elsewhere."""
    dimensions = int(vector.shape[0])
    if scope.article_ids is not None and len(scope.article_ids) <= EXACT_SCOPE_ARTICLES:
        # Every sentence of a few articles is compared: an exact ranking, no index in the way.
        distance = "s.embedding <=> %s"
    else:
        # The shape of the partial expression index of this dimension, so HNSW serves it.
        distance = f"s.embedding::vector({dimensions}) <=> %s::vector({dimensions})"
    where, params = sentence_scope_sql(scope)
    sql = (f"SELECT s.article_id, s.idx, 1 - ({distance}) AS score FROM sentences s"
           f" WHERE vector_dims(s.embedding) = {dimensions} AND {where}"
           f" ORDER BY {distance} LIMIT %s")
    return sql, [vector, *params, vector, limit]


def scope_sql(scope: Scope | None, alias: str) -> tuple[str, list[Any]]:
    """A WHERE clause (over the articles table as ``alias``) for ``scope``."""
    if scope is None:
        return "TRUE", []
    clauses, params = [], []
    if scope.article_ids is not None:
        clauses.append(f"{alias}.id = ANY(%s)")
        params.append(list(scope.article_ids))
    if scope.source:
        clauses.append(f"{alias}.source = %s")
        params.append(scope.source)
    if scope.published_from:
        clauses.append(f"left({alias}.published, 10) >= %s")
        params.append(scope.published_from)
    if scope.published_to:
        clauses.append(f"left({alias}.published, 10) <= %s")
        params.append(scope.published_to)
    return " AND ".join(clauses) or "TRUE", params


def sentence_scope_sql(scope: Scope) -> tuple[str, list[Any]]:
    """A WHERE clause over sentences as ``s``; article ids filter directly, no join needed."""
    clauses, params = [], []
    if scope.article_ids is not None:
        clauses.append("s.article_id = ANY(%s)")
        params.append(list(scope.article_ids))
    filters = Scope(source=scope.source, published_from=scope.published_from,
                    published_to=scope.published_to)
    if filters != Scope():
        where, filter_params = scope_sql(filters, "a")
        clauses.append(f"s.article_id IN (SELECT a.id FROM articles a WHERE {where})")
        params += filter_params
    return " AND ".join(clauses) or "TRUE", params
