"""The HTTP server: the JSON API, the embeddable widget and a demo site (``nutgraf serve``)."""

from .app import create_app
from .settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]
