"""Drafts copied from the prompt: where they come from, and that a reply read with them is
the reply read without them, token for token and log-probability for log-probability."""

from pathlib import Path

import pytest

from nutgraf.answering import prompts
from nutgraf.llm.llamacpp import DRAFT_TOKENS, LlamaCppModel
from nutgraf.llm.prompt_lookup import PromptLookup
from nutgraf.records import Kind


def test_a_draft_is_what_followed_the_reply_s_ending_in_the_prompt() -> None:
    lookup = PromptLookup([5, 6, 7, 8, 9, 1, 2, 3])
    assert lookup.draft([4, 6, 7], 3) == [8, 9, 1]
    assert lookup.draft([6], 2) == [7, 8]
    assert lookup.draft([42], 3) == []
    assert lookup.draft([6, 7], 0) == []


def test_the_longest_ending_found_and_its_last_place_win() -> None:
    lookup = PromptLookup([1, 2, 10, 3, 2, 11, 1, 2, 12])
    assert lookup.draft([0, 1, 2], 1) == [12]  # "1 2" last stood before 12
    assert lookup.draft([3, 2], 1) == [11]  # "3 2" only before 11, though "2" is later before 12
    assert lookup.draft([9, 2, 13, 2], 1) == [13]  # the reply itself is looked in too


@pytest.fixture(scope="module")
def models(smollm2_path: Path):
    """The same model without drafts, with the default and with long drafts."""
    loaded = {count: LlamaCppModel(smollm2_path, n_ctx=2048, n_threads=1, draft_tokens=count)
              for count in (0, DRAFT_TOKENS, 6)}
    yield loaded
    for model in loaded.values():
        model.close()


def reading_prompt(article: str, task: str, question: str) -> list[dict[str, str]]:
    numbered = numbered_sentences(article)
    return [{"role": "system", "content": prompts.SYSTEM},
            {"role": "user", "content": f"{numbered}\n\n{task}\n\nQuestion: {question}"}]


def numbered_sentences(article: str) -> str:
    sentences = [s.strip() for s in article.replace("\n", " ").split(". ") if s.strip()]
    return "\n".join(f"[{n}] {s}" for n, s in enumerate(sentences, 1))


def same_replies(completions) -> None:
    first, *others = completions
    for other in others:
        assert other.text == first.text
        assert [(t.token, t.logprob, t.top) for t in other.tokens] == [(t.token, t.logprob, t.top) for t in first.tokens]
        assert other.finish_reason == first.finish_reason


@pytest.mark.slow
@pytest.mark.parametrize("kind", [Kind.PHRASE, Kind.EXPLANATION, Kind.LIST])
def test_the_reading_tasks_read_the_same_with_drafts(models, bridge_article: str, kind: Kind) -> None:
    task = prompts.TASKS[kind]
    for question in ("Who cut the ribbon?", "Why was the bridge closed?"):
        messages = reading_prompt(bridge_article, task.text, question)
        options = dict(max_tokens=task.max_tokens, stop=["\n\n"], grammar=task.grammar, top_logprobs=5)
        prefix = numbered_sentences(bridge_article)
        same_replies([m.complete_many([messages], prefix=prefix, **options)[0] for m in models.values()])
        same_replies([m.complete(messages, prefix=prefix, **options) for m in models.values()])


@pytest.mark.slow
def test_free_text_streams_the_same_with_drafts(models, ask, bridge_article: str, fire_article: str) -> None:
    for article, question in ((bridge_article, "Copy the sentence that says who cut the ribbon."),
                              (fire_article, "Copy the sentence about the maps, word for word.")):
        messages = ask(article, question)
        streamed = ["".join(m.stream(messages, max_tokens=40)) for m in models.values()]
        assert len(set(streamed)) == 1
        same_replies([m.complete(messages, max_tokens=40, stop=["."], top_logprobs=3) for m in models.values()])


@pytest.mark.slow
def test_a_reply_read_with_drafts_leaves_the_article_read_as_without(models, ask, bridge_article: str) -> None:
    first, second = ask(bridge_article, "Who cut the ribbon?"), ask(bridge_article, "Who paid for it?")
    for model in models.values():
        model.complete(first, max_tokens=24)
    same_replies([m.complete(second, max_tokens=24, top_logprobs=3) for m in models.values()])
    assert len({m.complete(first, max_tokens=24).cached_prompt_tokens for m in models.values()}) == 1
