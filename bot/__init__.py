"""Director Coach: grounded career coaching and mock interviews for aspiring medical directors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Coach", "Settings"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from bot.coach import Coach
    from bot.config import Settings


def __getattr__(name: str) -> Any:
    if name == "Coach":
        from bot.coach import Coach

        return Coach
    if name == "Settings":
        from bot.config import Settings

        return Settings
    raise AttributeError(name)
