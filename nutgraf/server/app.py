"""The nutgraf web app: the JSON API, the widget and the demo site in one ASGI application.

    uvicorn --factory nutgraf.server.app:app_from_env     # settings from the environment
    create_app(Settings(db="news.db", model="none"))      # in code and tests
"""

from __future__ import annotations

import asyncio
import logging
import os
from contextlib import asynccontextmanager, suppress
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from ..api import Nutgraf
from ..errors import NutgrafError
from . import insights_page, pages, routes
from .errors import install_error_handlers
from ..settings import Settings, current
from .limits import BodyLimit, RateLimit
from .preparation import Preparation

log = logging.getLogger(__name__)

DESCRIPTION = """Grounded answers about news articles: every answer cites the exact sentences it
comes from, or says plainly that the articles do not answer the question.

Errors are JSON: `{"error": {"code": ..., "message": ...}}`."""


def _version() -> str:
    try:
        return version("nutgraf")
    except PackageNotFoundError:
        return "0"


def serving_threads() -> int:
    """A server's llama.cpp threads unless set: half the cores (at least one). It answers
    many readers at once, and a model on every core slows down sharply beside the other
    requests (see :func:`nutgraf.llm.llamacpp.default_threads`)."""
    return max(1, len(os.sched_getaffinity(0)) // 2)


def create_app(settings: Settings) -> FastAPI:
    """The app, configured by ``settings`` and nothing else."""
    if settings.llm_threads is None:
        settings = settings.with_values(llm_threads=serving_threads())
    app = FastAPI(title="nutgraf", version=_version(), description=DESCRIPTION, lifespan=_lifespan,
                  redoc_url=None)
    app.state.settings = settings
    app.state.nutgraf = Nutgraf(settings=settings)
    app.state.preparation = Preparation(app.state.nutgraf, settings.prepare_worker)
    install_error_handlers(app)
    app.include_router(routes.router)
    app.include_router(pages.router)
    app.include_router(insights_page.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["health"])
    # Added last means outermost: CORS headers reach even the 413 and 429 answers.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RateLimit, rate=settings.rate_limit, burst=settings.rate_burst)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["Content-Type", "Authorization"],
                           expose_headers=["Retry-After"], max_age=600)
    return app


def app_from_env() -> FastAPI:
    """The app for ``nutgraf serve``'s worker processes, configured by the environment it sets
    for them (a process uvicorn starts is given an import string, not the settings)."""
    return create_app(current())


def healthz(request: Request) -> dict:
    """Up, its version, the preparation queue (articles waiting, being prepared, done and
    failed, and whether this process runs a worker on it) and the questions this process has
    waiting for its language model against how many it lets wait (0: no bound)."""
    app = request.app
    queue = app.state.nutgraf.answerer.queue
    return {"status": "ok", "version": _version(), "preparation": {
        "queue": app.state.nutgraf.preparation_queue(), "worker": app.state.preparation.working},
        "model_queue": {"waiting": queue.holding, "capacity": queue.capacity}}


@asynccontextmanager
async def _lifespan(app: FastAPI):
    nutgraf: Nutgraf = app.state.nutgraf
    await run_in_threadpool(_warm_up, nutgraf)
    expiry = asyncio.create_task(_expire_reader_data(nutgraf, app.state.settings.gc_interval))
    app.state.preparation.start()
    yield
    expiry.cancel()
    with suppress(asyncio.CancelledError):
        await expiry  # an expiry run in progress finishes before the store closes
    await run_in_threadpool(app.state.preparation.stop)
    nutgraf.close()


async def _expire_reader_data(nutgraf: Nutgraf, interval: float) -> None:
    """Remove expired conversations and asked questions now and every ``interval`` seconds.
    With several workers or servers each does it; each is deleted once all the same."""
    while True:
        try:
            removed, cutoff = await run_in_threadpool(nutgraf.expire_conversations)
            if removed:
                log.info("removed %d conversations last used before %s", removed, cutoff.isoformat())
            removed, cutoff = await run_in_threadpool(nutgraf.expire_asks)
            if removed:
                log.info("removed %d asked questions from before %s", removed, cutoff.isoformat())
        except NutgrafError as error:
            log.warning("expiry of reader data failed: %s", error)
        await asyncio.sleep(interval)


def _warm_up(nutgraf: Nutgraf) -> None:
    """Load the models before the first reader waits for them; a missing model is reported
    here and again, as a 503, to every question that needs it."""
    try:
        log.info("answering in %s mode", nutgraf.answerer.mode)
    except NutgrafError as error:
        log.error("%s", error)
