"""Prompt templates and data files in `prompts/`, loaded by name and rendered strictly."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.config import REPO_ROOT

PROMPTS_DIR = REPO_ROOT / "prompts"


@lru_cache(maxsize=8)
def _env(folder: str) -> Environment:
    return Environment(
        loader=FileSystemLoader(folder),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,
    )


def render(name: str, folder: Path = PROMPTS_DIR, **variables: Any) -> str:
    """Render template `name` (e.g. `answer.j2`); a missing variable raises an error."""
    return _env(str(folder)).get_template(name).render(**variables).strip()


def load_data(name: str, folder: Path = PROMPTS_DIR) -> Any:
    """Load a YAML data file from the prompts folder by name (e.g. `questions.yaml`)."""
    with open(folder / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)
