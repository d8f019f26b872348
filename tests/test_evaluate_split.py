"""The real-use evaluation by split and batch: the tuning loop runs the dev split alone."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.errors import BotError
from bot.evaluate import DATA, load_batches, load_items, register_report, run_split


def test_each_recorded_dev_batch_counts_its_items() -> None:
    """The first-run record of a dev batch names as many questions as the batch holds."""
    sizes = Counter(int(i["batch"]) for i in load_items(DATA / "eval_dev.yaml"))
    recorded = [b for b in load_batches() if b["split"] == "dev"]
    assert len(recorded) == len(sizes)
    for n, batch in enumerate(recorded, start=1):
        assert batch["figures"]["questions"] == sizes[n], batch["name"]
        assert batch["name"].startswith(f"dev batch {n} ({sizes[n]} items")


def test_unknown_split_or_empty_batch_is_a_clear_error() -> None:
    with pytest.raises(BotError) as unknown:
        run_split(Settings(), "holdout")
    assert unknown.value.code == "eval_split_unknown"
    with pytest.raises(BotError) as empty:
        run_split(Settings(), "dev", {99})
    assert empty.value.code == "eval_split_empty"
    out = CliRunner().invoke(app, ["eval", "--split", "nope"])
    assert out.exit_code == 2 and "Unknown split" in out.output


def test_one_dev_batch_is_reported_on_its_own(coach: Any) -> None:
    items = load_items(DATA / "eval_dev.yaml", {6})
    report = register_report(coach, items)
    assert report["questions"] == len(items) >= 40
    assert report["paraphrase_groups"] >= 8
    assert sum(i["register"] == "uncovered" for i in items) >= 8
    for key in ("correct_verdicts", "answerable_with_gold", "uncovered_no_answer"):
        assert 0.0 <= report[key] <= 1.0
