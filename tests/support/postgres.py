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


@dataclass
class PostgresServer:
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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL per test process, on loopback, stopped when the session ends."""
    binaries = _bin_dir()
    prefix, uid = _as_postgres()
    folder = Path(tempfile.mkdtemp(prefix="antavo-pg-"))
    if uid is not None:
        os.chown(folder, uid, -1)
    data = folder / "data"
    run = {"check": True, "capture_output": True, "text": True, "timeout": START_TIMEOUT}
    subprocess.run(
        [
            *prefix,
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        ],
        **run,  # type: ignore[call-overload]
    )
    port = _free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    try:
        subprocess.run(
            [
                *prefix,
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(folder / "log"),
                "-w",
                "start",
            ],
            **run,  # type: ignore[call-overload]
        )
    except subprocess.CalledProcessError as exc:
        log = (folder / "log").read_text() if (folder / "log").exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{log}") from None
    try:
        yield PostgresServer(port, folder, itertools.count(1))
    finally:
        subprocess.run(
            [*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], check=False
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Callable[[], str]:
    """Make a new migrated database on the session's server; its URL."""
    from stores import migrate

    return lambda: migrate(postgres_server.new_database())
