"""An archive of CNN stories prepared under the kept states' cap: how many stay warm, what the
cap holds on disk, and the first answer on a story whose state went long ago.

    python -m benchmarks.archive                            # 1,000 stories, the default 4 GiB cap
    python -m benchmarks.archive --stories 12 --cap-mb 150  # the same, scaled down
    python -m benchmarks.archive --kv-type q8_0

Each story is ingested and read ahead in turn, as preparing does, into a state folder of its
own under ``--cap-mb`` (least recently used out first). Then a fresh model (nothing in memory)
answers one question on each of the ``--probe`` stories prepared first (evicted, when the
archive outgrew the cap) and on the ``--probe`` prepared last (still kept). Every story is
also counted in tokens, so the table says how many of all of them the cap would hold.
Results go to benchmarks/out/archive-<kv type>.json.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from nutgraf import Nutgraf
from nutgraf.answering.evidence import article_opening
from nutgraf.answering.prompts import PHRASE_TASK, messages_for
from nutgraf.llm import load_model
from nutgraf.llm.llamacpp import LlamaCppModel
from nutgraf.llm.prefix_cache import DEFAULT_CAPACITY, PrefixCache
from nutgraf.settings import current

from . import harness
from .ingest import cnn_documents, cnn_stories

QUESTION = "Who is this story about?"


def prompt_tokens(model: LlamaCppModel, nutgraf: Nutgraf, article_id: str) -> int:
    """The tokens of the article's prompt, as a kept state holds them."""
    evidence = article_opening(nutgraf.article(article_id))
    return len(model._prompt(messages_for(evidence, PHRASE_TASK), None)[0])


def first_answers(settings, db: Path, states: Path, cap: int, article_ids: list[str]) -> list[float]:
    """Seconds to the first answer on each article, from a model that holds nothing in memory."""
    reference = load_model(settings.model, settings)
    model = LlamaCppModel(reference.path, n_threads=reference.threads, kv_type=settings.kv_type,
                          prefix_cache=PrefixCache(states, cap, memory_bytes=0))
    nutgraf = Nutgraf(str(db), settings=settings, llm=model)
    seconds = []
    for article_id in article_ids:
        with harness.Stopwatch() as clock:
            nutgraf.ask(QUESTION, article_id=article_id)
        seconds.append(round(clock.seconds, 2))
    model.close()
    return seconds


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"model": harness.SMOKE_MODEL, "stories": 4, "cap_mb": 64,
                                               "probe": 1})
    parser.add_model_option()
    parser.add_argument("--stories", type=int, default=1000, help="CNN stories prepared (default 1,000)")
    parser.add_argument("--cap-mb", type=int, default=DEFAULT_CAPACITY >> 20, help="the kept states' cap")
    parser.add_argument("--kv-type", choices=("f16", "q8_0"), default="f16", help="the attention cache's numbers")
    parser.add_argument("--probe", type=int, default=5, help="first answers timed on evicted and on kept stories")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    load_before = harness.load_average()
    documents = cnn_documents(cnn_stories(current()), args.stories)
    with tempfile.TemporaryDirectory(prefix="nutgraf-archive-") as folder:
        states = Path(folder) / "states"
        settings = current().with_values(model=args.model, kv_type=args.kv_type, state_dir=states,
                                         state_cache_mb=args.cap_mb)
        db = Path(folder) / "archive.db"
        nutgraf = Nutgraf(str(db), settings=settings)
        model = nutgraf.answerer.llm
        ids, tokens = [], []
        with harness.Stopwatch() as preparing:
            for document in documents:
                [outcome] = nutgraf.ingest_documents([document])
                ids.append(outcome.article_id)
                tokens.append(prompt_tokens(model, nutgraf, outcome.article_id))
                nutgraf.read_ahead(outcome.article_id)
        usage = model.prefix_cache.usage()
        kept_tokens = sum(len(prefix) for _, prefix in model.prefix_cache.kept())
        bytes_per_token = usage.bytes / kept_tokens if kept_tokens else 0.0
        nutgraf.close()
        probe = min(args.probe, len(ids) // 2 or 1)
        cold = first_answers(settings, db, states, args.cap_mb << 20, ids[:probe])
        warm = first_answers(settings, db, states, args.cap_mb << 20, ids[-probe:])
    fits, total = 0, 0.0
    for count in sorted(tokens):  # the shortest first: the most stories the cap could hold
        total += count * bytes_per_token
        fits += bool(bytes_per_token) and total <= args.cap_mb << 20
    result = {"model": settings.model, "kv_type": args.kv_type, "stories": len(ids), "cap_mb": args.cap_mb,
              "kept_states": usage.files, "kept_bytes": usage.bytes,
              "bytes_per_token": round(bytes_per_token), "tokens_p50": statistics.median(tokens),
              "tokens_max": max(tokens), "would_fit": fits, "preparing_s": round(preparing.seconds, 1),
              "first_answer_evicted_s": cold, "first_answer_kept_s": warm,
              "load_before": load_before, "load_after": harness.load_average()}
    harness.write_json(harness.out_dir(args) / f"archive-{args.kv_type}.json", result)
    print(f"{settings.model}, kv {args.kv_type}; load {load_before} -> {result['load_after']}")
    print(harness.table(
        ["stories prepared", "cap", "states kept (warm)", "bytes on disk", "bytes a token", "prompt tokens p50 / max",
         "of all, the cap holds", "first answer, evicted p50", "first answer, kept p50"],
        [[len(ids), f"{args.cap_mb} MB", usage.files, f"{usage.bytes / 2**20:.1f} MB",
          f"{bytes_per_token / 1024:.1f} KB", f"{result['tokens_p50']:.0f} / {result['tokens_max']}",
          f"{fits} of {len(ids)}", f"{statistics.median(cold):.2f} s", f"{statistics.median(warm):.2f} s"]]))


if __name__ == "__main__":
    harness.run(main)
