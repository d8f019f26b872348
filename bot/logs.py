"""Structured logs: one JSON object per line, without message text by default.

Every logger the server runs (`bot`, uvicorn's, Gradio's, library warnings) writes through the
JSON formatter. An exception becomes fields of its line (`error`, `error_type`, `where`: the
innermost frames as `file:line function`), never a multi-line traceback.
"""

from __future__ import annotations

import json
import logging
import logging.config
import sys
import threading
import time
import traceback
from types import TracebackType
from typing import Any

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
FRAMES = 6  # innermost frames kept for an exception
ERROR_CHARS = 300


def exception_fields(
    kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
) -> dict[str, Any]:
    """Return an exception as flat JSON fields: type, first line of its message, where it arose."""
    if kind is None:
        return {}
    text = str(exc).strip().splitlines()[0][:ERROR_CHARS] if exc is not None and str(exc) else ""
    frames = traceback.extract_tb(tb)[-FRAMES:] if tb is not None else []
    return {
        "error_type": kind.__name__,
        "error": text,
        "where": [f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} {f.name}" for f in frames],
    }


class JsonFormatter(logging.Formatter):
    """Format records as JSON with their `extra` fields; exceptions as fields, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one JSON line."""
        data: dict[str, Any] = {
            "ts": round(time.time(), 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": _one_line(record.getMessage()),
        }
        data.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            data.update(exception_fields(*record.exc_info))
        return json.dumps(data, default=str)


def _one_line(text: str) -> str:
    return " ".join(text.split()) if "\n" in text else text


def log_config(level: int = logging.INFO) -> dict[str, Any]:
    """Return the logging config (dictConfig) that uvicorn and the app use: JSON to stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    quiet = {"handlers": ["json"], "level": "WARNING", "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": handler},
        "loggers": {
            "bot": {"handlers": ["json"], "level": logging.getLevelName(level), "propagate": False},
            "uvicorn": quiet,
            "uvicorn.error": quiet,
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["json"], "level": "WARNING"},
    }


def setup_logging(level: int = logging.INFO) -> None:
    """Send every logger to stderr as JSON lines, with uncaught errors and warnings too."""
    logging.config.dictConfig(log_config(level))
    logging.captureWarnings(True)
    sys.excepthook = _uncaught
    threading.excepthook = _uncaught_in_thread
    traceback.print_exc = _print_exc  # libraries (Gradio's queue) print failed events this way


_errors = logging.getLogger("bot.errors")


def _uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    _errors.critical("uncaught error", exc_info=(kind, exc, tb))


def _uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    _errors.error(
        "uncaught error in a thread",
        exc_info=(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback),
        extra={"thread": args.thread.name if args.thread else ""},
    )


def _print_exc(limit: int | None = None, file: Any = None, chain: bool = True) -> None:
    _errors.error("unhandled error", exc_info=sys.exc_info())
