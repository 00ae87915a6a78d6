"""Commands that fill the archive and prepare it for readers: ingest, prepare, reindex."""

from __future__ import annotations

import sys

import click

from ..errors import ModelError
from ..ingest.options import IngestOptions
from ..records import Scope
from .common import dump, json_option, model_option, open_nutgraf, reports_errors


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="PATH|DIR|GLOB|URL|FEED...")
@click.option("--allow-private", is_flag=True,
              help="Allow fetching from private and loopback addresses (off by default).")
@click.option("--max-bytes", type=click.IntRange(min=1), default=IngestOptions.max_bytes,
              show_default=True, help="Refuse files and downloads larger than this.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=IngestOptions.timeout,
              show_default=True, help="Seconds allowed per URL.")
@click.option("--max-redirects", type=click.IntRange(min=0), default=IngestOptions.max_redirects,
              show_default=True, help="Redirects followed per URL.")
@click.option("--no-feed-links", is_flag=True,
              help="For feed entries without full text, keep the summary instead of fetching the page.")
@click.option("--no-embed", is_flag=True, help="Skip sentence vectors (add them later with reindex).")
@click.option("--no-prepare", is_flag=True,
              help="Only queue the articles' preparation (reading by the model, explore panel) "
                   "for a server or `nutgraf prepare`, instead of doing it now.")
@model_option
@click.option("--no-progress", is_flag=True, help="Hide the progress bars.")
@json_option
@click.pass_obj
@reports_errors
def ingest(settings, inputs, allow_private, max_bytes, timeout, max_redirects, no_feed_links, no_embed,
           no_prepare, model, no_progress, as_json):
    """Ingest articles from HTML, text, Markdown, JSON/JSONL files, URLs or RSS/Atom feeds.

    Prints one line per article: its id, what happened (added, updated, unchanged) and its
    title. Each input that fails gets one line on stderr; the others are still ingested and
    the exit status is 1. Ingesting the same article again keeps its id.

    Then each new or changed article is prepared for its readers: the language model reads
    it once (later questions start from what it read) and its explore panel is made. That
    takes tens of seconds an article on a CPU; --no-prepare leaves it to a running server or
    to `nutgraf prepare`.

    \b
    Examples:
      nutgraf ingest story.html notes/*.md
      nutgraf ingest https://example.com/feed.xml
    """
    from tqdm import tqdm

    from ..ingest.sources import expand_inputs

    options = IngestOptions(max_bytes=max_bytes, timeout=timeout, max_redirects=max_redirects,
                            allow_private=allow_private, fetch_feed_links=not no_feed_links)
    expanded = expand_inputs(list(inputs))
    nutgraf = open_nutgraf(settings, embed=not no_embed, model=model)
    outcomes = []
    bar = tqdm(total=len(expanded), unit="article", disable=no_progress or len(expanded) < 2,
               file=sys.stderr, leave=False)
    with bar:
        for outcome in nutgraf.ingest(expanded, options):
            outcomes.append(outcome)
            bar.total = max(bar.total, len(outcomes))  # a feed or JSONL file holds many articles
            bar.update(1)
            if not as_json:
                bar.write(_outcome_line(outcome), file=sys.stderr if outcome.failed else sys.stdout)
    stored = [o.article_id for o in outcomes if not o.failed]
    waiting = [i for i in stored if not nutgraf.is_prepared(i)]
    nutgraf.queue_preparation(waiting)
    if not no_prepare:
        _prepare_ingested(nutgraf, len(waiting), no_progress)
    if as_json:
        dump([o.to_dict() for o in outcomes])
    if any(o.failed for o in outcomes):
        sys.exit(1)


def _prepare_ingested(nutgraf, count: int, no_progress: bool) -> None:
    """Prepare what was just ingested; without its model the articles stay stored and queued,
    since ingesting them succeeded and preparing is only a head start for their readers."""
    try:
        _prepare(nutgraf, count, no_progress)
    except ModelError as error:
        click.echo(f"Warning: stored but not prepared ({error}); they wait in the queue for "
                   "`nutgraf prepare` or a server", err=True)


def _prepare(nutgraf, count: int, no_progress: bool) -> None:
    """Work the preparation queue (these articles and any others waiting) with a progress bar."""
    from tqdm import tqdm

    nutgraf.answerer  # loads the model: a missing one fails here, before a job is claimed
    with tqdm(total=count, unit="article", desc="preparing", disable=no_progress or not count,
              file=sys.stderr, leave=False) as bar:
        nutgraf.work(done=lambda _: bar.update(1))


def _outcome_line(outcome) -> str:
    if outcome.failed:
        return f"Error: {outcome.error}"
    line = f"{outcome.article_id}\t{outcome.status}\t{outcome.title or ''}"
    for other, similarity in outcome.near_duplicates:
        line += f"\n{outcome.article_id}\tnear-duplicate of {other} (similarity {similarity:.2f})"
    return line


@click.command()
@click.option("--force", is_flag=True, help="Rebuild every article's vectors, not only stale ones.")
@click.pass_obj
@reports_errors
def reindex(settings, force):
    """Rebuild sentence vectors that are missing or were made by another embedding model."""
    from tqdm import tqdm

    nutgraf = open_nutgraf(settings, embed=False)
    with tqdm(unit="article", file=sys.stderr, leave=False) as bar:
        count = nutgraf.reindex(force, progress=lambda _: bar.update(1))
    click.echo(f"Re-embedded {count} article{'s' if count != 1 else ''}.")


@click.command()
@click.option("--article", "article_ids", multiple=True, metavar="ID", help="Prepare this article (repeatable).")
@click.option("--all", "everything", is_flag=True, help="Prepare every article not prepared yet.")
@click.option("--since", metavar="YYYY-MM-DD", help="Prepare the articles published on or after this day.")
@click.option("--again", is_flag=True, help="Prepare the chosen articles even when they are prepared.")
@model_option
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@json_option
@click.pass_obj
@reports_errors
def prepare(settings, article_ids, everything, since, again, model, no_progress, as_json):
    """Prepare articles for their readers: the model reads each once and its explore panel
    (key points, checked questions) is made, so that readers' first questions answer in
    about a second and the panel is there when the page opens.

    The work goes through the shared queue: a running server's worker (or another
    `nutgraf prepare`) takes part in it, and an article is never prepared twice at once.

    \b
    Examples:
      nutgraf prepare --all
      nutgraf prepare --since 2025-10-01
      nutgraf prepare --article 3f2a9c0d1b7e --again
    """
    if not (article_ids or everything or since):
        raise click.UsageError("say which articles: --article ID, --all or --since DATE")
    nutgraf = open_nutgraf(settings, embed=False, model=model)
    chosen = list(article_ids) or nutgraf.store.article_ids(Scope(published_from=since))
    for article_id in article_ids:
        nutgraf.article(article_id)  # an unknown id is an error before anything is queued
    if not again:
        chosen = [i for i in chosen if not nutgraf.is_prepared(i)]
    nutgraf.queue_preparation(chosen)
    _prepare(nutgraf, len(chosen), no_progress)
    counts = nutgraf.preparation_queue()
    if as_json:
        dump({"queued": len(chosen), "queue": counts})
        return
    click.echo(f"Prepared {len(chosen)} article{'s' if len(chosen) != 1 else ''}; "
               f"the queue holds {counts.get('queued', 0)} waiting, {counts.get('failed', 0)} failed.")
