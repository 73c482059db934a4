"""Migration 0011 keeps the audit trail a database already had: its rows become a chain that verifies."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from receiver.store.audit import verify
from receiver.store.sql.config_state import SqlConfigState
from receiver.store.sql.engine import make_engine
from receiver.store.sql.migrate import alembic_config


def _migrate(path: Path, revision: str, *, down: bool = False) -> None:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)
    finally:
        engine.dispose()


def test_the_old_trail_is_linked_into_the_chain_and_comes_back_on_downgrade(tmp_path: Path):
    path = tmp_path / "old.db"
    _migrate(path, "0010")
    old = [
        (1_764_000_000_000_000, "session 0123456789", "Settings: Outbound settings", [["outbound.region", "us", "eu"]]),
        (1_764_000_100_000_000, "session abcdef0123", "Mapping Quiz → point_add: created", []),
        (1_764_000_200_000_000, "session abcdef0123", "Mapping Quiz → point_add: deleted", []),
    ]
    with sqlite3.connect(path) as db:
        for at, session, what, changes in old:
            stored = [{"field": f, "before": b, "after": a} for f, b, a in changes]
            db.execute(
                "INSERT INTO config_audit (at, session, what, changes) VALUES (?, ?, ?, ?)",
                (at, session, what, json.dumps(stored)),
            )
    _migrate(path, "head")

    async def chain() -> list[tuple[int, str, str, str]]:
        engine = make_engine(f"sqlite:///{path}")
        try:
            found = await SqlConfigState(engine).audit_chain()
        finally:
            await engine.dispose()
        assert verify(found) == [] and found.head.seq == 3
        assert found.records[0].entry.changes[0].after == "eu"
        return [(r.seq, r.entry.actor, r.entry.action, r.entry.what) for r in found.records]

    assert asyncio.run(chain()) == [
        (1, "session 0123456789", "settings.save", "Settings: Outbound settings"),
        (2, "session abcdef0123", "mapping.create", "Mapping Quiz → point_add: created"),
        (3, "session abcdef0123", "mapping.delete", "Mapping Quiz → point_add: deleted"),
    ]
    _migrate(path, "0010", down=True)
    with sqlite3.connect(path) as db:
        back = db.execute("SELECT at, session, what FROM config_audit ORDER BY seq").fetchall()
    assert back == [(at, session, what) for at, session, what, _ in old]
