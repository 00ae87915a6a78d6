"""The demo site's HTML and the widget script, served by the real app."""

import re
from html import unescape

from nutgraf.records import Article, Sentence
from nutgraf.server import pages
from nutgraf.server.pages import blocks, long_date, web_url
from tests.server.live import ADMIN


def test_the_archive_links_every_article(client, articles):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for title, article_id in articles.items():
        assert f'href="/articles/{article_id}"' in page.text
        assert title in page.text


def test_the_archive_pages_through_older_stories(client, articles, monkeypatch):
    monkeypatch.setattr(pages, "ARCHIVE_PAGE", 1)
    first = client.get("/").text
    assert '<a rel="next" href="/?offset=1">Older stories</a>' in first and 'rel="prev"' not in first
    second = client.get("/", params={"offset": 1}).text
    assert '<a rel="prev" href="/?offset=0">Newer stories</a>' in second
    newest = client.get("/v1/articles", params={"limit": 2}).json()["articles"]
    assert f'href="/articles/{newest[1]["id"]}"' in second and f'href="/articles/{newest[0]["id"]}"' not in second


def test_an_article_page_marks_every_sentence_and_embeds_the_widget(client, library_id):
    article = client.get(f"/v1/articles/{library_id}").json()
    page = client.get(f"/articles/{library_id}")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert f'<div class="story-body" data-article="{library_id}">' in page.text
    spans = dict(re.findall(r'<span data-sentence="(\d+)">(.*?)</span>', page.text, re.S))
    assert {int(i): unescape(text) for i, text in spans.items()} == {
        s["index"]: s["text"] for s in article["sentences"]}
    assert f'<script src="/widget.js" data-article="{library_id}"></script>' in page.text
    assert "14 September 2024" in page.text and "By Lena Morrow" in page.text


def test_markup_in_an_article_is_escaped(client):
    hostile = {"title": "<script>alert('title')</script>Harbour news",
               "text": "The harbour <img src=x onerror=alert(1)> reopened on Monday.",
               "url": "javascript:alert(1)", "source": "<b>Gazette</b>"}
    article_id = client.post("/v1/articles", json=hostile, headers=ADMIN).json()["results"][0]["id"]
    page = client.get(f"/articles/{article_id}").text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<img" not in page and "<b>Gazette" not in page
    assert 'href="javascript:' not in page


def test_an_unknown_article_page_is_a_404_page(client):
    page = client.get("/articles/000000000000")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "No such article" in page.text


def test_the_widget_is_served_as_javascript(client):
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert 'customElements.define(TAG, NutgrafAsk)' in response.text
    assert "--nutgraf-accent" in response.text  # the documented theme properties


def test_the_widget_never_writes_untrusted_text_as_html():
    from nutgraf.server.pages import STATIC

    source = (STATIC / "widget.js").read_text()
    # One innerHTML assignment: the static template.
    assert re.findall(r"\.(innerHTML|outerHTML)\s*=\s*(\w+)", source) == [("innerHTML", "TEMPLATE")]
    assert "insertAdjacentHTML" not in source and "document.write" not in source


def test_paragraphs_lists_and_subheadings_are_told_apart():
    def sentence(index, paragraph, text):
        return Sentence(index, 0, len(text), paragraph, text)

    article = Article(id="a", text="", sentences=[
        sentence(0, 0, "The plan includes:"),
        sentence(1, 1, "a new deck"),
        sentence(2, 2, "solar lighting"),
        sentence(3, 3, "Work starts in May."),
        sentence(4, 3, "It ends in June."),
        sentence(5, 4, "Reaction from residents"),
        sentence(6, 5, "People welcomed it."),
    ])
    shape = [(b.kind, [[s.index for s in p] for p in b.paragraphs]) for b in blocks(article)]
    assert shape == [
        ("paragraph", [[0]]),
        ("list", [[1], [2]]),
        ("paragraph", [[3, 4]]),
        ("heading", [[5]]),
        ("paragraph", [[6]]),
    ]


def test_dates_read_as_a_news_page_writes_them():
    assert long_date("2024-09-14") == "14 September 2024"
    assert long_date("2024-09-04T08:30:00+00:00") == "4 September 2024"
    assert long_date("sometime") == "sometime"
    assert long_date(None) == ""


def test_only_reachable_web_addresses_become_links():
    assert web_url("https://news.example.org/a")
    assert not web_url("javascript:alert(1)")
    assert not web_url("https://samples.nutgraf.invalid/2025/a")
    assert not web_url(None)
