"""Shared set-up of the refit commands (`python -m bot.retrieval.query_encoder`, ...)."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.coach import Coach, Part


@contextmanager
def refit_coach(prog: str, argv: list[str] | None = None) -> Iterator[tuple[Coach, set[int]]]:
    """Parse `--skip-batch N` (repeatable); yield a Coach on a scratch data folder and the batches.

    The fitted files go to the Coach's `settings.prompts_dir` (`BOT_PROMPTS_DIR` moves it).
    """
    from bot.coach import Coach
    from bot.config import Settings

    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--skip-batch", type=int, action="append", default=[])
    skip = set(parser.parse_args(argv).skip_batch)
    with tempfile.TemporaryDirectory() as tmp:
        yield Coach(Settings().model_copy(update={"data_dir": Path(tmp)})), skip


def labelled_parts(
    coach: Coach, items: list[dict[str, Any]]
) -> Iterator[tuple[dict[str, Any], Part, str]]:
    """Yield each labelled question part as the pipeline reads it, with its gold entry.

    The Coach lends no precedent passages (no labelled question is its own precedent); a question
    the guard stops, or one split into other parts than it has gold entries, is left out.
    """
    from bot.answer.ranking import Precedents

    coach.precedents = Precedents(coach.embeddings, [])
    for item in items:
        plan = coach._plan(item["q"], [])
        entries = item.get("gold") or []
        if not plan.decision.allowed or len(plan.parts) != len(entries):
            continue
        for part, entry in zip(plan.parts, entries, strict=True):
            yield item, part, str(entry)
