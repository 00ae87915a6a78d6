import pytest

from nutgraf.api import Nutgraf
from nutgraf.errors import InputError, NotFound
from nutgraf.records import Document, Scope
from nutgraf.retrieval.embedder import get_embedder
from nutgraf.retrieval.search import Retriever, recency_hint

def test_question_finds_the_answering_sentence(retriever, ids):
    scope = Scope(article_ids=[ids["Leaders plan trade summit"]])
    results = retriever.search("Where will the summit take place?", scope, limit=3)
    assert "Lisbon" in results[0].text


def test_results_carry_exact_offsets_and_a_passage(archive, retriever, ids):
    article = archive.article(ids["Council approves new harbour bridge"])
    results = retriever.search("How much will the bridge cost?", Scope(article_ids=[article.id]))
    top = results[0]
    assert "40 million" in top.text
    assert article.text[top.start : top.end] == top.text
    assert top.passage.first_index == top.sentence_index - 1
    assert top.passage.last_index == top.sentence_index + 1
    assert top.text in top.passage.text
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_one_article_scope_stays_inside_it(retriever, ids):
    library = ids["Old library reopens"]
    results = retriever.search("interest rates", Scope(article_ids=[library]))
    assert results and {r.article_id for r in results} == {library}


def test_list_of_articles(retriever, ids):
    chosen = [ids["Old library reopens"], ids["Rovers win the cup final"]]
    results = retriever.search("Who scored the goals?", Scope(article_ids=chosen), limit=20)
    assert {r.article_id for r in results} <= set(chosen)
    assert results[0].article_id == ids["Rovers win the cup final"]


def test_whole_archive(retriever, ids):
    results = retriever.search("Who scored twice in the final?")
    assert results[0].article_id == ids["Rovers win the cup final"]
    assert "Ortiz" in results[0].text


def test_source_filter(retriever, ids):
    results = retriever.search("new bridge and library", Scope(source="Coastal Herald"), limit=20)
    assert {r.article_id for r in results} == {
        ids["Council approves new harbour bridge"], ids["Old library reopens"]
    }


def test_published_date_range(retriever, ids):
    scope = Scope(published_from="2024-05-01", published_to="2024-05-15")
    results = retriever.search("what happened", scope, limit=50)
    assert {r.article_id for r in results} == {
        ids["Leaders plan trade summit"], ids["Rovers win the cup final"]
    }


def test_recency_prefers_the_newer_article(retriever, ids):
    question = "Why did the central bank raise interest rates?"
    assert retriever.search(question)[0].article_id == ids["Central bank raises interest rates"]
    assert retriever.search(question, recency=1.0)[0].article_id == ids["Rates on hold"]


def test_lexical_only_without_an_embedder(archive, ids):
    results = Retriever(archive.store).search("fishermen slipway")
    assert results[0].article_id == ids["Council approves new harbour bridge"]


@pytest.mark.parametrize("query", ["", "   \n\t", "x" * 1001])
def test_unusable_query(retriever, query):
    with pytest.raises(InputError):
        retriever.search(query)


@pytest.mark.parametrize(
    "options",
    [{"limit": 0}, {"recency": 1.5}, {"scope": Scope(article_ids=[])},
     {"scope": Scope(published_from="last week")}],
)
def test_unusable_options(retriever, options):
    with pytest.raises(InputError):
        retriever.search("bridge", **options)


def test_unknown_article(retriever, ids):
    with pytest.raises(NotFound, match="no article"):
        retriever.search("bridge", Scope(article_ids=[ids["Old library reopens"], "000000000000"]))


def test_empty_archive(tmp_path):
    api = Nutgraf(str(tmp_path / "empty.db"))
    with pytest.raises(NotFound, match="empty"):
        Retriever(api.store, get_embedder()).search("anything at all")
    api.close()


def test_filter_matching_nothing_is_no_error(retriever):
    assert retriever.search("bridge", Scope(source="No Such Paper")) == []


def test_changed_article_is_not_served_from_the_cache(tmp_path):
    api = Nutgraf(str(tmp_path / "news.db"))
    url = "https://example.org/story"
    api.ingest_documents([Document("The ferry leaves at noon. Tickets cost five euros.", url=url)])
    retriever = Retriever(api.store, get_embedder())
    assert "noon" in retriever.search("When does the ferry leave?")[0].text
    api.ingest_documents([Document("Tickets cost six euros. The ferry leaves at dawn.", url=url)])
    top = retriever.search("When does the ferry leave?")[0]
    assert "dawn" in top.text and top.sentence_index == 1
    api.close()


def test_budapest_sentence_first_in_the_sample(tmp_path, sample_text):
    api = Nutgraf(str(tmp_path / "news.db"))
    [outcome] = api.ingest_documents([Document(sample_text, origin="budapest-summit.txt")])
    results = Retriever(api.store, get_embedder()).search(
        "Where will the summit take place?", Scope(article_ids=[outcome.article_id])
    )
    assert "take place in Budapest" in results[0].text
    api.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [("What is the latest on the summit?", 0.5), ("What happened this week?", 0.5),
     ("Where will the summit take place?", 0.0)],
)
def test_recency_hint(query, expected):
    assert recency_hint(query) == expected


@pytest.mark.parametrize("query", ['"bridge" AND (NOT cost*', "What is it?", "¿Dónde está el puente?"])
def test_odd_queries_still_rank(retriever, query):
    results = retriever.search(query, limit=3)
    assert len(results) == 3
