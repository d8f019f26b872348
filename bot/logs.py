"""Structured logs: one JSON object per line, without message text by default."""

from __future__ import annotations

import json
import logging
import sys
import time

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Format records as JSON with their `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one JSON line."""
        data = {
            "ts": round(time.time(), 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        data.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        return json.dumps(data, default=str)


def setup_logging(level: int = logging.INFO) -> None:
    """Send the `bot` loggers to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("bot")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
