"""User-facing errors: a code, a clear message and an HTTP status; never a stack trace."""

from __future__ import annotations


class BotError(Exception):
    """An error the user caused or can act on; shown as `{"error": {"code", "message"}}`."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def public(self) -> dict[str, dict[str, str]]:
        """Return the contract's error shape."""
        return {"error": {"code": self.code, "message": self.message}}


class NotFound(BotError):
    """A session, interview or other resource that does not exist."""

    def __init__(self, message: str, code: str = "not_found") -> None:
        super().__init__(code, message, 404)


class Conflict(BotError):
    """An action that is not possible in the current state (e.g. answering a finished interview)."""

    def __init__(self, message: str, code: str = "conflict") -> None:
        super().__init__(code, message, 409)


def startup_message(exc: Exception) -> str | None:
    """Return a one-line message for a configuration error, or None for an unexpected error."""
    from pydantic import ValidationError

    if isinstance(exc, BotError):
        return exc.message
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        name = "BOT_" + str(first["loc"][0]).upper() if first.get("loc") else "a BOT_ setting"
        return f"invalid setting {name}: {first['msg']}"
    return None
