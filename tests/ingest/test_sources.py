from pathlib import Path

import pytest

from nutgraf.ingest import Failed, IngestOptions, Loaded, expand_inputs, load
from nutgraf.ingest.sources import sniff

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> str:
    return str(FIXTURES / name)


def results_by_origin(inputs, options=None):
    return {r.origin: r for r in load(inputs, options or IngestOptions())}


def test_expand_folder_recurses_to_supported_files_sorted(tmp_path):
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("a")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.txt").write_text("c")
    assert expand_inputs([str(tmp_path)]) == [
        str(tmp_path / "b.txt"),
        str(tmp_path / "sub" / "a.md"),
    ]


def test_expand_globs_urls_and_missing_paths():
    expanded = expand_inputs(
        [fixture("*.jsonl"), "https://example.org/feed.xml", "nowhere.txt", fixture("*.nothing")]
    )
    assert expanded == [
        fixture("articles.jsonl"),
        "https://example.org/feed.xml",
        "nowhere.txt",
        fixture("*.nothing"),
    ]


def test_expand_removes_repeats():
    assert expand_inputs([fixture("plain.txt"), fixture("plain.txt")]) == [fixture("plain.txt")]


def test_every_fixture_loads_or_fails_with_one_line():
    results = list(load([str(FIXTURES)], IngestOptions(fetch_feed_links=False)))
    for result in results:
        if isinstance(result, Failed):
            assert "\n" not in result.reason and result.reason.startswith(result.origin + ": ")
        else:
            assert result.document.text.strip() and result.document.origin == result.origin
    failed = {r.origin: r.reason.split(": ", 1)[1] for r in results if isinstance(r, Failed)}
    assert failed == {
        fixture("articles.json")
        + "#3": "no article text (a non-empty text, body or content field)",
        fixture("articles.jsonl")
        + ":2": "invalid JSON (unterminated string starting at: column 34)",
        fixture("binary.txt"): "binary file",
        fixture("blank.txt"): "empty file",
        fixture("empty.txt"): "empty file",
        fixture("malformed.rss"): "malformed feed (<unknown>:6:2: mismatched tag)",
        fixture("no-article.html"): "HTML with no article text",
    }


def test_each_format_from_files():
    results = results_by_origin(
        [
            fixture(n)
            for n in (
                "article.html",
                "plain.txt",
                "article.md",
                "cp1252.txt",
                "utf16.txt",
                "feed-full.rss",
            )
        ]
    )
    assert (
        results[fixture("article.html")].document.title == "Harbour council approves new ferry line"
    )
    assert results[fixture("plain.txt")].document.title == "Town hall opens a repair café"
    assert (
        results[fixture("article.md")].document.title == "Museum reopens after two-year renovation"
    )
    assert "Café Müller" in results[fixture("cp1252.txt")].document.text
    assert results[fixture("utf16.txt")].document.title == "Hospital opens a new children’s ward"
    assert "https://ledger.example.org/news/bridge-repairs" in results


def test_missing_files():
    results = results_by_origin(["nowhere/at-all.txt", "nowhere/*.txt"])
    assert results["nowhere/at-all.txt"].reason == "nowhere/at-all.txt: no such file or directory"
    assert results["nowhere/*.txt"].reason == "nowhere/*.txt: no files match"


def test_file_over_the_size_limit(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("Word " * 3000)
    (result,) = load([str(big)], IngestOptions(max_bytes=10_000))
    assert result.reason == f"{big}: file over the size limit (10 kB)"
    (default,) = load([str(big)])
    assert isinstance(default, Loaded)


def test_xml_file_kind_comes_from_content(tmp_path):
    feed = tmp_path / "news.xml"
    feed.write_bytes((FIXTURES / "feed-full.rss").read_bytes())
    page = tmp_path / "page.xml"
    page.write_bytes((FIXTURES / "article.html").read_bytes())
    results = list(load([str(feed), str(page)]))
    assert [r.origin for r in results] == [
        "https://ledger.example.org/news/library-hours",
        "https://ledger.example.org/news/bridge-repairs",
        str(page),
    ]


def test_url_kinds(server, local):
    urls = [
        f"{server}/article.html",
        f"{server}/plain.txt",
        f"{server}/article.md",
        f"{server}/articles.json",
        f"{server}/feed-as-html",  # a feed served as text/html is still a feed
        f"{server}/untyped/article.html",  # no useful media type: the content tells
        f"{server}/untyped/article.md",  # nor here: the extension does
        f"{server}/articles.jsonl",
    ]
    results = list(load(urls, local))
    origins = [r.origin for r in results]
    assert f"{server}/article.html" in origins
    article = next(r for r in results if r.origin == f"{server}/article.html")
    assert article.document.title == "Harbour council approves new ferry line"
    assert article.document.url == "https://ledger.example.org/news/harbour-ferry-line"
    plain = next(r for r in results if r.origin == f"{server}/plain.txt")
    assert plain.document.title == "Town hall opens a repair café"
    markdown = next(r for r in results if r.origin == f"{server}/article.md")
    assert "**" not in markdown.document.text
    assert f"{server}/articles.json#2" in origins and isinstance(
        results[origins.index(f"{server}/articles.json#3")], Failed
    )
    assert "https://ledger.example.org/news/library-hours" in origins
    untyped = results[origins.index(f"{server}/untyped/article.html")]
    assert untyped.document.title == "Harbour council approves new ferry line"
    untyped_md = results[origins.index(f"{server}/untyped/article.md")]
    assert untyped_md.document.title == "Museum reopens after two-year renovation"
    assert isinstance(results[origins.index(f"{server}/articles.jsonl:3")], Loaded)
    assert isinstance(results[origins.index(f"{server}/articles.jsonl:2")], Failed)


def test_bad_urls_fail_alone(server, local, closed_port):
    urls = [
        f"http://127.0.0.1:{closed_port}/gone",
        f"{server}/status/404",
        f"{server}/article.html",
        f"{server}/no-article.html",
        f"{server}/empty.txt",
        f"{server}/binary.txt",
    ]
    results = list(load(urls, local))
    assert [r.reason if isinstance(r, Failed) else "loaded" for r in results] == [
        f"http://127.0.0.1:{closed_port}/gone: could not connect to 127.0.0.1: connection refused",
        f"{server}/status/404: HTTP 404 Not Found",
        "loaded",
        f"{server}/no-article.html: HTML with no article text",
        f"{server}/empty.txt: empty file",
        f"{server}/binary.txt: binary file",
    ]


def test_private_address_refused_without_allow_private(server):
    (result,) = load([f"{server}/article.html"])
    assert result.reason == (
        f"{server}/article.html: 127.0.0.1 is a private or reserved address "
        "(pass --allow-private to allow)"
    )


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b'<?xml version="1.0"?>\n<!-- c -->\n<rss version="2.0">', "feed"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom">', "feed"),
        (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="x">', "feed"),
        (b"<!DOCTYPE html>\n<html>", "html"),
        (b"\xef\xbb\xbf  <html lang='en'>", "html"),
        (b'  {"title": "x"}', "json"),
        (b"Plain words.", None),
    ],
)
def test_sniff(head, kind):
    assert sniff(head) == kind
