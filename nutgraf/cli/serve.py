"""``nutgraf serve``: the HTTP API, the widget and the demo site."""

from __future__ import annotations

import os

import click

from ..settings import Settings, help_text
from .common import model_option, reports_errors


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes; each loads its own copy of the models.")
@model_option
@click.option("--risk", type=click.FloatRange(0, 1, min_open=True, max_open=True), help=help_text("risk"))
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
@click.option("--model-queue", type=click.IntRange(min=0), metavar="N", help=help_text("model_queue"))
@click.pass_obj
@reports_errors
def serve(settings, host, port, workers, model, risk, min_confidence, admin_keys, cors_origins, max_body, rate_limit,
          rate_burst, model_queue):
    """Serve the HTTP API, the embeddable widget and a demo site.

    \b
    Demo site:  http://HOST:PORT/
    API docs:   http://HOST:PORT/docs  (OpenAPI at /openapi.json)
    Widget:     <script src="http://HOST:PORT/widget.js" data-article="ID"></script>
    """
    import uvicorn

    settings = settings.with_values(
        model=model, risk=risk, min_confidence=min_confidence, admin_keys=admin_keys or None,
        cors_origins=cors_origins or None, max_body_bytes=max_body, rate_limit=rate_limit,
        rate_burst=rate_burst, model_queue=model_queue)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"nutgraf: demo site at http://{shown}:{port}/ and API docs at http://{shown}:{port}/docs",
               err=True)
    # A model call cannot be interrupted: stopping waits this long for running requests, then quits.
    uvicorn.run(_app(settings, workers), host=host, port=port, workers=workers, factory=workers > 1,
                timeout_graceful_shutdown=10)


def _app(settings: Settings, workers: int):
    """The app itself for one process; for several, the factory each worker process calls,
    which reads the settings from the environment: uvicorn starts them from an import
    string, so this process leaves them its settings there."""
    if workers == 1:
        from ..server.app import create_app  # FastAPI and the models: loaded to serve only

        return create_app(settings)
    os.environ.update(settings.to_env())
    return "nutgraf.server.app:app_from_env"
