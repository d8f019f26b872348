"""Retention: purge turns, interviews and feedback older than BOT_RETENTION_DAYS.

With BOT_RETENTION_DAYS=0 nothing is kept after a session ends, and a session ends when it has
had no activity (message, interview answer) for BOT_SESSION_IDLE_MINUTES. Purges run at start-up
and then on a schedule (a quarter of the retention window, at most hourly, at least every 5 s).
"""

from __future__ import annotations

import logging
import threading
import time

from bot.config import Settings
from bot.sessions import Purged, SessionStore

log = logging.getLogger("bot.sessions.retention")
DAY = 86_400.0


def window_seconds(settings: Settings) -> float:
    """Return how long records are kept: the retention days, or the idle time when 0."""
    if settings.retention_days > 0:
        return settings.retention_days * DAY
    return settings.session_idle_minutes * 60.0


def purge_interval(settings: Settings) -> float:
    """Return the seconds between scheduled purges."""
    return min(3600.0, max(5.0, window_seconds(settings) / 4))


def purge_expired(store: SessionStore, settings: Settings, now: float | None = None) -> Purged:
    """Purge what retention no longer allows; log one line when anything went."""
    before = (time.time() if now is None else now) - window_seconds(settings)
    done = store.purge(before, whole_sessions=settings.retention_days == 0)
    if done.total():
        log.info(
            "retention purge",
            extra={
                "sessions": done.sessions,
                "turns": done.turns,
                "interviews": done.interviews,
                "feedback": done.feedback,
            },
        )
    return done


class PurgeSchedule:
    """A daemon thread that purges on the retention schedule until stopped."""

    def __init__(self, store: SessionStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="retention", daemon=True)

    def start(self) -> PurgeSchedule:
        """Start the thread and return self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the thread to stop and wait briefly for it."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(purge_interval(self.settings)):
            try:
                purge_expired(self.store, self.settings)
            except Exception as exc:  # a failed purge is retried next time; never kills serving
                log.error("retention purge failed: %s", type(exc).__name__)
