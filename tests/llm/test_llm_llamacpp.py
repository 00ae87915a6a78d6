import math
import os
import threading
from pathlib import Path

import pytest

from nutgraf.errors import InputError, ModelError
from nutgraf.llm import load_model, option_logprobs
from nutgraf.llm.llamacpp import LlamaCppModel, common_prefix, default_threads
from nutgraf.llm.prefix_cache import PrefixCache
from nutgraf.settings import Settings

YES_NO = 'root ::= "yes" | "no"'
HELLO = [{"role": "user", "content": "Write one sentence about the sea."}]


def test_complete_reports_the_reply_and_its_counts(smollm2: LlamaCppModel) -> None:
    completion = smollm2.complete(HELLO, max_tokens=24)
    assert completion.text.strip()
    assert completion.prompt_tokens > 5
    assert 0 < completion.completion_tokens == len(completion.tokens) <= 24
    assert completion.finish_reason in {"stop", "length"}
    assert completion.seconds >= completion.prompt_seconds > 0
    assert "".join(choice.token for choice in completion.tokens) == completion.text


def test_decoding_is_greedy_and_repeatable(smollm2: LlamaCppModel) -> None:
    first = smollm2.complete(HELLO, max_tokens=24)
    second = smollm2.complete(HELLO, max_tokens=24)
    assert second.text == first.text
    assert second.cached_prompt_tokens == second.prompt_tokens - 1


def test_max_tokens_bounds_the_reply(smollm2: LlamaCppModel) -> None:
    completion = smollm2.complete(HELLO, max_tokens=3)
    assert completion.completion_tokens == 3
    assert completion.finish_reason == "length"


def test_stream_pieces_join_to_the_completion(smollm2: LlamaCppModel) -> None:
    pieces = list(smollm2.stream(HELLO, max_tokens=24))
    assert len(pieces) > 1
    assert "".join(pieces) == smollm2.complete(HELLO, max_tokens=24).text


def test_stop_strings_cut_the_reply_in_complete_and_stream(smollm2: LlamaCppModel) -> None:
    full = smollm2.complete(HELLO, max_tokens=24).text
    stop = full[len(full) // 2 : len(full) // 2 + 3]
    expected = full[: full.index(stop)]
    completion = smollm2.complete(HELLO, max_tokens=24, stop=[stop, "never appears"])
    assert completion.text == expected
    assert completion.finish_reason == "stop"
    assert "".join(smollm2.stream(HELLO, max_tokens=24, stop=[stop])) == expected


def test_a_grammar_constrains_the_reply(smollm2: LlamaCppModel) -> None:
    question = [{"role": "user", "content": "Is Paris in France? Answer yes or no."}]
    for _ in range(2):  # the second use takes the compiled grammar from the cache
        assert smollm2.complete(question, max_tokens=8, grammar=YES_NO).text in {"yes", "no"}
    digits = smollm2.complete(HELLO, max_tokens=8, grammar="root ::= [1-3] [1-3]")
    assert len(digits.text) == 2 and set(digits.text) <= {"1", "2", "3"}
    assert "".join(smollm2.stream(question, max_tokens=8, grammar=YES_NO)) in {"yes", "no"}


def test_an_invalid_grammar_is_an_input_error(smollm2: LlamaCppModel) -> None:
    with pytest.raises(InputError, match="grammar"):
        smollm2.complete(HELLO, grammar="root ::= (")


def test_top_logprobs_are_sorted_alternatives(smollm2: LlamaCppModel) -> None:
    completion = smollm2.complete(HELLO, max_tokens=6, top_logprobs=5)
    for choice in completion.tokens:
        values = list(choice.top.values())
        assert len(values) == 5
        assert values == sorted(values, reverse=True)
        assert all(value <= 0 for value in values)
        assert sum(math.exp(value) for value in values) <= 1.0001
        # Greedy: the chosen token is the most likely one.
        assert choice.logprob == pytest.approx(values[0])
        assert choice.token in choice.top


def test_option_logprobs_reads_the_first_step(smollm2: LlamaCppModel) -> None:
    question = [{"role": "user", "content": "Is Paris in France? Answer yes or no."}]
    scores = option_logprobs(smollm2, question, ["yes", "no"])
    assert set(scores) == {"yes", "no"}
    assert all(-50 < value <= 0 for value in scores.values())
    assert math.exp(scores["yes"]) + math.exp(scores["no"]) <= 1.0001


@pytest.mark.slow
def test_a_shared_article_prefix_is_not_read_twice(
    smollm2: LlamaCppModel, ask, bridge_article: str
) -> None:
    first = smollm2.complete(ask(bridge_article, "Who cut the ribbon?"), max_tokens=16)
    second = smollm2.complete(ask(bridge_article, "How much did the repair cost?"), max_tokens=16)
    assert first.cached_prompt_tokens < second.cached_prompt_tokens
    assert second.cached_prompt_tokens > smollm2.count_tokens(bridge_article)


@pytest.mark.slow
def test_a_prompt_read_aside_leaves_the_article_read(smollm2_path: Path, ask, bridge_article: str) -> None:
    model = LlamaCppModel(smollm2_path, n_ctx=2048, n_threads=1)  # no saved states: nothing to restore
    bridge = article_prefix(bridge_article)
    first = model.complete(ask(bridge_article, "Who cut the ribbon?"), max_tokens=8, prefix=bridge)
    aside = model.complete(HELLO, max_tokens=8)  # a sentence read on its own, say
    again = model.complete(ask(bridge_article, "How much did the repair cost?"), max_tokens=8, prefix=bridge)
    assert first.cached_prompt_tokens == 0 and aside.cached_prompt_tokens == 0
    assert again.cached_prompt_tokens > model.count_tokens(bridge_article)
    assert model.complete(HELLO, max_tokens=8).text == aside.text  # and the aside prompt stays read too
    model.close()


def article_prefix(article: str) -> str:
    return f"Article:\n{article}"  # how the ``ask`` fixture's prompts start


@pytest.mark.slow
def test_alternating_articles_reuse_saved_states(
    smollm2_path: Path, ask, bridge_article: str, fire_article: str, tmp_path: Path
) -> None:
    cache = PrefixCache(tmp_path / "states")
    model = LlamaCppModel(smollm2_path, n_ctx=2048, n_threads=1, prefix_cache=cache)
    bridge, fire = article_prefix(bridge_article), article_prefix(fire_article)
    bridge_tokens = model.count_tokens(bridge_article)
    first = model.complete(ask(bridge_article, "Who cut the ribbon?"), max_tokens=8, prefix=bridge)
    assert first.cached_prompt_tokens == 0
    model.complete(ask(fire_article, "Was anyone hurt?"), max_tokens=8, prefix=fire)
    again = model.complete(ask(bridge_article, "How much did the repair cost?"), max_tokens=16, prefix=bridge)
    assert again.cached_prompt_tokens > model.count_tokens(bridge_article)
    back = model.complete(ask(fire_article, "How many maps were saved?"), max_tokens=16, prefix=fire)
    assert back.cached_prompt_tokens > model.count_tokens(fire_article)
    model.close()
    assert cache.usage().files == 2

    # A new model, as in another process, reads neither article again; without the saved
    # states it reads the prompt whole and answers the same.
    restored = LlamaCppModel(smollm2_path, n_ctx=2048, n_threads=1, prefix_cache=PrefixCache(tmp_path / "states"))
    warm = restored.complete(ask(bridge_article, "How much did the repair cost?"), max_tokens=16, prefix=bridge)
    restored.close()
    fresh = LlamaCppModel(smollm2_path, n_ctx=2048, n_threads=1)
    cold = fresh.complete(ask(bridge_article, "How much did the repair cost?"), max_tokens=16)
    fresh.close()
    assert warm.cached_prompt_tokens > bridge_tokens
    assert cold.cached_prompt_tokens == 0
    assert warm.text == cold.text == again.text


@pytest.mark.slow
def test_prompts_sharing_a_prefix_are_decoded_side_by_side_with_the_same_replies(
    smollm2: LlamaCppModel, ask, bridge_article: str
) -> None:
    questions = ["Who cut the ribbon?", "How much did the repair cost?", "When did the bridge open?"]
    prompts = [ask(bridge_article, question) for question in questions]
    prefix = article_prefix(bridge_article)
    alone = [smollm2.complete(messages, max_tokens=12, top_logprobs=3, prefix=prefix) for messages in prompts]
    together = smollm2.complete_many(prompts, prefix=prefix, max_tokens=12, top_logprobs=3)
    assert [c.text for c in together] == [c.text for c in alone]
    for one, other in zip(together, alone):
        assert [t.token for t in one.tokens] == [t.token for t in other.tokens]
        # Batched arithmetic rounds differently, so probabilities agree only roughly.
        assert [t.logprob for t in one.tokens] == pytest.approx([t.logprob for t in other.tokens], abs=0.5)
        assert one.cached_prompt_tokens > smollm2.count_tokens(bridge_article)
    grammar = 'root ::= "yes" | "no"'
    verdicts = smollm2.complete_many(prompts, prefix=prefix, max_tokens=4, grammar=grammar)
    assert all(c.text in {"yes", "no"} for c in verdicts)


def test_a_prompt_longer_than_the_context_is_refused(
    smollm2_path: Path, bridge_article: str
) -> None:
    model = LlamaCppModel(smollm2_path, n_ctx=256, n_threads=1)
    with pytest.raises(InputError, match="reads at most 256"):
        model.complete([{"role": "user", "content": bridge_article}])
    model.close()


@pytest.mark.slow
def test_concurrent_callers_get_the_replies_they_would_get_alone(
    smollm2: LlamaCppModel, ask, bridge_article: str, fire_article: str
) -> None:
    questions = [
        ask(bridge_article, "Who is Tomas Reyes?"),
        ask(fire_article, "Who is Lena Hoffmann?"),
    ]
    alone = [smollm2.complete(messages, max_tokens=12).text for messages in questions]
    together: dict[int, str] = {}

    def run(index: int) -> None:
        together[index] = smollm2.complete(questions[index], max_tokens=12).text

    threads = [threading.Thread(target=run, args=(index,)) for index in (0, 1, 0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [together[0], together[1]] == alone


def test_missing_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no model file"):
        LlamaCppModel(tmp_path / "absent.gguf")


def test_a_file_that_is_not_gguf_is_a_model_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"GGUF but not really" * 100)
    with pytest.raises(ModelError, match="cannot load"):
        LlamaCppModel(bogus)


def test_load_model_opens_each_spec_once(smollm2_path: Path, tmp_path: Path) -> None:
    settings = Settings(models_dir=smollm2_path.parent, state_dir=tmp_path / "states")
    model = load_model(str(smollm2_path), settings, n_ctx=1024)
    assert model is load_model(str(smollm2_path), settings, n_ctx=1024)
    assert isinstance(model, LlamaCppModel) and model.name == "smollm2-135m"
    packaged = load_model("smollm2-135m", settings, n_ctx=512)
    assert packaged.name == "smollm2-135m" and packaged.context_length == 512
    assert packaged is not model
    other_states = settings.with_values(state_dir=tmp_path / "other")
    assert load_model(str(smollm2_path), other_states, n_ctx=1024) is not model
    with pytest.raises(InputError, match="packaged model"):
        load_model("no-such-model")


def test_common_prefix() -> None:
    assert common_prefix([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix([1, 2], [1, 2, 3]) == 2
    assert common_prefix([], [1]) == 0


def test_default_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUTGRAF_LLM_THREADS", "3")  # read by the settings, never here
    assert default_threads() == len(os.sched_getaffinity(0))
    assert default_threads(3) == 3


@pytest.mark.slow
def test_each_prompt_of_a_batch_can_have_a_grammar_of_its_own(smollm2: LlamaCppModel, ask, bridge_article: str) -> None:
    prompts = [ask(bridge_article, "Was the bridge repaired?"), ask(bridge_article, "How much did it cost?")]
    replies = smollm2.complete_many(prompts, prefix=article_prefix(bridge_article), max_tokens=6,
                                    grammar=['root ::= "yes" | "no"', 'root ::= [1-9] [0-9]'])
    assert replies[0].text in {"yes", "no"} and len(replies[1].text) == 2 and replies[1].text.isdigit()
