"""The HTTP server: the JSON API, the embeddable widget and a demo site (``nutgraf serve``)."""

from .app import create_app

__all__ = ["create_app"]
