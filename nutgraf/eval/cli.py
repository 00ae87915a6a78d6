"""``nutgraf eval``: measure nutgraf on the evaluation data or on any SQuAD-v2-format file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import NutgrafError
from ..settings import Settings, current, help_text
from . import datasets, runner, trust


@click.group("eval")
@click.pass_context
def eval_group(ctx: click.Context) -> None:
    """Measure answer quality on evaluation data sets."""
    if ctx.find_object(Settings) is None:  # run on its own, not under `nutgraf`
        try:
            ctx.obj = current()
        except NutgrafError as error:
            raise click.ClickException(str(error)) from None


@eval_group.command("qa")
@click.option("--dataset", type=click.Choice(list(datasets.LOADERS)),
              help="A data set from the evaluation folder (../shared/eval or NUTGRAF_EVAL_DIR).")
@click.option("--split", type=click.Choice(datasets.SPLITS), default="tune", show_default=True,
              help="Tune on 'tune'; report figures from 'report'.")
@click.option("--data", "data_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Any SQuAD-v2-format JSON file instead of --dataset (all of its questions).")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N questions.")
@click.option("--predictions", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="Write one JSON line per question here.")
@click.option("--model", "-m", help=help_text("model"))
@click.option("--rebuild", is_flag=True, help="Ingest the articles again instead of reusing the cached database.")
@click.option("--no-read-ahead", is_flag=True,
              help="Do not have the model read each article before its questions (as preparing at ingest "
                   "does); question latencies then include reading the article.")
@click.option("--min-confidence", type=click.FloatRange(0, 1),
              help="Show answers from this confidence up instead of the risk setting's thresholds "
                   "(0 traces the whole risk-coverage curve).")
@click.option("--curve", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Draw the risk-coverage curve into this PNG file (and its points beside it, as .json).")
@click.option("--no-progress", is_flag=True, help="Hide the progress bars.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics summary as JSON.")
@click.pass_obj
def qa(settings: Settings, dataset: str | None, split: str, data_file: Path | None, limit: int | None,
       predictions: Path, model: str, rebuild: bool, no_read_ahead: bool, min_confidence: float | None,
       curve: Path | None, no_progress: bool, as_json: bool) -> None:
    """Ask every question of a data set and score the answers.

    The articles are ingested once into a database in the user cache dir and reused by
    later runs. Prints exact match and F1 (SQuAD, NewsQA), rejection rate and accuracy
    (RGB) or accuracy (MultiHop-RAG), with abstention rate, latency, citation validity
    and a confidence reliability table.

    \b
    Examples:
      nutgraf eval qa --dataset squad2 --split tune --limit 200 --predictions squad.jsonl
      nutgraf eval qa --data my-questions.json --predictions out.jsonl --json
    """
    try:
        summary = _evaluate(settings.with_values(model=model, min_confidence=min_confidence), dataset, split,
                            data_file, limit, predictions, rebuild, not no_progress, not no_read_ahead)
        if curve is not None:
            trust.write_curve(summary["trust"]["curve"], curve, f"{summary['dataset']}, {summary['model']}")
    except NutgrafError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(summary, indent=2) if as_json else format_summary(summary))


@eval_group.command("calibrate")
@click.option("--mode", type=click.Choice(["llm", "extractive"]), default="llm", show_default=True,
              help="Fit the calibrations of answers read by the model, or of answers without one.")
@click.option("--model", "-m", help=help_text("model"))
@click.option("--squad", type=click.IntRange(min=0), default=160, show_default=True, help="SQuAD 2.0 tune questions.")
@click.option("--newsqa", type=click.IntRange(min=0), default=120, show_default=True,
              help="NewsQA tune questions (every why/how/when/list one first).")
@click.option("--rgb", type=click.IntRange(min=0), default=60, show_default=True, help="RGB tune questions.")
@click.option("--boolq", type=click.IntRange(min=0), default=300, show_default=True,
              help="BoolQ tune questions, half of them asked of a passage that does not answer them.")
@click.option("--refit", is_flag=True, help="Fit again on the rows the last run kept, without asking anything.")
@click.option("--rows", "rows_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the rows are kept [default: calibration/ in the user cache directory].")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The calibration file to write [default: the one nutgraf reads, in its package].")
@click.pass_obj
def calibrate(settings: Settings, mode: str, model: str | None, squad: int, newsqa: int, rgb: int, boolq: int,
              refit: bool, rows_dir: Path | None, output: Path | None) -> None:
    """Fit the calibrated confidences and the risk curves on the tune splits.

    Every sampled tune question is answered through the same stages as a reader's; its
    signals and whether the answer was right are kept as a row. Each judge (phrase,
    sentence, evidence, verdict; extractive without a model) is fitted on its rows, and its
    risk curve says, for each threshold, how many of the answers it would show could be
    wrong: the risk setting picks the threshold from it. Takes about an hour with the
    default model on 2 cores; --refit takes seconds.
    """
    from . import calibrate as calibration_run

    try:
        reports = calibration_run.run({"squad2": squad, "newsqa": newsqa, "rgb": rgb, "boolq": boolq}, mode,
                                      settings.with_values(model=model), refit, rows_dir or calibration_run.rows_dir(),
                                      output or calibration_run.calibration_file(), lambda line: click.echo(line, err=True))
    except NutgrafError as error:
        raise click.ClickException(str(error)) from None
    from ..answering import calibration

    path = output or calibration_run.calibration_file()
    data = json.loads(path.read_text())
    for name, report in reports.items():
        judge = calibration.Calibration(**{k: data[name][k] for k in ("features", "weights", "bias")},
                                        risk_curve=[tuple(r) for r in data[name]["risk_curve"]])
        click.echo(calibration_run.format_report(name, judge, report))


def _evaluate(settings: Settings, dataset: str | None, split: str, data_file: Path | None, limit: int | None,
              predictions: Path, rebuild: bool, progress: bool, prepare: bool = True) -> dict[str, Any]:
    from ..api import Nutgraf  # loads everything nutgraf answers with; --help needs none of it

    if (dataset is None) == (data_file is None):
        raise click.UsageError("give either --dataset or --data")
    evalset = (datasets.load_squad_file(data_file) if data_file
               else datasets.load(dataset, split, settings.eval_dir)).head(limit)
    database = runner.cache_db(evalset.name)
    database.parent.mkdir(parents=True, exist_ok=True)
    if rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
    # Evaluation questions are not readers': they stay out of the question log.
    nutgraf = Nutgraf(str(database), settings=settings.with_values(question_log=False))
    try:
        items, failures = runner.ingest_corpus(nutgraf, evalset, progress=progress)
        for failure in failures:
            click.echo(f"Warning: not ingested: {failure}", err=True)
        read_ahead = _read_ahead(nutgraf, items, progress) if prepare else None

        def answer(question: str, article_ids: list[str] | None):
            return nutgraf.ask(question, article_ids=article_ids)

        summary = runner.run(items, answer, predictions, lookup=nutgraf.store.get_article, progress=progress)
    finally:
        nutgraf.close()
    return {"dataset": evalset.name, "model": nutgraf.settings.model, "database": str(database), "predictions": str(predictions),
            "articles_not_ingested": len(failures), "read_ahead": read_ahead, **summary}


def _read_ahead(nutgraf, items, progress: bool) -> dict[str, Any] | None:
    """Have the model read each article once before the questions, as preparation at ingest
    does, so that question latencies are those of readers of prepared articles."""
    import time

    from tqdm import tqdm

    if nutgraf.answerer.llm is None:
        return None
    ids = list(dict.fromkeys(i for item in items for i in item.article_ids or []))
    started, read = time.perf_counter(), 0
    for article_id in tqdm(ids, desc="read ahead", unit="article", disable=not progress, file=sys.stderr):
        read += nutgraf.read_ahead(article_id)
    return {"articles": read, "seconds": round(time.perf_counter() - started, 1)}


def format_summary(summary: dict[str, Any]) -> str:
    lines = [f"{summary['dataset']}: {summary['questions']} questions, model {summary['model']}"]
    lines.append("  " + "  ".join(f"{name} {_percent(value)}" for name, value in summary["metrics"].items()))
    latency, citations = summary["latency_s"], summary["citations"]
    lines.append(
        f"  abstained {_percent(summary['abstention_rate'])}  errors {summary['errors']}  "
        f"latency p50 {_seconds(latency['p50'])} p95 {_seconds(latency['p95'])}"
    )
    lines.append(
        f"  citations {citations['count']}, valid {_percent(citations['valid_share'])}; "
        f"answers without citations {citations['answers_without_citations']}"
    )
    overall = summary["trust"]["overall"]
    lines.append(f"  coverage {_percent(overall['coverage'])} of answerable questions; error among the "
                 f"{overall['shown']} shown {_percent(overall['error_among_shown'])} ({overall['wrong_shown']} wrong)")
    if overall["closest"]:
        lines.append(f"  \"comes closest here\" {overall['closest']} times; its sentence holds the answer "
                     f"{_percent(overall['closest_holds_answer'])}")
    lines.append("  at each risk: " + "; ".join(
        f"{risk}: coverage {_percent(row['coverage'])}, error {_percent(row['error_among_shown'])}"
        for risk, row in summary["by_risk"].items()))
    for kind, group in summary["trust"]["by_answer_kind"].items():
        lines.append(f"    {kind}: {group['shown']} shown, error {_percent(group['error_among_shown'])}, "
                     f"coverage {_percent(group['coverage'])}")
    for kind, group in summary["by_kind"].items():
        extra = f"  F1 {_percent(group['f1'])}" if "f1" in group else ""
        lines.append(
            f"  {kind}: {group['count']} questions, correct {_percent(group['accuracy'])}, "
            f"abstained {_percent(group['abstention_rate'])}{extra}"
        )
    lines.append(f"  reliability of answered questions (ECE {_number(summary['expected_calibration_error'])}):")
    lines.append("    confidence     n  mean conf  accuracy")
    for row in summary["reliability"]:
        low, high = row["bin"]
        lines.append(
            f"    {low:.1f}-{high:.1f}  {row['count']:6}  {_number(row['mean_confidence']):>9}  "
            f"{_percent(row['accuracy']):>8}"
        )
    lines.append(f"  predictions: {summary['predictions']}")
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}s"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
