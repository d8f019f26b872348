"""Session store: conversation turns, interview state and feedback in SQLite under BOT_DATA_DIR."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL,
    text TEXT NOT NULL, query TEXT NOT NULL DEFAULT '', created REAL NOT NULL,
    PRIMARY KEY (session_id, seq));
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS interviews (
    id TEXT PRIMARY KEY, session_id TEXT, state TEXT NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT, rating INTEGER NOT NULL,
    message TEXT NOT NULL, answer TEXT NOT NULL, created REAL NOT NULL);
"""


def new_id() -> str:
    """Return a fresh random identifier."""
    return uuid.uuid4().hex


class SessionStore:
    """Thread-safe SQLite store that survives restarts."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.Lock()
        with self._lock:
            self._conn.executescript(_SCHEMA)

    def create_session(self) -> str:
        """Create a session and return its id."""
        sid = new_id()
        with self._lock:
            self._conn.execute("INSERT INTO sessions VALUES (?, ?)", (sid, time.time()))
        return sid

    def has_session(self, session_id: str) -> bool:
        """Return whether the session exists."""
        with self._lock:
            row = self._conn.execute("SELECT 1 FROM sessions WHERE id=?", (session_id,)).fetchone()
        return row is not None

    def add_turn(self, session_id: str, role: str, text: str, query: str = "") -> None:
        """Append a turn (role `user` or `assistant`); `query` is the standalone retrieval query."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COALESCE(MAX(seq), -1) + 1 FROM turns WHERE session_id=?", (session_id,)
            ).fetchone()
            self._conn.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, row[0], role, text, query, time.time()),
            )

    def turns(self, session_id: str, limit: int = 20) -> list[dict[str, str]]:
        """Return the last `limit` turns, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT role, text, query FROM turns WHERE session_id=? ORDER BY seq DESC LIMIT ?",
                (session_id, limit),
            ).fetchall()
        return [{"role": r, "text": t, "query": q} for r, t, q in reversed(rows)]

    def clear(self, session_id: str) -> None:
        """Forget a session's turns."""
        with self._lock:
            self._conn.execute("DELETE FROM turns WHERE session_id=?", (session_id,))

    def save_interview(
        self, interview_id: str, state: dict[str, Any], session_id: str = ""
    ) -> None:
        """Store an interview's whole state as JSON."""
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO interviews VALUES (?, ?, ?, ?)",
                (interview_id, session_id, json.dumps(state), time.time()),
            )

    def load_interview(self, interview_id: str) -> dict[str, Any] | None:
        """Return an interview's state, or None when unknown."""
        with self._lock:
            row = self._conn.execute(
                "SELECT state FROM interviews WHERE id=?", (interview_id,)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def add_feedback(self, session_id: str, rating: int, message: str, answer: str) -> None:
        """Record a thumbs up (1) or down (-1) on an answer."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO feedback (session_id, rating, message, answer, created)"
                " VALUES (?, ?, ?, ?, ?)",
                (session_id, rating, message, answer, time.time()),
            )

    def feedback_count(self) -> int:
        """Return how many feedback rows are stored."""
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._conn.close()
