"""Input checks for the interview: clear BotErrors for bad options and answers."""

from __future__ import annotations

from bot.errors import BotError, NotFound
from bot.interview.bank import COMPETENCY_IDS, SETTINGS
from bot.interview.plan import MAX_QUESTIONS, MIN_QUESTIONS

MAX_ID_CHARS = 128


def check_questions(count: object) -> int:
    """Return the number of questions, or raise 400 when it is not an integer in range."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise BotError("bad_questions", "questions must be a whole number.")
    if not MIN_QUESTIONS <= count <= MAX_QUESTIONS:
        raise BotError(
            "bad_questions",
            f"questions must be between {MIN_QUESTIONS} and {MAX_QUESTIONS}; got {count}.",
        )
    return count


def check_focus(focus: object) -> list[str] | None:
    """Return the focus competencies (None for a balanced mix), or raise 400 on unknown ids."""
    if focus is None:
        return None
    if isinstance(focus, str) or not isinstance(focus, list | tuple):
        raise BotError("bad_focus", "focus must be a list of competency ids.")
    cleaned = [str(item).strip().lower() for item in focus if str(item).strip()]
    unknown = [item for item in cleaned if item not in COMPETENCY_IDS]
    if unknown:
        raise BotError(
            "unknown_competency",
            f"Unknown competency {', '.join(unknown)}. Valid ids: {', '.join(COMPETENCY_IDS)}.",
        )
    return list(dict.fromkeys(cleaned)) or None


def check_setting(setting: object) -> str | None:
    """Return the care setting (None for any), or raise 400 when it is unknown."""
    if setting is None or setting == "":
        return None
    value = str(setting).strip().lower().replace("-", "_").replace(" ", "_")
    if value not in SETTINGS:
        raise BotError(
            "unknown_setting",
            f"Unknown setting {setting!r}. Valid settings: {', '.join(SETTINGS)}.",
        )
    return value


def check_session_id(session_id: object) -> str:
    """Return the session id to link ('' for none), or raise 400 when it is malformed."""
    if session_id is None:
        return ""
    if not isinstance(session_id, str) or len(session_id) > MAX_ID_CHARS:
        raise BotError("bad_session_id", "session_id must be a string of at most 128 characters.")
    return session_id.strip()


def check_interview_id(interview_id: object) -> str:
    """Return the interview id, or raise 404 when it cannot be one."""
    if not isinstance(interview_id, str) or not interview_id or len(interview_id) > MAX_ID_CHARS:
        raise NotFound("No interview with that id. Start a new interview.")
    return interview_id


def check_answer(answer: object, max_chars: int) -> str:
    """Return the stripped answer, or raise 400 when it is empty or too long."""
    if not isinstance(answer, str):
        raise BotError("bad_answer", "answer must be text.")
    text = answer.strip()
    if not text:
        raise BotError("empty_answer", "The answer is empty. Type your answer to the question.")
    if len(text) > max_chars:
        raise BotError(
            "too_long",
            f"The answer is {len(text)} characters; the limit is {max_chars}. Shorten it.",
        )
    return text
