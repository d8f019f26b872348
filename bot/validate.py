"""Input validation shared by every surface: clear errors, nothing lost, never a stack trace."""

from __future__ import annotations

import re
import unicodedata

from bot.errors import BotError, NotFound

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SESSION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SURROGATE = re.compile("[\ud800-\udfff]")  # not text: cannot be stored, logged or sent
_EMPTY_HINT = {
    "message": "Please type a question.",
    "query": "Please type a question.",
    "answer": "Type your answer to the question.",
}


def clean_text(value: object, max_chars: int, what: str = "message") -> str:
    """Return the text normalised and stripped; raise BotError when empty, too long or not text."""
    if not isinstance(value, str):
        raise BotError(f"invalid_{what}", f"The {what} must be a string of text.")
    if _SURROGATE.search(value):
        raise BotError(
            f"invalid_{what}",
            f"The {what} is not valid text: it holds an unpaired surrogate (such as \\ud800).",
        )
    text = _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip()
    if not text:
        raise BotError(f"empty_{what}", f"The {what} is empty. {_EMPTY_HINT.get(what, '')}".strip())
    if len(text) > max_chars:
        raise BotError(
            "too_long",
            f"The {what} is {len(text):,} characters long; the limit is {max_chars:,}. "
            "Please shorten it.",
        )
    return text


def check_session_id(value: object) -> str | None:
    """Return a well-formed session id or None; raise BotError for a malformed one."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _SESSION.match(value):
        raise BotError("invalid_session_id", "session_id must be up to 64 letters, digits, - or _.")
    return value


def check_interview_id(value: object) -> str:
    """Return a well-formed interview id; raise NotFound for anything that cannot be one."""
    if not isinstance(value, str) or not _SESSION.match(value):
        raise NotFound("No interview with that id. Start a new interview.")
    return value


def check_practice_id(value: object) -> str | None:
    """Return a well-formed practice id (interview progress without an account) or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _SESSION.match(value):
        raise BotError(
            "invalid_practice_id", "practice_id must be up to 64 letters, digits, - or _."
        )
    return value


def check_k(value: object, maximum: int = 20) -> int:
    """Return a valid passage count; raise BotError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise BotError("invalid_k", f"k must be a whole number from 1 to {maximum}.")
    return value
