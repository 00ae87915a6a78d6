"""Every setting of nutgraf in one object, read from the environment once.

One precedence, the same for the Python API, the command line and the server: a value given
explicitly (an argument to :class:`~nutgraf.Nutgraf`, a command-line option) wins over the
environment (``NUTGRAF_`` and the setting's name in capitals), which wins over the default
written here.

    from nutgraf.settings import current
    current().model                          # NUTGRAF_MODEL, else DEFAULT_MODEL
    current().with_values(model="none")      # the same settings, answering extractively

The environment is read at the edges only: by ``Nutgraf()`` when it is given no settings,
by the command line and by the server's app factory. From there one ``Settings`` object is
handed down to whatever reads a setting; a function deeper in given none uses
:func:`defaults`, never the environment, so that settings given in code are the ones used.

docs/cli.md lists every setting; a test keeps that table and this class in step. A new
setting is one more field here (with a description) and one more row there.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .errors import InputError

ENV_PREFIX = "NUTGRAF_"
DEFAULT_MODEL = "qwen2.5-coder-1.5b"
SECRETS = ("llm_api_key", "admin_keys")  # never repeated in an error message

# Lists are written comma-separated in the environment, not as JSON.
CommaList = Annotated[tuple[str, ...], NoDecode]


def _unset(text: str) -> dict[str, Any]:
    """What an unset (None) setting means, for the help text and the docs."""
    return {"unset": text}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, extra="forbid",
                                      frozen=True)

    # -- the archive and the answers
    db: str | None = Field(None, description="SQLite file or PostgreSQL URL of the archive.",
                           json_schema_extra=_unset("nutgraf.db in the user data directory"))
    model: str = Field(DEFAULT_MODEL, min_length=1, description=(
        "Language model that reads the evidence: a packaged model name, a .gguf path, an "
        "OpenAI-compatible base URL (http://host/v1#model), or none for extractive answers."))
    risk: float = Field(0.05, gt=0, lt=1, description=(
        "Largest share of wrong answers among those shown, as measured on the tune questions: "
        "lower shows fewer answers and abstains more."))
    closest_risk: float = Field(0.3, gt=0, lt=1, description=(
        "Largest share of sentences offered as where the article comes closest that do not "
        "hold the answer."))
    min_confidence: float | None = Field(None, ge=0, le=1, description=(
        "Answer only at this confidence or above, whatever the risk setting."),
        json_schema_extra=_unset("the threshold the risk sets"))
    conversation_days: float = Field(30, gt=0, description=(
        "Days a conversation is kept after its last question; then it expires."))

    # -- what readers ask, for the newsroom
    question_log: bool = Field(True, description=(
        "Keep a log of the questions readers ask and of the explore panel's questions shown and "
        "clicked, for `nutgraf insights` (0: keep none)."))
    question_log_days: float = Field(90, gt=0, description=(
        "Days an asked question is kept in the log; older ones are removed by the server and by "
        "`nutgraf gc`."))

    # -- models and threads
    llm_threads: int | None = Field(None, ge=1, description="Threads of a local (llama.cpp) model.",
                                    json_schema_extra=_unset("every core; half under `nutgraf serve`"))
    embedder_threads: int = Field(1, ge=1, description="Threads of the sentence embedder (onnxruntime).")
    models_dir: Path | None = Field(None, description="Where the packaged models are joined and kept.",
                                    json_schema_extra=_unset("models in the user cache directory"))
    llm_api_key: SecretStr | None = Field(None, description=(
        "API key sent to an OpenAI-compatible model server."), json_schema_extra=_unset("none"))
    state_dir: Path | None = Field(None, description=(
        "Where a local model keeps what it read of each article, for later questions and processes."),
        json_schema_extra=_unset("states in the user cache directory"))
    state_cache_mb: int = Field(4096, ge=0, description=(
        "Most megabytes of kept article states, least recently used out first; 0 keeps them in "
        "memory only."))
    kv_type: Literal["f16", "q8_0"] = Field("f16", description=(
        "Number format of a local model's attention cache: q8_0 halves the memory and the kept states."))
    model_queue: int = Field(8, ge=0, description=(
        "Questions one process lets wait for its language model at once; more are refused at once "
        "(HTTP 429 with Retry-After). Answers that need no model never wait. 0: no bound."))

    # -- the HTTP server
    admin_keys: CommaList = Field((), description=(
        "Keys that allow ingest and reading feedback over HTTP (comma-separated)."),
        json_schema_extra=_unset("none: admin requests are refused"))
    cors_origins: CommaList = Field((), description=(
        "Publisher origins whose pages may call the API (comma-separated)."), json_schema_extra=_unset("none"))
    max_body_bytes: int = Field(1_000_000, ge=1, description="Largest request body accepted.")
    rate_limit: float = Field(2.0, ge=0, description=(
        "Sustained API requests per second per client IP; 0 turns the limit off."))
    rate_burst: int = Field(30, ge=1, description="API requests a client may make at once.")
    related_wait: float = Field(3.0, ge=0, description=(
        "Seconds a related-questions request waits for questions being worked out."))
    related_on_ingest: bool = Field(True, description=(
        "Prepare an article (model reading, explore panel) as soon as it is ingested over HTTP "
        "(0: when its first reader asks)."))
    prepare_worker: bool = Field(True, description=(
        "Run a worker on the shared preparation queue in each server process (0: leave it to "
        "other servers or `nutgraf prepare`)."))
    gc_interval: float = Field(3600, gt=0, description="Seconds between the server's expiry runs.")

    # -- PostgreSQL
    pg_pool_min: int = Field(1, ge=1, description="PostgreSQL connections kept open while idle.")
    pg_pool_max: int = Field(10, ge=1, description="Most PostgreSQL connections one process opens.")
    pg_pool_timeout: float = Field(30, gt=0, description=(
        "Seconds a request waits for a free PostgreSQL connection."))
    pg_ef_search: int = Field(100, ge=1, description=(
        "HNSW candidate list (hnsw.ef_search): higher finds more of the exact nearest sentences, slower."))

    # -- evaluation
    eval_dir: Path | None = Field(None, description="The evaluation data sets.",
                                  json_schema_extra=_unset("shared/eval beside the repository"))

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise InputError(describe(error)) from None

    @field_validator("admin_keys", "cors_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    def with_values(self, **values: Any) -> Settings:
        """These settings with ``values`` in place of theirs; None means not given."""
        given = {name: value for name, value in values.items() if value is not None}
        if not given:
            return self
        try:
            # Validated as given, without reading the environment again.
            return type(self).model_validate({**dict(self), **given})
        except ValidationError as error:
            raise InputError(describe(error)) from None

    def to_env(self) -> dict[str, str]:
        """The environment from which :func:`current` reads these settings back (how
        ``nutgraf serve`` hands its options to its worker processes)."""
        return {env_name(name): _env_value(value) for name, value in self}


def env_name(setting: str) -> str:
    return ENV_PREFIX + setting.upper()


def default_text(setting: str) -> str:
    """The default of ``setting`` as the help and docs show it."""
    field = Settings.model_fields[setting]
    if field.default is None or field.default == ():
        return field.json_schema_extra["unset"]
    return _env_value(field.default)


def help_text(setting: str, text: str | None = None) -> str:
    """Help for a command-line option that sets ``setting``: ``text`` (default: the
    setting's description), its variable and its default."""
    text = text or Settings.model_fields[setting].description
    return f"{text} [env: {env_name(setting)}; default: {default_text(setting)}]"


def describe(error: ValidationError) -> str:
    """One line naming the setting, its variable and what is wrong with the value."""
    problem = error.errors()[0]
    setting = str(problem["loc"][0]) if problem["loc"] else "settings"
    if problem["type"] == "extra_forbidden":
        return f"unknown setting {setting!r}"
    shown = "(hidden)" if setting in SECRETS else repr(problem.get("input"))
    return f"setting {setting} ({env_name(setting)}): {problem['msg'].lower()}, not {shown}"


def _env_value(value: Any) -> str:
    if value is None:
        return ""  # an empty variable counts as unset
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def defaults() -> Settings:
    """Every setting at its default, whatever the environment says."""
    return _DEFAULTS


def current() -> Settings:
    """The settings the environment gives, parsed once (again only if it changes)."""
    return _parsed(tuple(sorted((key, value) for key, value in os.environ.items()
                                if key.upper().startswith(ENV_PREFIX))))


@lru_cache(maxsize=8)
def _parsed(environment: tuple[tuple[str, str], ...]) -> Settings:
    return Settings()


_DEFAULTS = Settings.model_construct()  # the defaults as written above, no environment read
