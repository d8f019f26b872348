"""Self-healing storage: check files at open, move damaged ones aside (never delete), tighten modes.

The index is derived data and is rebuilt from the corpus; the session store holds users' data, so
a damaged one is kept next to its replacement for a person to inspect or recover.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import time
from pathlib import Path

log = logging.getLogger("bot.heal")

DIR_MODE = 0o700
FILE_MODE = 0o600
PRIVATE_UMASK = 0o077
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")
DAMAGE_CODES = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB


def reason_of(exc: BaseException) -> str:
    """Return a one-line, bounded description of an error (type and first line)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__


def aside_path(path: Path, label: str = "broken") -> Path:
    """Return a free sibling path `NAME.LABEL-YYYYmmdd-HHMMSS[-n]` to move `path` to."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.{label}-{stamp}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{label}-{stamp}-{n}")
    return candidate


def move_aside(path: Path, what: str, reason: str) -> Path:
    """Move a damaged file or folder (and its SQLite side files) aside; log where, in one line."""
    target = aside_path(path)
    path.rename(target)
    for suffix in SQLITE_SIDECARS:
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    log.warning(
        f"{what} at {path} was unusable ({reason}); moved it to {target} and started a new one",
        extra={"what": what, "path": str(path), "moved_to": str(target), "reason": reason},
    )
    return target


def is_damage(exc: BaseException) -> bool:
    """Return whether an SQLite error means a damaged file (not "locked" or "busy")."""
    return isinstance(exc, sqlite3.DatabaseError) and (
        getattr(exc, "sqlite_errorcode", None) in DAMAGE_CODES
        or "malformed" in str(exc)
        or "not a database" in str(exc)
    )


def sqlite_problem(path: Path) -> str | None:
    """Return why an SQLite file is damaged (not a database, failed quick_check), or None if fine.

    Errors that do not mean damage (a lock held by another process) are raised, not reported.
    """
    if not path.exists():
        return None
    if path.is_dir():
        return "a folder where a database file belongs"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
        return reason_of(exc)
    result = "; ".join(str(r[0]) for r in rows[:3])
    return None if result == "ok" else f"quick_check: {result}"[:200]


def private_umask() -> None:
    """Make every file this process creates private to its user (dirs 0700, files 0600)."""
    os.umask(PRIVATE_UMASK)


def secure_tree(root: Path) -> None:
    """Create `root` if needed and restrict it: folders 0700, files 0600 (owner only)."""
    root.mkdir(parents=True, exist_ok=True)
    for folder, dirs, files in os.walk(root):
        _chmod(Path(folder), DIR_MODE)
        for name in files:
            _chmod(Path(folder) / name, FILE_MODE)
        dirs[:] = [d for d in dirs if not (Path(folder) / d).is_symlink()]


def _chmod(path: Path, mode: int) -> None:
    try:
        if not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) != mode:
            path.chmod(mode)
    except OSError:  # a file owned by someone else, or gone meanwhile: leave it
        pass
