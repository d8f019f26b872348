"""Interview options: clear BotErrors for a bad question count, focus or setting.

Text, session ids and interview ids are checked by `bot.validate`, like every other input.
"""

from __future__ import annotations

from bot.errors import BotError
from bot.interview.bank import COMPETENCY_IDS, SETTINGS
from bot.interview.plan import MAX_QUESTIONS, MIN_QUESTIONS


def check_questions(count: object) -> int:
    """Return the number of questions, or raise 400 when it is not an integer in range."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise BotError("invalid_questions", "questions must be a whole number.")
    if not MIN_QUESTIONS <= count <= MAX_QUESTIONS:
        raise BotError(
            "invalid_questions",
            f"questions must be between {MIN_QUESTIONS} and {MAX_QUESTIONS}; got {count}.",
        )
    return count


def check_focus(focus: object) -> list[str] | None:
    """Return the focus competencies (None for a balanced mix), or raise 400 on unknown ids."""
    if focus is None:
        return None
    if isinstance(focus, str) or not isinstance(focus, list | tuple):
        raise BotError("invalid_focus", "focus must be a list of competency ids.")
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
