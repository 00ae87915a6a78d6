from pathlib import Path

import pytest

from nutgraf.errors import InputError
from nutgraf.ingest import Failed, IngestOptions, Loaded, load
from nutgraf.ingest.feeds import feed_documents
from nutgraf.ingest.fetch import Fetcher

FIXTURES = Path(__file__).parent / "fixtures"


def test_rss_with_full_content_needs_no_fetching():
    options = IngestOptions()  # private addresses refused: any fetch would fail
    with Fetcher(options) as fetcher:
        results = list(
            feed_documents(
                (FIXTURES / "feed-full.rss").read_bytes(), "feed-full.rss", options, fetcher
            )
        )
    assert [type(r) for r in results] == [Loaded, Loaded]
    library = results[0].document
    assert results[0].origin == "https://ledger.example.org/news/library-hours"
    assert library.origin == results[0].origin
    assert library.title == "Library extends its opening hours"
    assert library.url == "https://ledger.example.org/news/library-hours"
    assert library.published == "2024-03-12T08:00:00+00:00"
    assert library.authors == ["Ines Duarte"]
    assert library.source == "The Riverside Ledger"
    paragraphs = library.text.split("\n\n")
    assert paragraphs[0].startswith("The central library will stay open until ten")
    assert "Weekdays: 9:00 to 22:00" in paragraphs
    assert paragraphs[-1] == "The library remains closed on Sundays and public holidays."


def test_atom_with_links_fetches_each_page(server, local):
    results = list(load([f"{server}/feed-links.atom"], local))
    orchard, station, missing = results
    assert isinstance(orchard, Loaded)
    assert orchard.origin == f"{server}/site/orchard.html"
    assert orchard.document.title == "Orchard growers expect an early harvest"
    assert orchard.document.text.startswith("Apple trees across the valley are in full bloom")
    assert orchard.document.authors == ["Lena Park"]  # from the feed
    assert orchard.document.published == "2024-03-15T07:45:00+00:00"
    assert orchard.document.source == "Valley Courier"
    assert isinstance(station, Loaded)
    assert station.document.authors == ["Sam Rivera"]  # the feed has none: the page's
    assert "glass roof over its two platforms" in station.document.text
    assert isinstance(missing, Failed)
    assert missing.reason == f"{server}/site/missing.html: HTTP 404 Not Found"


def test_links_not_fetched_when_turned_off(server):
    options = IngestOptions(allow_private=True, fetch_feed_links=False)
    results = list(load([f"{server}/feed-links.atom"], options))
    assert [r.document.text for r in results] == [
        "Warm weather has the valley's apple trees in bloom early.",
        "Work on the station roof starts next month.",
        "This link leads nowhere.",
    ]


def test_entry_without_link_is_named_by_its_place_in_the_feed():
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
    <item><title>No link</title><description>Short teaser.</description></item>
    <item><title>Nothing at all</title></item></channel></rss>"""
    options = IngestOptions()
    with Fetcher(options) as fetcher:
        first, second = feed_documents(feed, "local.rss", options, fetcher)
    assert first.origin == "local.rss#1" and first.document.text == "Short teaser."
    assert second.reason == "local.rss#2: entry has no text and no link to fetch"


def test_malformed_feed():
    options = IngestOptions()
    with Fetcher(options) as fetcher:
        with pytest.raises(InputError, match=r"^malformed feed \(.*mismatched tag\)$"):
            list(
                feed_documents(
                    (FIXTURES / "malformed.rss").read_bytes(), "malformed.rss", options, fetcher
                )
            )
        with pytest.raises(InputError, match="^feed has no entries$"):
            list(
                feed_documents(
                    b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>',
                    "q.rss",
                    options,
                    fetcher,
                )
            )


def test_relative_links_resolve_against_the_feed_url(server, local):
    (station,) = load([f"{server}/feed-relative.rss"], local)
    assert station.origin == f"{server}/site/station.html"
    assert "glass roof over its two platforms" in station.document.text
