"""Prompt templates and data files in `prompts/`, loaded by name and rendered strictly.

`folder` defaults to the prompts shipped with the package (`bot.resources.prompts`); callers pass
`settings.prompts_dir` so that `BOT_PROMPTS_DIR` can point at an edited copy.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.markup import escape_markdown
from bot.resources import prompts_dir


@lru_cache(maxsize=8)
def _env(folder: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(folder),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,
    )
    env.filters["md"] = escape_markdown  # `{{ user_text | md }}`: shown as typed, never rendered
    return env


def render(name: str, folder: Path | None = None, **variables: Any) -> str:
    """Render template `name` (e.g. `answer.j2`); a missing variable raises an error."""
    return _env(str(folder or prompts_dir())).get_template(name).render(**variables).strip()


def load_data(name: str, folder: Path | None = None) -> Any:
    """Load a YAML data file from the prompts folder by name (e.g. `questions.yaml`)."""
    with open((folder or prompts_dir()) / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)
