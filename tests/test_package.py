"""The wheel carries every file nutgraf needs at run time, not only its Python modules.

An editable install reads data files from the source tree and so hides a file the package
leaves out; a wheel built here shows it. scripts/check-package.sh (run by CI) goes further:
it installs the wheel into a fresh venv and ingests and answers from it.
"""

import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in listed.decode().split("\0") if name and (ROOT / name).is_file()]


@pytest.mark.slow
def test_the_wheel_ships_every_file_of_the_package(tmp_path):
    source = tmp_path / "source"
    for name in tracked_files():  # only what a clean clone has
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(source),
                    "-w", str(tmp_path / "dist")], check=True, capture_output=True)
    [wheel] = (tmp_path / "dist").glob("nutgraf-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    needed = {name for name in tracked_files() if name.startswith("nutgraf/")}
    assert "nutgraf/answering/calibration.json" in needed
    assert needed - shipped == set()
