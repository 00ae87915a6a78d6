"""nutgraf: grounded answers and related questions about news articles."""

from .api import Nutgraf
from .errors import InputError, ModelError, NotFound, NutgrafError

__all__ = ["Nutgraf", "NutgrafError", "InputError", "NotFound", "ModelError"]
