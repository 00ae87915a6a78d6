"""Commands that answer readers: search, ask, related."""

from __future__ import annotations

import click

from ..settings import help_text
from .common import dump, json_option, model_option, open_nutgraf, reports_errors


@click.command()
@click.argument("query")
@click.option("--article", "article_ids", multiple=True, metavar="ID", help="Search these articles only (repeatable).")
@click.option("--source", help="Only articles from this source.")
@click.option("--since", metavar="YYYY-MM-DD", help="Only articles published on or after this day.")
@click.option("--until", metavar="YYYY-MM-DD", help="Only articles published on or before this day.")
@click.option("--recent", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Prefer newer articles (0: relevance only, 1: strongly recent).")
@click.option("--limit", type=click.IntRange(1, 200), default=10, show_default=True)
@json_option
@click.pass_obj
@reports_errors
def search(settings, query, article_ids, source, since, until, recent, limit, as_json):
    """Find the sentences that best match QUERY (BM25 and embeddings, fused)."""
    results = open_nutgraf(settings).search(query, article_ids=list(article_ids) or None, source=source,
                                            since=since, until=until, limit=limit, recency=recent)
    if as_json:
        dump({"query": query, "results": [r.to_dict() for r in results]})
        return
    for r in results:
        click.echo(f"{r.score:.4f}\t{r.article_id}\t[{r.sentence_index}]\t{r.text}")


@click.command()
@click.argument("question")
@click.option("--article", "article_ids", multiple=True, metavar="ID",
              help="Ask about this article (repeatable); default: the whole archive.")
@click.option("--conversation", "conversation_id", metavar="CID",
              help="Continue a conversation: follow-ups are read against its earlier turns.")
@click.option("--stream/--no-stream", default=True, show_default=True,
              help="Print the answer as it is produced (text output only).")
@click.option("--risk", type=click.FloatRange(0, 1, min_open=True, max_open=True), help=help_text("risk"))
@click.option("--min-confidence", type=click.FloatRange(0, 1), help=help_text("min_confidence"))
@model_option
@json_option
@click.pass_obj
@reports_errors
def ask(settings, question, article_ids, conversation_id, stream, risk, min_confidence, model, as_json):
    """Answer QUESTION from the articles, citing the sentences it rests on.

    When the articles do not answer, says so (answerable: false) and quotes what they
    do say instead. The conversation id printed at the end continues the conversation.
    """
    nutgraf = open_nutgraf(settings.with_values(risk=risk), model=model, min_confidence=min_confidence)
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
        dump(answer.to_dict())
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


@click.command()
@click.option("--article", "article_id", required=True, metavar="ID", help="The article the reader is on.")
@click.option("--after", metavar="QUESTION", help="Follow-ups after this question (never repeating it).")
@click.option("--conversation", "conversation_id", metavar="CID",
              help="Follow-ups after this conversation's questions.")
@click.option("--limit", type=click.IntRange(1, 20), default=8, show_default=True)
@model_option
@json_option
@click.pass_obj
@reports_errors
def related(settings, article_id, after, conversation_id, limit, model, as_json):
    """Related questions the articles answer, each with its answer and citation.

    The first request for an article computes them (seconds on a CPU); later ones are instant.
    """
    result = open_nutgraf(settings, model=model).related(article_id, after=after,
                                                         conversation_id=conversation_id, limit=limit)
    if as_json:
        dump(result)
        return
    for item in result["questions"]:
        where = f"  [from {item['article_id']}]" if item["article_id"] != article_id else ""
        click.echo(f"{item['question']}{where}\n    → {item['answer_preview']}")
