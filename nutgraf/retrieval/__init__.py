"""Finding the sentences that answer a question: embeddings, hybrid search, reindexing."""

from .embedder import MODEL_ID, Embedder, get_embedder
from .reindex import reindex
from .search import (
    MAX_QUERY_CHARS, Fusion, Passage, Retriever, SearchResult, recency_hint, validate_query,
)

__all__ = [
    "MAX_QUERY_CHARS", "MODEL_ID", "Embedder", "Fusion", "Passage", "Retriever", "SearchResult",
    "get_embedder", "recency_hint", "reindex", "validate_query",
]
