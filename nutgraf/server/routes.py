"""The JSON API under ``/v1``: a thin layer over :class:`nutgraf.api.Nutgraf`.

Plain ``def`` endpoints run in the threadpool (model and database work blocks); the asking
endpoint is ``async`` only to choose between one JSON answer and a stream of events.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
from typing import Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ..api import Nutgraf
from ..errors import InputError, NutgrafError
from ..ingest.files import json_document
from ..ingest.pipeline import IngestOutcome
from ..records import Answer, ArticleSummary, Feedback
from ..retrieval.search import MAX_QUERY_CHARS
from .errors import error_code
from .streaming import iterate_in_thread

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1")
bearer = HTTPBearer(auto_error=False, description="An admin key from NUTGRAF_ADMIN_KEYS or --admin-key.")
TEXT_FIELDS = ("text", "body", "content")


def nutgraf(request: Request) -> Nutgraf:
    return request.app.state.nutgraf


def require_admin(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
    check_admin(request, challenge="Bearer")


def check_admin(request: Request, challenge: str) -> None:
    """The request's admin key, as a bearer token or (from a browser, which can send no
    bearer token with a page) as the password of HTTP Basic, must be one of the server's."""
    keys = request.app.state.settings.admin_keys
    if not keys:
        raise HTTPException(403, "admin requests are disabled: start the server with an admin key "
                                 "(NUTGRAF_ADMIN_KEYS or --admin-key)")
    given = _given_key(request.headers.get("authorization", "")).encode()
    if not any(hmac.compare_digest(given, key.encode()) for key in keys):
        raise HTTPException(401, "a valid admin key is required (Authorization: Bearer <key>)",
                            headers={"WWW-Authenticate": challenge})


def _given_key(header: str) -> str:
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip(), validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return ""
    return ""


# -- questions


class AskRequest(BaseModel):
    question: str = Field(examples=["Who will host the summit?"])
    article_id: str | None = Field(default=None, max_length=64,
                                   description="Answer from this article; omit to ask the whole archive.")
    conversation_id: str | None = Field(default=None, max_length=64,
                                        description="From an earlier answer, for follow-up questions.")
    source: Literal["box", "panel"] = Field(default="box", description=(
        "`panel` when the reader opened the question in the explore panel (counted as the panel's pull)."))


@router.post(
    "/ask",
    response_model=Answer,
    responses={200: {"content": {"text/event-stream": {"description": (
        "With `Accept: text/event-stream` or `?stream=1`: first an `evidence` event "
        "({\"citations\": [...]}: the sentence retrieval ranks first, sent before the model reads), "
        "then a `delta` event ({\"text\"}) with the answer's text once it has passed its checks "
        "(never withdrawn; none when the articles do not say), then one `answer` event holding "
        "the final answer, or an `error` event.")}}}},
)
async def ask(body: AskRequest, request: Request,
              stream: bool = Query(False, description="Stream Server-Sent Events.")) -> Any:
    """An answer in the form the question wants (`kind`: phrase, yes-no, list, explanation,
    overview, quote, who-is, when), citing the sentences it rests on; answers of several parts
    carry `points`, each cited. When the articles do not answer: `answerable: false`, `grade`
    "closest" (the sentence that most likely holds it, in `note`) or "none", and a note."""
    ng = nutgraf(request)
    options = {"article_id": body.article_id, "conversation_id": body.conversation_id, "source": body.source}
    if stream or "text/event-stream" in request.headers.get("accept", ""):
        return await _event_stream(lambda: _counting_follow_ups(ng, ng.ask_stream(body.question, **options)))
    answer = await run_in_threadpool(ng.ask, body.question, **options)
    await run_in_threadpool(ng.panel_shown, answer.related)
    return answer.to_dict()


def _counting_follow_ups(ng: Nutgraf, events):
    """The events; the follow-ups the final answer carries are shown in the explore panel."""
    for event in events:
        if event["type"] == "answer":
            ng.panel_shown(event["answer"].related)
        yield event


async def _event_stream(produce) -> EventSourceResponse:
    events = iterate_in_thread(produce)
    # The first event is awaited here so that a bad question or an unknown article is a
    # plain 4xx JSON error, not a stream that fails.
    first = await anext(events)
    return EventSourceResponse(_sse(first, events), headers={"Cache-Control": "no-store"})


async def _sse(first: dict, events):
    try:
        yield _sse_event(first)
        async for event in events:
            yield _sse_event(event)
    except NutgrafError as error:
        yield _sse_error(error_code(error), str(error))
    except Exception:
        log.exception("answer stream failed")
        yield _sse_error("internal_error", "the answer could not be completed")
    finally:
        await events.aclose()


def _sse_event(event: dict) -> dict:
    if event["type"] == "answer":
        data = event["answer"].to_dict()
    else:
        data = {key: value for key, value in event.items() if key != "type"}
    return {"event": event["type"], "data": json.dumps(data, ensure_ascii=False)}


def _sse_error(code: str, message: str) -> dict:
    return {"event": "error", "data": json.dumps({"error": {"code": code, "message": message}})}


@router.get("/related")
def related(request: Request, response: Response, article_id: str = Query(max_length=64),
            after: str | None = Query(None, max_length=MAX_QUERY_CHARS,
                                      description="The question just asked, for follow-ups."),
            conversation_id: str | None = Query(None, max_length=64),
            limit: int = Query(8, ge=1, le=20)) -> dict:
    """The article's explore panel: `{"key_points": [{"text", "citations"}], "questions":
    [{"question", "answer_preview", "kind", "citations", "bridge", ...}]}`.

    It is made once per article when the article is prepared (after ingest). Until then the
    answer is `{"key_points": [], "questions": [], "pending": true}` and the article is
    prepared in the background: ask again shortly.
    """
    if not request.app.state.preparation.ready(article_id, request.app.state.settings.related_wait):
        return {"article_id": article_id, "key_points": [], "questions": [], "pending": True}
    ng = nutgraf(request)
    result = ng.related(article_id, after=after, conversation_id=conversation_id, limit=limit)
    ng.panel_shown(result["questions"])
    if after is None and conversation_id is None:
        # The same for every reader of the article: browsers and CDNs may keep it briefly.
        response.headers["Cache-Control"] = "public, max-age=60"
    return result


# -- articles


class ArticleList(BaseModel):
    articles: list[ArticleSummary]
    total: int = Field(description="Articles in the archive, on every page.")
    limit: int
    offset: int


@router.get("/articles", response_model=ArticleList)
def list_articles(request: Request, limit: int = Query(100, ge=1, le=1000),
                  offset: int = Query(0, ge=0, description="Articles to skip, newest first.")) -> dict:
    """Ingested articles, newest first, one page at a time: `total` says how many there are."""
    ng = nutgraf(request)
    page = ng.articles(limit=limit, offset=offset)
    return {"articles": [a.to_dict() for a in page], "total": ng.article_count(), "limit": limit,
            "offset": offset}


@router.get("/articles/{article_id}")
def get_article(request: Request, article_id: str) -> dict:
    """One article: metadata, text, sentences with offsets, entities, quotes and dates."""
    return nutgraf(request).article(article_id).to_dict()


DOCUMENT_EXAMPLE = {"title": "Council approves footbridge", "text": "The council voted 7 to 2 ...",
                    "url": "https://news.example.org/footbridge", "published": "2024-03-15",
                    "source": "Example Gazette", "authors": ["Dana Whitfield"]}


@router.post("/articles", dependencies=[Depends(require_admin)])
def ingest(request: Request, payload: dict[str, Any] | list[dict[str, Any]] = Body(openapi_examples={
        "document": {"value": DOCUMENT_EXAMPLE},
        "documents": {"value": [DOCUMENT_EXAMPLE]},
        "url": {"value": {"url": "https://news.example.org/footbridge"}}})) -> dict:
    """Ingest a document, a list of documents, or `{"url": ...}` to fetch a page or feed.

    Needs an admin key. Each article gets a result (added, updated, unchanged or failed);
    when none succeeds the answer is a 400 error. The related questions of every added or
    updated article are then prepared in the background (read by the model, explore panel).
    """
    ng = nutgraf(request)
    if isinstance(payload, dict) and "url" in payload and not any(payload.get(f) for f in TEXT_FIELDS):
        outcomes = list(ng.ingest([_web_url(payload["url"])]))
    else:
        outcomes = _ingest_documents(ng, payload if isinstance(payload, list) else [payload])
    if all(o.failed for o in outcomes):
        first = next((o.error for o in outcomes if o.error), "nothing to ingest")
        raise InputError(f"nothing was ingested: {first}")
    if request.app.state.settings.related_on_ingest:
        # Readers arrive soon after publication: have the articles prepared for them.
        ng.queue_preparation([o.article_id for o in outcomes if o.status in ("added", "updated")])
    return {"results": [o.to_dict() for o in outcomes]}


def _web_url(url: Any) -> str:
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise InputError("url must be an http:// or https:// address")
    return url


def _ingest_documents(ng: Nutgraf, items: list[dict[str, Any]]) -> list[IngestOutcome]:
    outcomes: list[IngestOutcome | None] = []
    documents = []
    for number, item in enumerate(items, 1):
        origin = f"request#{number}"
        try:
            document = json_document(item)
        except InputError as error:
            outcomes.append(IngestOutcome(origin, "failed", title=item.get("title"), error=str(error)))
            continue
        document.origin = origin
        documents.append(document)
        outcomes.append(None)
    ingested = iter(ng.ingest_documents(documents))
    return [outcome or next(ingested) for outcome in outcomes]


# -- feedback


class CitedSentence(BaseModel):
    article_id: str = Field(max_length=64)
    sentence_index: int = Field(ge=0)
    text: str | None = Field(default=None, max_length=5000)


class FeedbackRequest(BaseModel):
    rating: Literal["helpful", "not_helpful", "wrong_citation"]
    question: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    answer: str | None = Field(default=None, max_length=5000,
                               description="The answer shown, or the note when it abstained.")
    citations: list[CitedSentence] = Field(default_factory=list, max_length=20)
    article_id: str | None = Field(default=None, max_length=64)
    conversation_id: str | None = Field(default=None, max_length=64)
    comment: str | None = Field(default=None, max_length=2000)
    ask_id: str | None = Field(default=None, pattern="^[0-9a-f]{16}$",
                               description="The `ask_id` of the answer rated, to keep the rating with its ask.")


@router.post("/feedback", status_code=201)
def feedback(request: Request, body: FeedbackRequest) -> dict:
    """A reader's rating of an answer: helpful, not helpful, or a wrong citation."""
    return {"id": nutgraf(request).add_feedback(Feedback(**body.model_dump())).id}


@router.get("/feedback", dependencies=[Depends(require_admin)])
def list_feedback(request: Request, limit: int = Query(100, ge=1, le=1000),
                  since: str | None = Query(None, max_length=40, examples=["2025-10-01"],
                                            description="Only feedback received at or after this time.")) -> dict:
    """Feedback received, newest first (needs an admin key)."""
    return {"feedback": [f.to_dict() for f in nutgraf(request).feedback(since=since, limit=limit)]}


# -- what readers ask, for the newsroom


@router.get("/insights", dependencies=[Depends(require_admin)])
def insights(request: Request, article_id: str | None = Query(None, max_length=64),
             since: str | None = Query(None, max_length=40, examples=["2025-10-01"],
                                       description="Only questions asked on or after this day."),
             limit: int = Query(20, ge=1, le=1000, description="Rows in each list.")) -> dict:
    """What readers asked about an article (or the whole archive): asks per day and grade,
    near-identical questions grouped, the story gaps (groups mostly left unanswered, most
    asked first), answers rated badly, and how often the explore panel's questions were
    opened when shown (needs an admin key)."""
    return nutgraf(request).insights(article_id, since=since, limit=limit)
