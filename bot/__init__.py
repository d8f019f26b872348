"""Director Coach: grounded career coaching and mock interviews for aspiring medical directors."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# The one place environment defaults are set: offline models, no telemetry, quiet libraries.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
}
for _name, _value in OFFLINE_ENV.items():
    os.environ.setdefault(_name, _value)

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
