"""The ``nutgraf`` command. Every command calls the Python API in :mod:`nutgraf.api`."""

from ..eval.cli import eval_group
from .archive import articles, show
from .ask import ask, related, search
from .ingest import ingest, prepare, reindex
from .insights import insights
from .main import cli
from .models import cache, models
from .reader_data import feedback, gc
from .serve import serve

for command in (ingest, prepare, reindex, articles, show, search, ask, related, models, cache, feedback, gc,
                insights, serve, eval_group):
    cli.add_command(command)

__all__ = ["cli"]
