"""The ``nutgraf`` command. Every command calls the Python API in :mod:`nutgraf.api`."""

from __future__ import annotations

import functools
import json
import logging
import sys

import click

from .errors import ModelError, NutgrafError
from .eval.cli import eval_group
from .ingest.options import IngestOptions
from .records import Scope
from .settings import help_text


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


def _model_option(command):
    return click.option("--model", "-m", help=help_text("model"))(command)


def json_option(command):
    return click.option("--json", "as_json", is_flag=True, help="Output JSON (stable, documented).")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nutgraf")
@click.option("--db", metavar="PATH_OR_URL", help=help_text("db"))
@click.option("-v", "--verbose", count=True,
              help="Log progress and other libraries' messages (-v), or everything (-vv), to stderr.")
@click.pass_context
def cli(ctx: click.Context, db: str | None, verbose: int) -> None:
    """nutgraf: grounded answers and related questions about news articles.

    Ingest articles, then search them, ask questions about them and get related questions,
    from this command, the Python API or the HTTP server (nutgraf serve).
    """
    _configure_logging(verbose)
    ctx.obj = {"db": db}


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is logged, as click's test runner
    swaps it; one is installed per process, however often the command runs."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _configure_logging(verbose: int) -> None:
    """nutgraf's own warnings always; other libraries' log lines (trafilatura's complaints
    about a page, for one) only with -v, since nutgraf reports each failure itself."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    if not verbose:
        handler.addFilter(lambda record: record.name == "nutgraf" or record.name.startswith("nutgraf."))
    root.addHandler(handler)
    root.setLevel({0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG))


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
@click.option("--max-redirects", type=click.IntRange(min=0), default=IngestOptions.max_redirects,
              show_default=True, help="Redirects followed per URL.")
@click.option("--no-feed-links", is_flag=True,
              help="For feed entries without full text, keep the summary instead of fetching the page.")
@click.option("--no-embed", is_flag=True, help="Skip sentence vectors (add them later with reindex).")
@click.option("--no-prepare", is_flag=True,
              help="Only queue the articles' preparation (reading by the model, explore panel) "
                   "for a server or `nutgraf prepare`, instead of doing it now.")
@_model_option
@click.option("--no-progress", is_flag=True, help="Hide the progress bars.")
@json_option
@click.pass_context
@reports_errors
def ingest(ctx, inputs, allow_private, max_bytes, timeout, max_redirects, no_feed_links, no_embed,
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

    from .ingest.sources import expand_inputs

    options = IngestOptions(max_bytes=max_bytes, timeout=timeout, max_redirects=max_redirects,
                            allow_private=allow_private, fetch_feed_links=not no_feed_links)
    expanded = expand_inputs(list(inputs))
    nutgraf = _nutgraf(ctx, embed=not no_embed, model=model)
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
        _dump([o.to_dict() for o in outcomes])
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


@cli.command()
@click.option("--limit", type=click.IntRange(min=1), help="Show at most N articles (default: all).")
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True,
              help="Skip the N newest articles first.")
@json_option
@click.pass_context
@reports_errors
def articles(ctx, limit, offset, as_json):
    """List ingested articles, newest first; --limit and --offset show one page."""
    nutgraf = _nutgraf(ctx, embed=False)
    rows = nutgraf.articles(limit=limit, offset=offset)
    if as_json:
        _dump([r.to_dict() for r in rows])
        return
    for r in rows:
        click.echo(f"{r.id}\t{(r.published or '')[:10]:10}\t{r.sentences:4} sentences\t{r.title or ''}")
    if limit is not None or offset:
        shown = f"{offset + 1}-{offset + len(rows)}" if rows else "none"
        click.echo(f"({shown} of {nutgraf.article_count()})", err=True)


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
            said = f"{q.verb}: {q.text}" if q.form == "reported" else f"“{q.text}”"
            unclosed = "" if q.closed else "  (quotation mark never closed)"
            click.echo(f"  [{q.sentence_index}] {q.speaker or 'unattributed'}: {said}{unclosed}")
    if article.times:
        click.echo("\nDates:")
        for t in article.times:
            click.echo(f"  [{t.sentence_index}] {t.text} → {t.resolved or 'unresolved'}")


@cli.command()
@click.argument("query")
@click.option("--article", "article_ids", multiple=True, metavar="ID", help="Search these articles only (repeatable).")
@click.option("--source", help="Only articles from this source.")
@click.option("--since", metavar="YYYY-MM-DD", help="Only articles published on or after this day.")
@click.option("--until", metavar="YYYY-MM-DD", help="Only articles published on or before this day.")
@click.option("--recent", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Prefer newer articles (0: relevance only, 1: strongly recent).")
@click.option("--limit", type=click.IntRange(1, 200), default=10, show_default=True)
@json_option
@click.pass_context
@reports_errors
def search(ctx, query, article_ids, source, since, until, recent, limit, as_json):
    """Find the sentences that best match QUERY (BM25 and embeddings, fused)."""
    results = _nutgraf(ctx).search(query, article_ids=list(article_ids) or None, source=source,
                                   since=since, until=until, limit=limit, recency=recent)
    if as_json:
        _dump({"query": query, "results": [r.to_dict() for r in results]})
        return
    for r in results:
        click.echo(f"{r.score:.4f}\t{r.article_id}\t[{r.sentence_index}]\t{r.text}")


@cli.command()
@click.option("--force", is_flag=True, help="Rebuild every article's vectors, not only stale ones.")
@click.pass_context
@reports_errors
def reindex(ctx, force):
    """Rebuild sentence vectors that are missing or were made by another embedding model."""
    from tqdm import tqdm

    from .retrieval.embedder import get_embedder
    from .retrieval.reindex import reindex as rebuild

    nutgraf = _nutgraf(ctx, embed=False)
    with tqdm(unit="article", file=sys.stderr, leave=False) as bar:
        count = rebuild(nutgraf.store, get_embedder(), progress=lambda _: bar.update(1), force=force)
    click.echo(f"Re-embedded {count} article{'s' if count != 1 else ''}.")


@cli.command()
@click.option("--article", "article_ids", multiple=True, metavar="ID", help="Prepare this article (repeatable).")
@click.option("--all", "everything", is_flag=True, help="Prepare every article not prepared yet.")
@click.option("--since", metavar="YYYY-MM-DD", help="Prepare the articles published on or after this day.")
@click.option("--again", is_flag=True, help="Prepare the chosen articles even when they are prepared.")
@_model_option
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@json_option
@click.pass_context
@reports_errors
def prepare(ctx, article_ids, everything, since, again, model, no_progress, as_json):
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
    nutgraf = _nutgraf(ctx, embed=False, model=model)
    chosen = list(article_ids) or nutgraf.store.article_ids(Scope(published_from=since))
    for article_id in article_ids:
        nutgraf.article(article_id)  # an unknown id is an error before anything is queued
    if not again:
        chosen = [i for i in chosen if not nutgraf.is_prepared(i)]
    nutgraf.queue_preparation(chosen)
    _prepare(nutgraf, len(chosen), no_progress)
    counts = nutgraf.preparation_queue()
    if as_json:
        _dump({"queued": len(chosen), "queue": counts})
        return
    click.echo(f"Prepared {len(chosen)} article{'s' if len(chosen) != 1 else ''}; "
               f"the queue holds {counts.get('queued', 0)} waiting, {counts.get('failed', 0)} failed.")


@cli.command()
@click.option("--clear", is_flag=True, help="Delete every kept article state.")
@json_option
@reports_errors
def cache(clear, as_json):
    """Show (or clear) the article states a local model keeps: what it read of each article,
    so later questions, processes and servers skip reading it again. Least recently used
    states go first when the cap is reached (NUTGRAF_STATE_CACHE_MB)."""
    from .llm.states import default_store

    store = default_store()
    removed = store.clear() if clear else 0
    usage = store.usage()
    if as_json:
        _dump({"directory": str(usage.directory) if usage.directory else None, "files": usage.files,
               "bytes": usage.bytes, "capacity_bytes": usage.capacity, "removed": removed})
        return
    if clear:
        click.echo(f"Removed {removed} kept article state{'s' if removed != 1 else ''}.")
    click.echo(f"{usage.files} article states, {usage.bytes / 2**20:,.1f} MB of "
               f"{usage.capacity / 2**20:,.0f} MB, in {usage.directory or 'memory only'}")


@cli.command()
@click.argument("question")
@click.option("--article", "article_ids", multiple=True, metavar="ID",
              help="Ask about this article (repeatable); default: the whole archive.")
@click.option("--conversation", "conversation_id", metavar="CID",
              help="Continue a conversation: follow-ups are read against its earlier turns.")
@click.option("--stream/--no-stream", default=True, show_default=True,
              help="Print the answer as it is produced (text output only).")
@click.option("--min-confidence", type=click.FloatRange(0, 1), help=help_text("min_confidence"))
@_model_option
@json_option
@click.pass_context
@reports_errors
def ask(ctx, question, article_ids, conversation_id, stream, min_confidence, model, as_json):
    """Answer QUESTION from the articles, citing the sentences it rests on.

    When the articles do not answer, says so (answerable: false) and quotes what they
    do say instead. The conversation id printed at the end continues the conversation.
    """
    nutgraf = _nutgraf(ctx, model=model, min_confidence=min_confidence)
    ids = list(article_ids) or None
    if as_json or not stream:
        answer = nutgraf.ask(question, article_ids=ids, conversation_id=conversation_id)
    else:
        answer, streamed = None, False
        for event in nutgraf.ask_stream(question, article_ids=ids, conversation_id=conversation_id):
            if event["type"] == "delta":
                click.echo(event["text"], nl=False, err=True)
                streamed = True
            elif event["type"] == "answer":
                answer = event["answer"]
        if streamed:
            click.echo(err=True)
    if as_json:
        _dump(answer.to_dict())
        return
    _print_answer(answer)


def _print_answer(answer) -> None:
    """The answer, its parts each with the numbers of their citations, then the citations."""
    if answer.resolved_question:
        click.echo(f"({answer.resolved_question})", err=True)
    numbers = {(c.article_id, c.sentence_index): n for n, c in enumerate(answer.citations, start=1)}

    def markers(citations) -> str:
        return "".join(f"[{numbers[(c.article_id, c.sentence_index)]}]" for c in citations)

    if not answer.answerable:
        click.echo(answer.note or "The articles do not answer this.")
    elif answer.points:
        if answer.verdict:
            click.echo(answer.answer.split(":", 1)[0] + ":")
        for point in answer.points:
            click.echo(f"- {point.text} {markers(point.citations)}")
        click.echo(f"({answer.kind}, confidence {answer.confidence:.2f})")
    else:
        click.echo(f"{answer.answer} {markers(answer.citations)}  ({answer.kind}, confidence {answer.confidence:.2f})")
    for number, c in enumerate(answer.citations, start=1):
        click.echo(f"  [{number}] {c.article_id} sentence {c.sentence_index} ({c.start}-{c.end}): {c.text}")
    click.echo(f"conversation: {answer.conversation_id}", err=True)


@cli.command()
@click.option("--verify", is_flag=True, help="Join missing files and re-check every sha256 now.")
@json_option
@reports_errors
def models(verify, as_json):
    """List the packaged language models: installed, joined, verified, where."""
    from .llm import list_models, model_path

    rows = list_models()
    if verify:
        for info in rows:
            if info.installed:
                model_path(info.name, verify=True)
        rows = list_models()
    if as_json:
        _dump([{**info.__dict__, "path": str(info.path) if info.path else None} for info in rows])
        return
    for info in rows:
        state = "verified" if info.verified else ("installed" if info.installed else "not installed")
        size = f"{info.size / 1e6:,.0f} MB" if info.size else ""
        click.echo(f"{info.name:14} {state:13} {size:>9}  {info.path or ''}\n{'':14} {info.description}")


@cli.command()
@click.option("--article", "article_id", required=True, metavar="ID", help="The article the reader is on.")
@click.option("--after", metavar="QUESTION", help="Follow-ups after this question (never repeating it).")
@click.option("--conversation", "conversation_id", metavar="CID",
              help="Follow-ups after this conversation's questions.")
@click.option("--limit", type=click.IntRange(1, 20), default=8, show_default=True)
@_model_option
@json_option
@click.pass_context
@reports_errors
def related(ctx, article_id, after, conversation_id, limit, model, as_json):
    """Related questions the articles answer, each with its answer and citation.

    The first request for an article computes them (seconds on a CPU); later ones are instant.
    """
    result = _nutgraf(ctx, model=model).related(article_id, after=after, conversation_id=conversation_id,
                                                limit=limit)
    if as_json:
        _dump(result)
        return
    for item in result["questions"]:
        where = f"  [from {item['article_id']}]" if item["article_id"] != article_id else ""
        click.echo(f"{item['question']}{where}\n    → {item['answer_preview']}")


@cli.command()
@click.option("--conversation-days", type=click.FloatRange(min=0), metavar="DAYS",
              help=help_text("conversation_days", "Remove conversations unused for this many days."))
@json_option
@click.pass_context
@reports_errors
def gc(ctx, conversation_days, as_json):
    """Remove expired reader data: conversations unused for the configured days.

    Feedback is never removed. The server does the same on its own every
    NUTGRAF_GC_INTERVAL seconds; run this where no server runs, from cron for example.
    """
    removed, cutoff = _nutgraf(ctx, embed=False).expire_conversations(conversation_days)
    if as_json:
        _dump({"conversations_removed": removed, "last_used_before": cutoff.isoformat(timespec="seconds")})
        return
    click.echo(f"Removed {removed} conversation{'s' if removed != 1 else ''} last used before "
               f"{cutoff.isoformat(timespec='seconds')}.")


FEEDBACK_COLUMNS = ("id", "received_at", "rating", "question", "answer", "comment", "article_id",
                    "conversation_id", "citations")


@cli.command()
@click.option("--since", metavar="DATE", help="Only feedback received on or after this day (YYYY-MM-DD) or time.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the newest N.")
@click.option("--csv", "as_csv", is_flag=True, help="Output CSV, one row per rating (citations as JSON).")
@json_option
@click.pass_context
@reports_errors
def feedback(ctx, since, limit, as_csv, as_json):
    """Export readers' feedback on answers, newest first."""
    if as_csv and as_json:
        raise click.UsageError("choose one of --json and --csv")
    rows = _nutgraf(ctx, embed=False).feedback(since=since, limit=limit)
    if as_json:
        _dump([row.to_dict() for row in rows])
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


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes; each loads its own copy of the models.")
@_model_option
@click.option("--min-confidence", type=click.FloatRange(0, 1), help=help_text("min_confidence"))
@click.option("--admin-key", "admin_keys", multiple=True, metavar="KEY", help=help_text(
    "admin_keys", "A key that allows ingest and reading feedback over HTTP (repeatable; prefer the "
                  "variable, which stays out of the process list)."))
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN", help=help_text(
    "cors_origins", "A publisher origin whose pages may call the API, e.g. https://news.example.org "
                    "(repeatable)."))
@click.option("--max-body", type=click.IntRange(min=1), metavar="BYTES", help=help_text("max_body_bytes"))
@click.option("--rate-limit", type=click.FloatRange(min=0), metavar="PER_SECOND", help=help_text("rate_limit"))
@click.option("--rate-burst", type=click.IntRange(min=1), metavar="N", help=help_text("rate_burst"))
@click.pass_context
@reports_errors
def serve(ctx, host, port, workers, model, min_confidence, admin_keys, cors_origins, max_body, rate_limit,
          rate_burst):
    """Serve the HTTP API, the embeddable widget and a demo site.

    \b
    Demo site:  http://HOST:PORT/
    API docs:   http://HOST:PORT/docs  (OpenAPI at /openapi.json)
    Widget:     <script src="http://HOST:PORT/widget.js" data-article="ID"></script>
    """
    import os

    import uvicorn

    from .settings import current

    settings = current().with_values(
        db=ctx.obj["db"], model=model, min_confidence=min_confidence, admin_keys=admin_keys or None,
        cors_origins=cors_origins or None, max_body_bytes=max_body, rate_limit=rate_limit,
        rate_burst=rate_burst)
    # Every worker process reads its settings from the environment.
    os.environ.update(settings.to_env())
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"nutgraf: demo site at http://{shown}:{port}/ and API docs at http://{shown}:{port}/docs",
               err=True)
    # A model call cannot be interrupted: stopping waits this long for running requests, then quits.
    uvicorn.run("nutgraf.server.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                timeout_graceful_shutdown=10)


cli.add_command(eval_group)


if __name__ == "__main__":
    cli()
