"""Commands that show what the archive holds: articles, show."""

from __future__ import annotations

import click

from .common import dump, json_option, open_nutgraf, reports_errors


@click.command()
@click.option("--limit", type=click.IntRange(min=1), help="Show at most N articles (default: all).")
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True,
              help="Skip the N newest articles first.")
@json_option
@click.pass_obj
@reports_errors
def articles(settings, limit, offset, as_json):
    """List ingested articles, newest first; --limit and --offset show one page."""
    nutgraf = open_nutgraf(settings, embed=False)
    rows = nutgraf.articles(limit=limit, offset=offset)
    if as_json:
        dump([r.to_dict() for r in rows])
        return
    for r in rows:
        click.echo(f"{r.id}\t{(r.published or '')[:10]:10}\t{r.sentences:4} sentences\t{r.title or ''}")
    if limit is not None or offset:
        shown = f"{offset + 1}-{offset + len(rows)}" if rows else "none"
        click.echo(f"({shown} of {nutgraf.article_count()})", err=True)


@click.command()
@click.argument("article_id")
@json_option
@click.pass_obj
@reports_errors
def show(settings, article_id, as_json):
    """Show one article: metadata, sentences with offsets, entities, quotes and dates."""
    article = open_nutgraf(settings, embed=False).article(article_id)
    if as_json:
        dump(article.to_dict())
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
