"""nutgraf: grounded answers and related questions about news articles."""

from .api import Nutgraf
from .errors import InputError, ModelError, NotFound, NutgrafError
from .settings import Settings

__all__ = ["Nutgraf", "Settings", "NutgrafError", "InputError", "NotFound", "ModelError"]
