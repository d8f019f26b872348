"""Data shipped with the package: prompt templates, the question bank and the default guides.

The repository keeps them at its top level, in `prompts/` and `corpus/`. pyproject.toml maps those
folders to the packages `bot.resources.prompts` and `bot.resources.corpus`, so a wheel carries
them and an editable install reads the checkout's folders. Both are found with
`importlib.resources`, never relative to the source tree.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _folder(package: str) -> Path:
    root = files(package)
    if not isinstance(root, Path):  # only a zipped install would get here
        raise RuntimeError(f"{package} must be installed as files on disk, not zipped")
    return root


def prompts_dir() -> Path:
    """Return the packaged folder of prompt templates and data files (`prompts/`)."""
    return _folder("bot.resources.prompts")


def corpus_dir() -> Path:
    """Return the packaged folder of default guides (`corpus/`)."""
    return _folder("bot.resources.corpus")
