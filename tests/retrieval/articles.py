"""The fixture articles: short invented news stories with sources and dates."""

import json
from pathlib import Path

from nutgraf.records import Document

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_documents() -> list[Document]:
    items = json.loads((FIXTURES / "articles.json").read_text())
    return [Document(origin=item["url"], **item) for item in items]
