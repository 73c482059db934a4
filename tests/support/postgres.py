"""A real PostgreSQL for the tests, started from Debian's binaries by the test session itself.

Each pytest process (each xdist worker) runs its own server: `initdb` into a temporary folder,
`pg_ctl start` on a free loopback port, `pg_ctl stop` at the end. PostgreSQL refuses to run as
root, so under root (as in CI) both run as the unprivileged `postgres` user, in a folder that
user owns. A missing binary is an error that says what to install, never a skip.
"""

from __future__ import annotations

import asyncio
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BINARIES = "/usr/lib/postgresql/*/bin"
START_TIMEOUT = 60


def _bin_dir() -> Path:
    found = sorted(glob.glob(BINARIES), reverse=True)
    if not found or not Path(found[0], "initdb").exists():
        raise RuntimeError(
            f"PostgreSQL's server binaries are missing ({BINARIES}/initdb): install them with "
            "`apt-get install -y postgresql` (the README's test command does it)"
        )
    return Path(found[0])


def _as_postgres() -> tuple[list[str], int | None]:
    """The command prefix that drops root (and the uid to own the data folder), or nothing when not root."""
    if os.geteuid() != 0:
        return [], None
    import pwd

    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("running as root and there is no `postgres` user to run PostgreSQL as") from None
    return ["runuser", "-u", "postgres", "--"], user.pw_uid


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """One PostgreSQL cluster in its own folder, on its own loopback port."""

    port: int
    folder: Path
    _names: Iterator[int]

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new, empty database on this server; its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"

        async def create() -> None:
            import asyncpg

            conn = await asyncpg.connect(self.url(), timeout=10)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(create())
        return self.url(name)

    def _ctl(self, *args: str, check: bool = True) -> None:
        prefix, _ = _as_postgres()
        data = self.folder / "data"
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        command = [*prefix, str(_bin_dir() / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.folder / "log")]
        try:
            subprocess.run([*command, *args], check=check, capture_output=True, text=True, timeout=START_TIMEOUT)
        except subprocess.CalledProcessError as exc:
            log = (self.folder / "log").read_text() if (self.folder / "log").exists() else ""
            raise RuntimeError(f"pg_ctl {' '.join(args)} failed: {exc.stderr}\n{log}") from None

    def start(self) -> None:
        self._ctl("-w", "start")

    def stop(self) -> None:
        """Stop at once, as a crash or an outage would (`-m immediate`)."""
        self._ctl("-m", "immediate", "-w", "stop", check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """`initdb` into a new temporary folder, then start it on a free loopback port."""
    binaries = _bin_dir()
    prefix, uid = _as_postgres()
    folder = Path(tempfile.mkdtemp(prefix="antavo-pg-"))
    if uid is not None:
        os.chown(folder, uid, -1)
    command = [*prefix, str(binaries / "initdb"), "-D", str(folder / "data"), "-U", "postgres", "-A", "trust"]
    done = subprocess.run(
        [*command, "--no-sync", "-E", "UTF8"], capture_output=True, text=True, timeout=START_TIMEOUT, check=False
    )
    if done.returncode:
        raise RuntimeError(f"initdb failed: {done.stderr}")
    server = PostgresServer(_free_port(), folder, itertools.count(1))
    server.start()
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL per test process, on loopback, stopped when the session ends."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Callable[[], str]:
    """Make a new migrated database on the session's server; its URL."""
    from stores import migrate

    return lambda: migrate(postgres_server.new_database())
