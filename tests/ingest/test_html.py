from pathlib import Path

import pytest

from nutgraf.errors import InputError
from nutgraf.ingest.html import extract_article, html_fragment_text, split_authors

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def article():
    return extract_article((FIXTURES / "article.html").read_text(encoding="utf-8"))


def test_metadata(article):
    assert article.title == "Harbour council approves new ferry line"
    assert article.authors == ["Maria Okafor", "Tom Lindqvist"]
    assert article.published == "2024-03-14"
    assert article.source == "The Riverside Ledger"
    assert article.url == "https://ledger.example.org/news/harbour-ferry-line"


def test_body_is_paragraphs_without_page_chrome(article):
    paragraphs = article.text.split("\n\n")
    assert paragraphs[0].startswith("The harbour council voted on Wednesday")
    assert (
        paragraphs[-1]
        == "The first boat is expected to arrive from the shipyard in May, the council said."
    )
    for chrome in ("Subscribe", "Most read", "All rights reserved", "Privacy"):
        assert chrome not in article.text
    assert "Harbour council approves" not in article.text  # the headline is the title only


def test_list_items_and_quotes_are_paragraphs_of_their_own(article):
    paragraphs = article.text.split("\n\n")
    stops = [
        "the old docks near the fish market",
        "the north pier at Vessa",
        "a new landing at the university campus",
    ]
    start = paragraphs.index("The plan includes three stops:")
    assert paragraphs[start + 1 : start + 4] == stops
    assert "We will watch the first season closely and change the route if we must." in paragraphs


def test_page_with_no_article_text():
    with pytest.raises(InputError, match="^HTML with no article text$"):
        extract_article((FIXTURES / "no-article.html").read_text(encoding="utf-8"))


def test_site_name_is_dropped_from_the_page_title():
    html = (FIXTURES / "site" / "station.html").read_text(encoding="utf-8")
    html = html.replace("<h1>Rail station to get a new roof</h1>", "")
    document = extract_article(html, url="https://courier.example.org/station")
    assert document.title == "Rail station to get a new roof"


def test_fragment_keeps_every_block():
    html = (
        "<h2>Timeline</h2><p>First <b>bold</b> words<br>and a second line.</p>"
        "<ul><li>one</li><li>two <a href='/x'>linked</a></li></ul>"
        "<table><tr><th>Year</th><th>Boats</th></tr><tr><td>2024</td><td>2</td></tr></table>"
        "<script>track()</script><!-- note -->Closing words."
    )
    assert html_fragment_text(html).split("\n\n") == [
        "Timeline",
        "First bold words\nand a second line.",
        "one",
        "two linked",
        "Year | Boats",
        "2024 | 2",
        "Closing words.",
    ]


def test_split_authors():
    assert split_authors("Ana Silva; Dev Patel") == ["Ana Silva", "Dev Patel"]
    assert split_authors(None) == []
