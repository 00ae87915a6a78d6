"""How long the widget takes to find and highlight a cited sentence in a long page without
nutgraf markup, for each way it can be found (exactly, folded, by its edges, not at all).

    python -m benchmarks.widget_anchoring
    python -m benchmarks.widget_anchoring --paragraphs 300 --json

The page is generated (seeded): paragraphs of four sentences inside an <article>, each
sentence's words split across <em> and <a> elements, and the widget loaded from
nutgraf/server/static/widget.js into headless Chromium (/usr/bin/chromium). The time is that
of ``showAnswer`` with one citation, rendering included, median of the runs.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from . import harness

WIDGET = harness.ROOT / "nutgraf" / "server" / "static" / "widget.js"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's, as the browser tests use
WORDS = ("council river bridge summit minister said that the a of in on for with budget water "
         "plan route race city harbour ferry vote week report").split()
CITED = "The harbour authority said the new ferry terminal would open in the spring of next year."
# The sentence as a page might print it: other spacing and case; a little reworded.
FOLDED = "The  Harbour authority said the new ferry terminal would open in the spring of next year."
EDITED = "The harbor authority said that the new ferry terminal would open in spring next year."
ABSENT = "Nothing like this sentence appears anywhere in the text of the generated page at all."
SHOW = """text => {
  const widget = document.querySelector("nutgraf-ask");
  const answer = {question: "q", answer: "a", answerable: true, confidence: 1, citations: [
    {article_id: "bench", sentence_index: 0, start: 0, end: text.length, text}]};
  const started = performance.now();
  widget.showAnswer(answer);
  return [performance.now() - started, document.querySelectorAll("mark").length];
}"""


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 30))]
    words[2] = f"<em>{words[2]}</em>"
    words[5] = f'<a href="#">{words[5]}</a>'
    return " ".join(words).capitalize() + "."


def page(paragraphs: int, printed: str) -> str:
    rng = random.Random(7)
    body = [[sentence(rng) for _ in range(4)] for _ in range(paragraphs)]
    body[paragraphs * 9 // 10][2] = printed  # near the end: the whole text is searched first
    article = "".join(f"<p>{' '.join(p)}</p>" for p in body)
    return (f"<!doctype html><meta charset=utf-8><article>{article}</article>"
            "<nutgraf-ask article='bench' api='http://127.0.0.1:9/'></nutgraf-ask>")


def measure(paragraphs: int, runs: int) -> list[dict]:
    cases = [("exact", CITED, CITED), ("folded", FOLDED, CITED), ("edges", EDITED, CITED),
             ("absent", CITED, ABSENT)]
    results = []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as folder:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        for name, printed, cited in cases:
            path = Path(folder) / f"{name}.html"
            path.write_text(page(paragraphs, printed), encoding="utf-8")
            tab = browser.new_page()
            tab.goto(path.as_uri())
            tab.add_script_tag(path=str(WIDGET))
            timings, marks = [], 0
            for _ in range(runs):
                elapsed, marks = tab.evaluate(SHOW, cited)
                timings.append(elapsed)
            characters = tab.evaluate("document.querySelector('article').textContent.length")
            results.append({"case": name, "page_characters": characters, "found": marks > 0,
                            "median_ms": round(statistics.median(timings), 1),
                            "max_ms": round(max(timings), 1)})
            tab.close()
        browser.close()
    return results


def arguments() -> harness.Arguments:
    parser = harness.Arguments(__doc__, smoke={"paragraphs": 22, "runs": 2})
    parser.add_argument("--paragraphs", type=int, default=150)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    if not CHROMIUM.is_file():
        raise harness.Skip(f"no browser at {CHROMIUM} (scripts/test.sh installs Debian's chromium)")
    results = measure(args.paragraphs, args.runs)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'case':8} {'characters':>10} {'found':>6} {'median ms':>10} {'max ms':>8}")
    for r in results:
        print(f"{r['case']:8} {r['page_characters']:>10} {str(r['found']):>6} {r['median_ms']:>10} {r['max_ms']:>8}")


if __name__ == "__main__":
    harness.run(main)
