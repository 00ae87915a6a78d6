"""The ``nutgraf`` command. Every command calls the Python API in :mod:`nutgraf.api`."""

from __future__ import annotations

import functools
import json
import logging
import sys

import click

from .errors import NutgrafError
from .ingest.options import IngestOptions
from .store import DB_ENV


def _dump(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def reports_errors(command):
    """Turn a NutgrafError into one line on stderr and exit status 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except NutgrafError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)

    return wrapper


def json_option(command):
    return click.option("--json", "as_json", is_flag=True, help="Output JSON (stable, documented).")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nutgraf")
@click.option("--db", envvar=DB_ENV, metavar="PATH_OR_URL",
              help=f"SQLite file or database URL. [env: {DB_ENV}; default: a file in the user data dir]")
@click.option("-v", "--verbose", count=True, help="Log progress (-v) or everything (-vv) to stderr.")
@click.pass_context
def cli(ctx: click.Context, db: str | None, verbose: int) -> None:
    """nutgraf: grounded answers and related questions about news articles.

    Ingest articles, then search them, ask questions about them and get related questions,
    from this command, the Python API or the HTTP server (nutgraf serve).
    """
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"db": db}


def _nutgraf(ctx: click.Context, **options):
    from .api import Nutgraf

    return Nutgraf(ctx.obj["db"], **options)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="PATH|DIR|GLOB|URL|FEED...")
@click.option("--allow-private", is_flag=True,
              help="Allow fetching from private and loopback addresses (off by default).")
@click.option("--max-bytes", type=click.IntRange(min=1), default=IngestOptions.max_bytes,
              show_default=True, help="Refuse files and downloads larger than this.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=IngestOptions.timeout,
              show_default=True, help="Seconds allowed per URL.")
@click.option("--no-embed", is_flag=True, help="Skip sentence vectors (add them later with reindex).")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@json_option
@click.pass_context
@reports_errors
def ingest(ctx, inputs, allow_private, max_bytes, timeout, no_embed, no_progress, as_json):
    """Ingest articles from HTML, text, Markdown, JSON/JSONL files, URLs or RSS/Atom feeds.

    Prints one line per article: its id, what happened (added, updated, unchanged) and its
    title. Each input that fails gets one line on stderr; the others are still ingested and
    the exit status is 1. Ingesting the same article again keeps its id.

    \b
    Examples:
      nutgraf ingest story.html notes/*.md
      nutgraf ingest https://example.com/feed.xml
    """
    from tqdm import tqdm

    from .ingest.sources import expand_inputs

    options = IngestOptions(max_bytes=max_bytes, timeout=timeout, allow_private=allow_private)
    expanded = expand_inputs(list(inputs))
    nutgraf = _nutgraf(ctx, embed=not no_embed)
    outcomes = []
    bar = tqdm(total=len(expanded), unit="input", disable=no_progress or len(expanded) < 2,
               file=sys.stderr, leave=False)
    with bar:
        for outcome in nutgraf.ingest(expanded, options):
            outcomes.append(outcome)
            bar.update(1)
            if not as_json:
                bar.write(_outcome_line(outcome), file=sys.stderr if outcome.failed else sys.stdout)
    if as_json:
        _dump([o.to_dict() for o in outcomes])
    if any(o.failed for o in outcomes):
        sys.exit(1)


def _outcome_line(outcome) -> str:
    if outcome.failed:
        return f"Error: {outcome.error}"
    line = f"{outcome.article_id}\t{outcome.status}\t{outcome.title or ''}"
    for other, similarity in outcome.near_duplicates:
        line += f"\n{outcome.article_id}\tnear-duplicate of {other} (similarity {similarity:.2f})"
    return line


@cli.command()
@json_option
@click.pass_context
@reports_errors
def articles(ctx, as_json):
    """List ingested articles, newest first."""
    rows = _nutgraf(ctx, embed=False).articles()
    if as_json:
        _dump([r.to_dict() for r in rows])
        return
    for r in rows:
        click.echo(f"{r.id}\t{(r.published or '')[:10]:10}\t{r.sentences:4} sentences\t{r.title or ''}")


@cli.command()
@click.argument("article_id")
@json_option
@click.pass_context
@reports_errors
def show(ctx, article_id, as_json):
    """Show one article: metadata, sentences with offsets, entities, quotes and dates."""
    article = _nutgraf(ctx, embed=False).article(article_id)
    if as_json:
        _dump(article.to_dict())
        return
    click.echo(f"{article.title or '(untitled)'}\n{article.id}  {article.published or ''}  "
               f"{article.source or ''}  {article.url or article.origin}\n")
    for s in article.sentences:
        click.echo(f"[{s.index}] ¶{s.paragraph} {s.start}-{s.end}  {s.text}")
    if article.entities:
        click.echo("\nEntities:")
        for e in article.entities:
            click.echo(f"  {e.name} ({e.label}) sentences {', '.join(map(str, e.sentence_indexes))}")
    if article.quotes:
        click.echo("\nQuotes:")
        for q in article.quotes:
            click.echo(f"  [{q.sentence_index}] {q.speaker or 'unattributed'}: “{q.text}”")
    if article.times:
        click.echo("\nDates:")
        for t in article.times:
            click.echo(f"  [{t.sentence_index}] {t.text} → {t.resolved or 'unresolved'}")
