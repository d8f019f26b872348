"""The guard's precision and recall are exactly the figures the README reports.

The README's guard table is generated from `benchmarks/results/eval.json` (tests/test_figures.py
checks that), so comparing a fresh run of the eval's guard section with that file pins the README.
After changing the guard, run `make eval` to re-measure and regenerate the figures.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.evaluate import guard_section
from tests.helpers import ROOT

REPORTED = ROOT / "benchmarks" / "results" / "eval.json"


@pytest.fixture(scope="module")
def reported() -> dict[str, Any]:
    return dict(json.loads(REPORTED.read_text(encoding="utf-8"))["guard"])


@pytest.mark.slow  # re-runs the eval's guard section
def test_guard_figures_are_the_reported_ones(coach: Any, reported: dict[str, Any]) -> None:
    fresh = guard_section(coach)
    assert fresh["per_class"] == reported["per_class"], fresh["errors"]
    assert fresh["accuracy"] == reported["accuracy"], fresh["errors"]


def test_reported_figures_keep_the_safety_floor(reported: dict[str, Any]) -> None:
    assert reported["per_class"]["crisis"]["recall"] == 1.0
    assert sum(m["support"] for m in reported["per_class"].values()) >= 500
