"""Questions a reader asks of the sample article, and follow-up conversations on the sample
and demo articles, asked through the command line as a reader's tools would.

    python -m benchmarks.reader_questions                 # both sets
    python -m benchmarks.reader_questions --only questions --model qwen2.5-coder-1.5b

The sets are nutgraf's own (benchmarks/reader_questions/*.json). A question is answered
right when the answer (its line and its points) holds one of the expected words, or all of
them where the set says so; a yes/no question when the verdict is the expected one; an
overview when it has three cited points; a question the article does not answer when no
answer is given. Every answer goes to benchmarks/out/reader-questions.jsonl.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from nutgraf.settings import current

from . import harness

ROOT = harness.ROOT
SETS = ROOT / "benchmarks" / "reader_questions"
# The command line of this checkout, each call a process of its own as a reader's tool runs it;
# the settings not given on it come from the environment, as they would.
NUTGRAF = [sys.executable, "-m", "nutgraf.cli"]


def nutgraf(db: Path, *arguments: str) -> dict | list:
    result = subprocess.run([*NUTGRAF, "--db", str(db), *arguments, "--json"], capture_output=True, text=True,
                            cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"nutgraf {' '.join(arguments)} failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def ingest(db: Path, model: str, path: Path) -> str:
    """The article's id, ingested and prepared (read once) by the model that answers."""
    (outcome,) = nutgraf(db, "ingest", "--no-progress", "--model", model, str(path))
    return outcome["id"]


def ask(db: Path, model: str, article_id: str, question: str, conversation: str | None = None) -> dict:
    options = ["--conversation", conversation] if conversation else []
    started = time.perf_counter()
    answer = nutgraf(db, "ask", question, "--article", article_id, "--model", model, *options)
    answer["seconds"] = round(time.perf_counter() - started, 2)
    return answer


def right(expected: dict, answer: dict) -> bool:
    if expected.get("answerable", True) is False:
        return not answer["answerable"]
    if not answer["answerable"]:
        return False
    if "verdict" in expected:
        return answer.get("verdict") == expected["verdict"]
    if "points" in expected:
        return len(answer.get("points") or []) >= expected["points"]
    text = " ".join([answer["answer"] or ""] + [p["text"] for p in answer.get("points") or []]).lower()
    found = [word.lower() in text for word in expected["expect"]]
    return all(found) if expected.get("all") else any(found)


def questions(db: Path, model: str, limit: int | None, sink) -> None:
    spec = json.loads((SETS / "budapest-summit.json").read_text())
    article = ROOT / spec["article"]
    if not article.exists():
        print(f"skipped: {article} is absent")
        return
    article_id = ingest(db, model, article)
    by_kind: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    missed = []
    for item in spec["questions"][:limit]:
        answer = ask(db, model, article_id, item["question"])
        ok = right(item, answer)
        shown_wrong = answer["answerable"] and not ok  # a false answer shown, not an abstention
        by_kind[item["kind"]].append((ok, shown_wrong))
        sink.write(json.dumps({"set": "questions", **item, "right": ok, "got": answer}) + "\n")
        if not ok:
            missed.append(("WRONG" if shown_wrong else "withheld", item["question"], answer["kind"],
                           answer["answer"] or answer["note"]))
    print("| kind | questions | right | wrong shown |\n|---|---|---|---|")
    for kind, results in by_kind.items():
        print(f"| {kind} | {len(results)} | {sum(ok for ok, _ in results)} | {sum(w for _, w in results)} |")
    total = [result for results in by_kind.values() for result in results]
    right_count = sum(ok for ok, _ in total)
    print(f"| all | {len(total)} | {right_count} ({right_count / len(total):.0%}) | {sum(w for _, w in total)} |")
    for how, question, kind, said in missed:
        print(f"- {how}: {question} → [{kind}] {said}")


def conversations(db: Path, model: str, limit: int | None, sink) -> None:
    spec = json.loads((SETS / "conversations.json").read_text())
    chosen = [c for c in spec["conversations"] if (ROOT / spec["articles"][c["article"]]).exists()][:limit]
    ids = {name: ingest(db, model, ROOT / spec["articles"][name])
           for name in dict.fromkeys(c["article"] for c in chosen)}
    by_turn: dict[int, list[bool]] = defaultdict(list)
    for conversation in chosen:
        cid = None
        for number, turn in enumerate(conversation["turns"], start=1):
            answer = ask(db, model, ids[conversation["article"]], turn["question"], cid)
            cid = answer["conversation_id"]
            ok = right(turn, answer)
            by_turn[number].append(ok)
            sink.write(json.dumps({"set": "conversations", **turn, "turn": number, "right": ok,
                                   "got": answer}) + "\n")
            if not ok:
                print(f"- wrong, turn {number}: {turn['question']} ({answer.get('resolved_question')}) → "
                      f"{answer['answer'] or answer['note']}")
    print("| turn | questions | right |\n|---|---|---|")
    for number, results in sorted(by_turn.items()):
        print(f"| {number} | {len(results)} | {sum(results)} |")


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"model": harness.SMOKE_MODEL, "limit": 1})
    parser.add_model_option()
    parser.add_argument("--only", choices=["questions", "conversations"])
    parser.add_argument("--limit", type=int, help="the first N questions and N conversations")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    model = current().with_values(model=args.model).model
    rows = harness.out_dir(args) / "reader-questions.jsonl"
    with tempfile.TemporaryDirectory() as folder, rows.open("w") as sink:
        db = Path(folder) / "reader.db"
        if args.only in (None, "questions"):
            questions(db, model, args.limit, sink)
        if args.only in (None, "conversations"):
            conversations(db, model, args.limit, sink)


if __name__ == "__main__":
    harness.run(main)
