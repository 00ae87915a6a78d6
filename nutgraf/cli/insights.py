"""``nutgraf insights``: what readers asked, and what the stories left unanswered."""

from __future__ import annotations

import click

from ..errors import InputError
from .common import dump, json_option, open_nutgraf, reports_errors

CSV_COLUMNS = ("article_id", "article_title", "question", "asks", "answer", "closest", "none", "panel",
               "helpful", "not_helpful", "wrong_citation", "wording_count", "gap", "last_asked", "wordings")
QUESTION_WIDTH = 60


@click.command()
@click.option("--article", "article_id", metavar="ID", help="One article's insights (default: the whole archive).")
@click.option("--since", metavar="DATE", help="Only questions asked on or after this day (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="Rows in each list.")
@click.option("--csv", "as_csv", is_flag=True, help="Output CSV: one row per group of questions, gaps marked.")
@json_option
@click.pass_obj
@reports_errors
def insights(settings, article_id, since, limit, as_csv, as_json):
    """What readers asked, grouped, and the story gaps: the questions the articles did not
    answer, most asked first; answers rated badly; how often the explore panel's questions
    were opened when shown."""
    if as_csv and as_json:
        raise InputError("choose one of --json and --csv")
    report = open_nutgraf(settings, embed=False).insights(article_id, since=since, limit=limit)
    if as_json:
        dump(report)
    elif as_csv:
        click.echo(_csv(report), nl=False)
    else:
        _print(report)


def _csv(report: dict) -> str:
    import csv
    import io

    gaps = {g["id"] for g in report["gaps"]}
    groups = {g["id"]: g for g in report["groups"] + report["gaps"]}.values()  # most asked first, then gaps
    table = io.StringIO()
    writer = csv.DictWriter(table, CSV_COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for group in groups:
        writer.writerow({**group, **group["grades"], **group["ratings"], "wordings": " | ".join(group["wordings"]),
                         "gap": int(group["id"] in gaps)})
    return table.getvalue()


def _print(report: dict) -> None:
    totals = report["totals"]
    where = f"about {report['article_title'] or report['article_id']}" if report["article_id"] else "about the archive"
    since = f" since {report['since']}" if report["since"] else ""
    click.echo(f"{totals['asks']} questions {where}{since}: {_mix(totals)}; {totals['panel']} from the explore panel.")
    if totals["sample"]:
        click.echo(f"Sample data: {totals['sample']} of them were asked by the demo's seed, not by readers.")
    if not report["log"]["on"]:
        click.echo("The question log is off (NUTGRAF_QUESTION_LOG=0): nothing new is recorded.")
    _table("Story gaps: what readers asked and the article did not answer",
           ("asks", "not said", "closest", "question"),
           [(g["asks"], g["grades"]["none"], g["grades"]["closest"], _question(g, report)) for g in report["gaps"]])
    _table("What readers asked", ("asks", "answered", "question"),
           [(g["asks"], g["grades"]["answer"], _question(g, report)) for g in report["groups"]])
    _table("Answers rated not helpful or citing the wrong sentence", ("rating", "question", "comment"),
           [(r["rating"], _cut(r["question"]), r["comment"] or "") for r in report["rated"]])
    _table("The explore panel's questions", ("shown", "opened", "question"),
           [(p["shown"], p["clicks"], _cut(p["question"])) for p in report["panel"]])


def _mix(counts: dict) -> str:
    if not counts["asks"]:
        return "none yet"
    share = {grade: round(100 * counts[grade] / counts["asks"]) for grade in ("answer", "closest", "none")}
    return f"{share['answer']}% answered, {share['closest']}% closest, {share['none']}% not said"


def _question(group: dict, report: dict) -> str:
    text = _cut(group["question"])
    if group["wording_count"] > 1:
        text += f" ({group['wording_count']} wordings)"
    if not report["article_id"]:
        text += f"  [{_cut(group['article_title'] or group['article_id'] or 'the whole archive', 40)}]"
    return text


def _cut(text: str, width: int = QUESTION_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(title: str, header: tuple[str, ...], rows: list[tuple]) -> None:
    click.echo(f"\n{title}")
    if not rows:
        click.echo("  (none)")
        return
    widths = [max(len(str(value)) for value in column) for column in zip(header, *rows)]
    for row in (header, *rows):
        cells = [str(value).rjust(width) if isinstance(value, int) else str(value).ljust(width)
                 for value, width in zip(row, widths)]
        click.echo("  " + "  ".join(cells).rstrip())
