"""SQLite backend of the session store: one file under BOT_DATA_DIR (the embedded default)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from bot.sessions.base import ASSISTANT, USER, Activity, Purged, new_id

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL,
    text TEXT NOT NULL, query TEXT NOT NULL DEFAULT '', created REAL NOT NULL,
    citations TEXT NOT NULL DEFAULT '[]', verdict TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '', PRIMARY KEY (session_id, seq));
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, created REAL NOT NULL, last REAL NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS interviews (
    id TEXT PRIMARY KEY, session_id TEXT, state TEXT NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT, rating INTEGER NOT NULL,
    message TEXT NOT NULL, answer TEXT NOT NULL, created REAL NOT NULL, seq INTEGER);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Columns added after a table was first released: stores written by older versions get them.
_ADDED_COLUMNS = {
    "turns": {
        "citations": "TEXT NOT NULL DEFAULT '[]'",
        "verdict": "TEXT NOT NULL DEFAULT ''",
        "reason": "TEXT NOT NULL DEFAULT ''",
    },
    "sessions": {"last": "REAL NOT NULL DEFAULT 0"},
    "feedback": {"seq": "INTEGER"},
}
_INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS feedback_vote ON feedback (session_id, seq);
CREATE INDEX IF NOT EXISTS turns_created ON turns (created);
CREATE INDEX IF NOT EXISTS interviews_session ON interviews (session_id);
"""
_TURN_COLUMNS = "session_id, seq, role, text, query, citations, verdict, reason, created"


def open_sqlite(path: Path) -> sqlite3.Connection:
    """Open (creating or upgrading) the store's database file: the one place it is opened.

    A damaged file (not a database, failing SQLite's quick_check or its schema) is moved aside
    with one log line saying where, never deleted, and a new store is started.
    """
    from bot.heal import is_damage, move_aside, reason_of, sqlite_problem

    path.parent.mkdir(parents=True, exist_ok=True)
    problem = sqlite_problem(path)
    if problem:
        move_aside(path, "the session store", problem)
    try:
        return _connect(path)
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
        move_aside(path, "the session store", reason_of(exc))
        return _connect(path)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL syncs at checkpoints, not at every commit: a power cut may lose the
        # last turns but never corrupts the store (the SQLite docs call it safe in WAL mode).
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(_SCHEMA)
        for table, columns in _ADDED_COLUMNS.items():
            present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            for name, declaration in columns.items():
                if name not in present:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")
        conn.executescript(_INDEXES)
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def _turn(row: tuple[Any, ...]) -> dict[str, Any]:
    sid, seq, role, text, query, citations, verdict, reason, created = row
    return {
        "session_id": sid,
        "seq": seq,
        "role": role,
        "text": text,
        "query": query,
        "citations": json.loads(citations or "[]"),
        "verdict": verdict,
        "reason": reason,
        "created": created,
    }


class SqliteSessionStore:
    """Thread-safe SQLite store that survives restarts (one process; Redis for several)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = open_sqlite(path)
        self._lock = threading.Lock()

    def create_session(self) -> str:
        """Create a session and return its id."""
        sid, now = new_id(), time.time()
        with self._lock:
            self._conn.execute("INSERT INTO sessions VALUES (?, ?, ?)", (sid, now, now))
        return sid

    def has_session(self, session_id: str) -> bool:
        """Return whether the session exists."""
        with self._lock:
            row = self._conn.execute("SELECT 1 FROM sessions WHERE id=?", (session_id,)).fetchone()
        return row is not None

    def add_turn(
        self,
        session_id: str,
        role: str,
        text: str,
        query: str = "",
        citations: list[dict[str, Any]] | None = None,
        *,
        verdict: str = "",
        reason: str = "",
    ) -> int:
        """Append a turn and return its sequence number in the session."""
        cited, now = json.dumps(citations or [], ensure_ascii=False), time.time()
        with self._lock:
            row = self._conn.execute(
                "SELECT COALESCE(MAX(seq), -1) + 1 FROM turns WHERE session_id=?", (session_id,)
            ).fetchone()
            self._conn.execute(
                f"INSERT INTO turns ({_TURN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, row[0], role, text, query, cited, verdict, reason, now),
            )
            self._conn.execute("UPDATE sessions SET last=? WHERE id=?", (now, session_id))
        return int(row[0])

    def turns(self, session_id: str, limit: int = 20) -> list[dict[str, Any]]:
        """Return the last `limit` turns, oldest first: role, text, query, citations, verdict..."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_TURN_COLUMNS} FROM turns WHERE session_id=? ORDER BY seq DESC LIMIT ?",
                (session_id, limit),
            ).fetchall()
        return [_turn(r) for r in reversed(rows)]

    def clear(self, session_id: str) -> None:
        """Forget a session's turns (the session itself stays)."""
        with self._lock:
            self._conn.execute("DELETE FROM turns WHERE session_id=?", (session_id,))

    def delete_session(self, session_id: str) -> bool:
        """Remove a session with its turns, interviews and feedback; return whether it existed."""
        with self._lock, self._conn:
            self._conn.execute("BEGIN")
            gone = self._delete_sessions([session_id])
        return gone > 0

    def _delete_sessions(self, ids: list[str]) -> int:
        """Delete sessions and everything they own (caller holds the lock)."""
        gone = 0
        for sid in ids:
            for table, column in (("turns", "session_id"), ("feedback", "session_id")):
                self._conn.execute(f"DELETE FROM {table} WHERE {column}=?", (sid,))
            self._conn.execute("DELETE FROM interviews WHERE session_id=?", (sid,))
            gone += self._conn.execute("DELETE FROM sessions WHERE id=?", (sid,)).rowcount
        return gone

    def save_interview(
        self, interview_id: str, state: dict[str, Any], session_id: str = ""
    ) -> None:
        """Store an interview's whole state as JSON (activity for its session too)."""
        now = time.time()
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO interviews VALUES (?, ?, ?, ?)",
                (interview_id, session_id, json.dumps(state), now),
            )
            if session_id:
                self._conn.execute("UPDATE sessions SET last=? WHERE id=?", (now, session_id))

    def load_interview(self, interview_id: str) -> dict[str, Any] | None:
        """Return an interview's state, or None when unknown."""
        with self._lock:
            row = self._conn.execute(
                "SELECT state FROM interviews WHERE id=?", (interview_id,)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def interviews_for_practice(self, practice_id: str) -> list[dict[str, Any]]:
        """Return the states of the interviews whose state has this `practice_id`, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT state FROM interviews WHERE json_extract(state, '$.practice_id') = ?"
                " ORDER BY updated",
                (practice_id,),
            ).fetchall()
        return [dict(json.loads(r[0])) for r in rows]

    def find_answer(self, session_id: str, answer: str) -> tuple[int, str] | None:
        """Return the latest assistant turn with this text: its seq and the question before it."""
        with self._lock:
            row = self._conn.execute(
                "SELECT seq FROM turns WHERE session_id=? AND role=? AND text=?"
                " ORDER BY seq DESC LIMIT 1",
                (session_id, ASSISTANT, answer),
            ).fetchone()
            if row is None:
                return None
            question = self._conn.execute(
                "SELECT text FROM turns WHERE session_id=? AND role=? AND seq<?"
                " ORDER BY seq DESC LIMIT 1",
                (session_id, USER, row[0]),
            ).fetchone()
        return int(row[0]), question[0] if question else ""

    def add_feedback(
        self, session_id: str, seq: int, rating: int, question: str, answer: str
    ) -> None:
        """Record a thumbs up (1) or down (-1) on the answer at `seq`; a new vote replaces one."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO feedback (session_id, seq, rating, message, answer, created)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, seq) DO UPDATE SET"
                " rating=excluded.rating, created=excluded.created",
                (session_id, seq, rating, question, answer, time.time()),
            )

    def feedback_count(self) -> int:
        """Return how many feedback votes are stored."""
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])

    def purge(self, before: float, *, whole_sessions: bool = False) -> Purged:
        """Remove what is older than `before`; see `SessionStore.purge`."""
        done = Purged()
        with self._lock, self._conn:
            self._conn.execute("BEGIN")
            idle = self._conn.execute(
                "SELECT id FROM sessions WHERE MAX(created, last) < ?", (before,)
            ).fetchall()
            done.sessions = self._delete_sessions([r[0] for r in idle])
            done.interviews = self._delete_where("interviews", "updated", before)
            if not whole_sessions:
                done.turns = self._delete_where("turns", "created", before)
                done.feedback = self._delete_where("feedback", "created", before)
        return done

    def _delete_where(self, table: str, column: str, before: float) -> int:
        return int(
            self._conn.execute(f"DELETE FROM {table} WHERE {column} < ?", (before,)).rowcount
        )

    def activity(self, since: float) -> Activity:
        """Return the turns, feedback and interviews stored since `since`."""
        with self._lock:
            turns = self._conn.execute(
                f"SELECT {_TURN_COLUMNS} FROM turns WHERE created >= ? ORDER BY created, seq",
                (since,),
            ).fetchall()
            votes = self._conn.execute(
                "SELECT session_id, seq, rating, message, answer, created FROM feedback"
                " WHERE created >= ? ORDER BY created",
                (since,),
            ).fetchall()
            states = self._conn.execute(
                "SELECT state FROM interviews WHERE updated >= ? ORDER BY updated", (since,)
            ).fetchall()
        keys = ("session_id", "seq", "rating", "question", "answer", "created")
        return Activity(
            turns=[_turn(r) for r in turns],
            feedback=[dict(zip(keys, v, strict=True)) for v in votes],
            interviews=[dict(json.loads(s[0])) for s in states],
        )

    def index_version(self) -> int:
        """Return the index version recorded in this store."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key='index_version'").fetchone()
        return int(row[0]) if row else 0

    def bump_index_version(self) -> int:
        """Increase the index version and return it."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO meta VALUES ('index_version', '1') ON CONFLICT (key) DO UPDATE"
                " SET value = CAST(value AS INTEGER) + 1"
            )
            row = self._conn.execute("SELECT value FROM meta WHERE key='index_version'").fetchone()
        return int(row[0])

    def lock(self, name: str, timeout: float = 600.0) -> AbstractContextManager[Any]:
        """Return no lock: one process owns an SQLite store (the Coach's own lock suffices)."""
        return nullcontext()

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._conn.close()
