from pathlib import Path

import pytest

from nutgraf.errors import InputError
from nutgraf.ingest.files import (
    iso_date,
    json_documents,
    jsonl_documents,
    markdown_document,
    text_document,
    title_from_name,
    without_trailing_chrome,
)
from nutgraf.ingest.results import Failed, Loaded

FIXTURES = Path(__file__).parent / "fixtures"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_text_with_a_heading_line():
    text = read("plain.txt")
    document = text_document(text, "plain.txt")
    assert document.title == "Town hall opens a repair café"
    assert document.text.startswith("The town hall will host")
    assert text.endswith(document.text + "\n")  # the body is kept as written


def test_text_whose_first_line_is_a_paragraph_keeps_it_and_titles_from_the_file_name():
    text = read("one-line-paragraphs.txt")
    document = text_document(text, "news/one-line-paragraphs.txt")
    assert document.title == "One line paragraphs"
    assert document.text == text.strip()


def test_short_first_line_of_one_line_paragraphs_is_a_heading():
    text = (
        "Water board limits use\n"
        "The board asked households to save water.\nFarmers get an allowance.\n"
    )
    document = text_document(text, "water.txt")
    assert document.title == "Water board limits use"
    assert document.text == "The board asked households to save water.\nFarmers get an allowance."


def test_first_line_of_a_wrapped_paragraph_is_not_a_heading():
    text = (
        "The council met on Monday and\nvoted on the budget.\n\nIt passed by\nnine votes to four.\n"
    )
    document = text_document(text, "budget.txt")
    assert document.title == "Budget"
    assert document.text == text.strip()


def test_front_matter():
    document = text_document(read("front-matter.txt"), "front-matter.txt")
    assert document.title == "Night buses return to the city centre"
    assert document.url == "https://ledger.example.org/news/night-buses"
    assert document.published == "2024-03-10"
    assert document.source == "The Riverside Ledger"
    assert document.authors == ["Maria Okafor", "Dev Patel"]
    # the heading line repeating the title is not kept as body text
    assert document.text.startswith("Night buses will run again")


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("title: [unclosed\n", "front matter is not valid YAML"),
        ("- a list\n- not fields\n", "front matter must be a set of fields"),
        ("published: someday soon\n", "unrecognised date 'someday soon'"),
    ],
)
def test_bad_front_matter(front, message):
    with pytest.raises(InputError, match=message):
        text_document(f"---\n{front}---\nBody text of the article.\n", "x.txt")


def test_markdown():
    document = markdown_document(read("article.md"), "article.md")
    assert document.title == "Museum reopens after two-year renovation"
    assert document.authors == ["Ana Silva"]
    assert document.published == "2024-02-28T14:00:00+00:00"
    paragraphs = document.text.split("\n\n")
    assert paragraphs[0] == (
        "The city museum reopened on Saturday after a renovation that cost 4 million euros "
        "and added a new wing for modern art."
    )
    assert "What changed" in paragraphs
    assert "a café on the top floor" in paragraphs
    assert (
        "Director Jonas Weber said that more than 2,000 visitors came on the first day. "
        "The queue reached the river at noon." in paragraphs
    )
    assert "We did not expect so many people on a rainy morning." in paragraphs
    assert "2 | Modern art" in paragraphs
    for markup in ("**", "](", "![", "# ", "`", "> "):
        assert markup not in document.text


def test_markdown_without_heading_takes_title_from_file_name():
    document = markdown_document("Just a paragraph of *news* text.\n", "notes/city-news.md")
    assert document.title == "City news"
    assert document.text == "Just a paragraph of news text."


def test_json_list():
    results = list(json_documents(read("articles.json"), "articles.json"))
    first, second, third = results
    assert isinstance(first, Loaded) and first.origin == "articles.json#1"
    assert first.document.title == "Port traffic grows for the third year"
    assert first.document.published == "2024-01-15T09:00:00+01:00"
    assert first.document.authors == ["Tom Lindqvist"]
    assert (
        first.document.text.split("\n\n")[1]
        == "Container volumes rose the most, while bulk cargo stayed flat."
    )
    assert isinstance(second, Loaded)
    assert second.document.text.split("\n\n") == [  # an HTML body becomes paragraphs
        "The youth choir of the river towns won the national choir prize in its category "
        "on Sunday.",
        "The choir sang three songs, one of them in the local dialect.",
    ]
    assert second.document.published == "2024-03-03"
    assert second.document.authors == ["Ines Duarte"]
    assert isinstance(third, Failed)
    assert (
        third.reason == "articles.json#3: no article text (a non-empty text, body or content field)"
    )


def test_json_single_object_and_bad_json():
    (only,) = json_documents('{"title": "T", "text": "Body."}', "one.json")
    assert isinstance(only, Loaded) and only.origin == "one.json"
    with pytest.raises(InputError, match="invalid JSON"):
        list(json_documents("{nope", "bad.json"))
    with pytest.raises(InputError, match="JSON must be an object or a list of objects"):
        list(json_documents('"a string"', "bad.json"))


def test_jsonl_bad_line_fails_alone():
    results = list(jsonl_documents(read("articles.jsonl"), "articles.jsonl"))
    assert [type(r) for r in results] == [Loaded, Failed, Loaded]
    assert results[1].origin == "articles.jsonl:2"
    assert results[1].reason.startswith("articles.jsonl:2: invalid JSON")
    assert results[2].origin == "articles.jsonl:3"
    assert results[2].document.authors == ["Lena Park", "Sam Rivera"]
    assert results[2].document.source == "Valley Courier"


def test_iso_date():
    assert iso_date("2024-03-10") == "2024-03-10"
    assert iso_date("March 3, 2024") == "2024-03-03"
    assert iso_date("2024-03-10T08:00:00Z") == "2024-03-10T08:00:00+00:00"
    assert iso_date(0) == "1970-01-01T00:00:00+00:00"
    assert iso_date(None) is None


def test_title_from_name():
    assert title_from_name("archive/budapest-summit.txt") == "Budapest summit"
    assert title_from_name("https://example.org/news/ferry_line.md?x=1") == "Ferry line"
    assert title_from_name("Mixed-Case.txt") == "Mixed Case"


def test_interface_lines_after_the_story_are_not_article_text():
    text = read("trailing-chrome.txt")
    document = text_document(text, "trailing-chrome.txt")
    assert document.text.endswith("The office expects the winter timetable to start in November.")
    assert "What passengers said" in document.text  # a subheading inside the story stays
    assert text.startswith(f"{document.title}\n\n{document.text}")  # offsets are unchanged


def test_interface_lines_after_a_markdown_story_go_and_its_list_stays():
    document = markdown_document(read("trailing-chrome.md"), "trailing-chrome.md")
    assert document.text.endswith("a library card\n\na reusable bag")
    assert "Why now" in document.text and "Share" not in document.text and "Ask me" not in document.text


@pytest.mark.parametrize("text", [
    "Minutes of the meeting\n\n- Budget approved\n- Bridge deferred\n",  # ends with a list
    "Road closed\nDiversion via Mill Lane\nReopens Friday\n",  # nothing but short lines
    "The council met.\n\n```\nvote: 7-2\n```\n",  # ends with code
])
def test_text_that_ends_in_structure_or_is_all_short_lines_is_kept_whole(text):
    assert without_trailing_chrome(text) == text
