"""Errors nutgraf raises on purpose. Each message is one line a user can act on."""


class NutgrafError(Exception):
    """Base class: the CLI prints these as one line and exits non-zero; HTTP maps them to 4xx."""

    http_status = 400


class InputError(NutgrafError):
    """The user's input (a file, a question, an option) cannot be used."""


class NotFound(NutgrafError):
    http_status = 404


class FetchError(InputError):
    """A URL could not be fetched (unreachable, refused, too large, not allowed)."""


class ModelError(NutgrafError):
    """A model file is missing, corrupt or cannot be loaded."""

    http_status = 503


class Busy(NutgrafError):
    """Too many questions are waiting for the language model; ask again in ``retry_after`` seconds."""

    http_status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class StoreError(NutgrafError):
    """The database cannot be opened or is from an incompatible version."""

    http_status = 503
