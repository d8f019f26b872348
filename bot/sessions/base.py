"""The session store's protocol: what every backend (SQLite, Redis) keeps and answers."""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

ASSISTANT = "assistant"
USER = "user"


def new_id() -> str:
    """Return a fresh random identifier."""
    return uuid.uuid4().hex


@dataclass
class Purged:
    """How many records one purge removed."""

    sessions: int = 0
    turns: int = 0
    interviews: int = 0
    feedback: int = 0

    def total(self) -> int:
        """Return the number of records removed."""
        return self.sessions + self.turns + self.interviews + self.feedback


@dataclass
class Activity:
    """Everything stored since a moment, for the insights report (text is already redacted).

    `turns`: dicts with session_id, seq, role, text, query, verdict, reason, created.
    `feedback`: dicts with session_id, seq, rating, question, answer, created.
    `interviews`: interview states (the JSON the interview service saved).
    """

    turns: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    interviews: list[dict[str, Any]] = field(default_factory=list)


class SessionStore(Protocol):
    """Conversation turns, interview state, practice progress and feedback of every user.

    Implemented by `SqliteSessionStore(path)` (one process, the default, at
    `BOT_DATA_DIR/sessions.sqlite3`) and `RedisSessionStore` (`BOT_REDIS_URL`, several processes);
    `make_session_store(settings)` picks one. Methods are safe to call from several threads.

    Example:
        >>> store = make_session_store(Settings())
        >>> sid = store.create_session()
        >>> store.add_turn(sid, "user", "Do I need an MBA?")
        0
        >>> [t["role"] for t in store.turns(sid)]
        ['user']
        >>> store.delete_session(sid), store.has_session(sid)
        (True, False)
    """

    def create_session(self) -> str:
        """Create a session and return its id."""
        ...

    def has_session(self, session_id: str) -> bool:
        """Return whether the session exists."""
        ...

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
        """Append a turn and return its sequence number in the session.

        `query` is the standalone retrieval query; `citations` the answer's numbered sources
        (contract shape); `verdict`/`reason` the answer's (kept on both turns of a pair).
        """
        ...

    def turns(self, session_id: str, limit: int = 20) -> list[dict[str, Any]]:
        """Return the last `limit` turns, oldest first: role, text, query, citations, verdict..."""
        ...

    def clear(self, session_id: str) -> None:
        """Forget a session's turns (the session itself stays)."""
        ...

    def delete_session(self, session_id: str) -> bool:
        """Remove a session with its turns, interviews and feedback; return whether it existed."""
        ...

    def save_interview(
        self, interview_id: str, state: dict[str, Any], session_id: str = ""
    ) -> None:
        """Store an interview's whole state as JSON."""
        ...

    def load_interview(self, interview_id: str) -> dict[str, Any] | None:
        """Return an interview's state, or None when unknown."""
        ...

    def interviews_for_practice(self, practice_id: str) -> list[dict[str, Any]]:
        """Return the states of the interviews whose state has this `practice_id`, oldest first."""
        ...

    def find_answer(self, session_id: str, answer: str) -> tuple[int, str] | None:
        """Return the latest assistant turn with this text: its seq and the question before it."""
        ...

    def add_feedback(
        self, session_id: str, seq: int, rating: int, question: str, answer: str
    ) -> None:
        """Record a thumbs up (1) or down (-1) on the answer at `seq`; a new vote replaces one."""
        ...

    def feedback_count(self) -> int:
        """Return how many feedback votes are stored."""
        ...

    def purge(self, before: float, *, whole_sessions: bool = False) -> Purged:
        """Remove what is older than `before` (epoch seconds).

        Sessions idle since before `before` go entirely (turns, interviews, feedback), and so do
        interviews last saved before it. Unless `whole_sessions`, older turns and feedback of
        sessions still active go too.
        """
        ...

    def activity(self, since: float) -> Activity:
        """Return the turns, feedback and interviews stored since `since` (epoch seconds)."""
        ...

    def index_version(self) -> int:
        """Return the shared index version (bumped by every ingest that changed the index)."""
        ...

    def bump_index_version(self) -> int:
        """Increase the shared index version and return it."""
        ...

    def lock(self, name: str, timeout: float = 600.0) -> AbstractContextManager[Any]:
        """Return a lock held across processes where the backend is shared."""
        ...

    def close(self) -> None:
        """Release the backend's connections."""
        ...
