"""Commands over what readers leave behind: feedback, gc (see insights.py for the question log)."""

from __future__ import annotations

import json

import click

from ..settings import help_text
from .common import dump, json_option, open_nutgraf, reports_errors


@click.command()
@click.option("--conversation-days", type=click.FloatRange(min=0), metavar="DAYS",
              help=help_text("conversation_days", "Remove conversations unused for this many days."))
@click.option("--question-log-days", type=click.FloatRange(min=0), metavar="DAYS",
              help=help_text("question_log_days", "Remove asked questions older than this many days."))
@json_option
@click.pass_obj
@reports_errors
def gc(settings, conversation_days, question_log_days, as_json):
    """Remove expired reader data: conversations unused for the configured days, and
    questions kept in the question log for longer than its days.

    Feedback is never removed. The server does the same on its own every
    NUTGRAF_GC_INTERVAL seconds; run this where no server runs, from cron for example.
    """
    nutgraf = open_nutgraf(settings, embed=False)
    removed, cutoff = nutgraf.expire_conversations(conversation_days)
    asks_removed, asked_before = nutgraf.expire_asks(question_log_days)
    if as_json:
        dump({"conversations_removed": removed, "last_used_before": cutoff.isoformat(timespec="seconds"),
              "asks_removed": asks_removed, "asked_before": asked_before.isoformat(timespec="seconds")})
        return
    click.echo(f"Removed {removed} conversation{'s' if removed != 1 else ''} last used before "
               f"{cutoff.isoformat(timespec='seconds')}.")
    click.echo(f"Removed {asks_removed} asked question{'s' if asks_removed != 1 else ''} from before "
               f"{asked_before.isoformat(timespec='seconds')}.")


FEEDBACK_COLUMNS = ("id", "received_at", "rating", "question", "answer", "comment", "article_id",
                    "conversation_id", "ask_id", "citations")


@click.command()
@click.option("--since", metavar="DATE", help="Only feedback received on or after this day (YYYY-MM-DD) or time.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the newest N.")
@click.option("--csv", "as_csv", is_flag=True, help="Output CSV, one row per rating (citations as JSON).")
@json_option
@click.pass_obj
@reports_errors
def feedback(settings, since, limit, as_csv, as_json):
    """Export readers' feedback on answers, newest first."""
    if as_csv and as_json:
        raise click.UsageError("choose one of --json and --csv")
    rows = open_nutgraf(settings, embed=False).feedback(since=since, limit=limit)
    if as_json:
        dump([row.to_dict() for row in rows])
    elif as_csv:
        import csv
        import io

        table = io.StringIO()
        writer = csv.DictWriter(table, FEEDBACK_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row.to_dict(), "citations": json.dumps(row.citations, ensure_ascii=False)})
        click.echo(table.getvalue(), nl=False)
    else:
        for row in rows:
            click.echo(f"{row.received_at}\t{row.rating}\t{row.question}\t{row.comment or ''}")
