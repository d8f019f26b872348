"""The SQLite session store writes with WAL and synchronous=NORMAL (chat latency, issue 13)."""

from __future__ import annotations

from pathlib import Path

from bot.sessions import SqliteSessionStore


def test_wal_and_normal_sync(tmp_path: Path) -> None:
    store = SqliteSessionStore(tmp_path / "sessions.db")
    try:
        conn = store._conn  # the connection settings are what is tested
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    finally:
        store.close()
