"""Language models behind one small protocol: packaged GGUF files, local GGUF files, or
any OpenAI-compatible server.

    model = load_model()                                   # the default packaged model
    model = load_model("qwen2.5-0.5b")                     # another packaged model
    model = load_model("/models/mistral.Q4_K_M.gguf")      # any local GGUF file
    model = load_model("http://localhost:8080/v1#qwen")    # a server, and its model name
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ..errors import InputError, ModelError
from .base import LLM, Completion, Message, TokenChoice, option_logprobs
from .packaged import PACKAGED_MODELS, ModelInfo, list_models, model_path

from ..settings import DEFAULT_MODEL, current

__all__ = [
    "DEFAULT_MODEL",
    "LLM",
    "Completion",
    "Message",
    "ModelInfo",
    "TokenChoice",
    "list_models",
    "load_model",
    "model_path",
    "option_logprobs",
]

_loaded: dict[tuple[str, tuple[tuple[str, Any], ...]], LLM] = {}
_loading = threading.Lock()


def load_model(spec: str = DEFAULT_MODEL, *, threads: int | None = None, **options: Any) -> LLM:
    """The model ``spec`` names, loaded once per process and shared afterwards.

    ``spec`` is a packaged model name, a path to a .gguf file, or an ``http(s)://`` base
    URL of an OpenAI-compatible API (``.../v1``), optionally ending in ``#model-name``.
    ``threads`` is for a local model (default: the ``llm_threads`` setting); a server has
    its own. ``options`` go to the backend: ``n_ctx``, ``parallel``, ``kv_type``, ``states``
    for local models (whose evaluated article prefixes are kept in the state cache, see
    :mod:`nutgraf.llm.states`); ``model``, ``api_key``, ``timeout`` for servers.
    """
    served = spec.startswith(("http://", "https://"))
    if threads is not None and not served:
        options["n_threads"] = threads
    key = (spec, tuple(sorted(options.items())))
    with _loading:
        model = _loaded.get(key)
        if model is None:
            model = _loaded[key] = _open(spec, **options)
        return model


def _open(spec: str, **options: Any) -> LLM:
    if spec.startswith(("http://", "https://")):
        from .openai_compat import OpenAICompatibleModel

        base_url, _, fragment = spec.partition("#")
        name = options.pop("model", None) or fragment or None
        return OpenAICompatibleModel(base_url, name, **options)

    from .llamacpp import LlamaCppModel
    from .states import default_store

    options.setdefault("states", default_store())
    options.setdefault("kv_type", current().kv_type)
    if spec in PACKAGED_MODELS:
        return LlamaCppModel(model_path(spec), name=spec, sha256=PACKAGED_MODELS[spec].sha256, **options)
    path = Path(spec).expanduser()
    if path.suffix == ".gguf" or path.exists():
        if not path.is_file():
            raise ModelError(f"no model file at {path}")
        return LlamaCppModel(path, **options)
    known = ", ".join(PACKAGED_MODELS)
    raise InputError(
        f"unknown model {spec!r}: give a packaged model ({known}), a .gguf file or an http(s) URL"
    )
