"""Session store: turns, interviews, practice progress and feedback of every user.

`make_session_store(settings)` picks the backend: Redis when BOT_REDIS_URL is set (several
processes share it), else SQLite at BOT_DATA_DIR/sessions.sqlite3 (one process).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.sessions.base import Activity, Purged, SessionStore, new_id
from bot.sessions.sqlite import SqliteSessionStore, open_sqlite

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = [
    "Activity",
    "Purged",
    "SessionStore",
    "SqliteSessionStore",
    "make_session_store",
    "new_id",
    "open_sqlite",
]


def make_session_store(settings: Settings) -> SessionStore:
    """Create the session store the settings ask for (Redis or SQLite)."""
    if settings.redis_url:
        from bot.sessions.redis import RedisSessionStore

        return RedisSessionStore.from_url(settings.redis_url)
    return SqliteSessionStore(settings.db_path)
