"""Language models behind one small protocol: packaged GGUF files, local GGUF files, or
any OpenAI-compatible server.

    model = load_model()                                   # the default packaged model
    model = load_model("qwen2.5-coder-0.5b")               # another packaged model
    model = load_model("/models/mistral.Q4_K_M.gguf")      # any local GGUF file
    model = load_model("http://localhost:8080/v1#qwen")    # a server, and its model name
    model = load_model(spec, settings)                     # threads, caches, key: from settings
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ..errors import InputError, ModelError
from ..settings import DEFAULT_MODEL, Settings, defaults
from .base import LLM, Completion, Message, TokenChoice, option_logprobs
from .packaged import PACKAGED_MODELS, ModelInfo, find_packaged, list_models, model_path
from .prefix_cache import PrefixCache

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

# The settings that make one model differ from another of the same spec.
LOCAL_SETTINGS = ("models_dir", "llm_threads", "kv_type", "state_dir", "state_cache_mb")
SERVER_SETTINGS = ("llm_api_key",)

_loaded: dict[tuple, LLM] = {}
_loading = threading.Lock()


def load_model(spec: str = DEFAULT_MODEL, settings: Settings | None = None, **options: Any) -> LLM:
    """The model ``spec`` names, loaded once per process and shared afterwards.

    ``spec`` is a packaged model name, a path to a .gguf file, or an ``http(s)://`` base
    URL of an OpenAI-compatible API (``.../v1``), optionally ending in ``#model-name``.
    ``settings`` give a local model its threads (``llm_threads``), its attention cache
    (``kv_type``), where packaged models are kept (``models_dir``) and where what it read is
    kept (``state_dir``, ``state_cache_mb``; see :mod:`nutgraf.llm.prefix_cache`); a server its
    ``llm_api_key``. Without them, the defaults. ``options`` go to the backend over the
    settings: ``n_ctx``, ``n_threads``, ``parallel``, ``kv_type``, ``prefix_cache`` for local
    models; ``model``, ``api_key``, ``timeout`` for servers.
    """
    settings = settings or defaults()
    if (packaged := find_packaged(spec)) is not None:
        spec = packaged.name  # a former name loads the same model, once
    relevant = SERVER_SETTINGS if _served(spec) else LOCAL_SETTINGS
    key = (spec, tuple(getattr(settings, name) for name in relevant), tuple(sorted(options.items())))
    with _loading:
        model = _loaded.get(key)
        if model is None:
            model = _loaded[key] = _open(spec, settings, **options)
        return model


def _served(spec: str) -> bool:
    return spec.startswith(("http://", "https://"))


def _open(spec: str, settings: Settings, **options: Any) -> LLM:
    if _served(spec):
        from .openai_compat import OpenAICompatibleModel

        base_url, _, fragment = spec.partition("#")
        name = options.pop("model", None) or fragment or None
        key = settings.llm_api_key
        options.setdefault("api_key", key.get_secret_value() if key else None)
        return OpenAICompatibleModel(base_url, name, **options)

    from .llamacpp import LlamaCppModel  # llama.cpp loads only when a local model is asked for

    options.setdefault("prefix_cache", PrefixCache.from_settings(settings))
    options.setdefault("kv_type", settings.kv_type)
    options.setdefault("n_threads", settings.llm_threads)
    packaged = find_packaged(spec)
    if packaged is not None:
        path = model_path(packaged.name, settings.models_dir)
        return LlamaCppModel(path, name=packaged.name, sha256=packaged.sha256, **options)
    path = Path(spec).expanduser()
    if path.suffix == ".gguf" or path.exists():
        if not path.is_file():
            raise ModelError(f"no model file at {path}")
        return LlamaCppModel(path, **options)
    known = ", ".join(PACKAGED_MODELS)
    raise InputError(
        f"unknown model {spec!r}: give a packaged model ({known}), a .gguf file or an http(s) URL"
    )
