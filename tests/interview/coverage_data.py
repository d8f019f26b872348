"""The labelled key-point coverage set (tests/data/interview_coverage.yaml) as plain tuples."""

from __future__ import annotations

from typing import Any

import yaml

from tests.helpers import CALIBRATION, DATA

COVERAGE = DATA / "interview_coverage.yaml"


def labelled_pairs() -> list[tuple[str, str, dict[str, bool]]]:
    """Return (question id, answer, key point id -> covered) for every labelled answer."""
    calibration = yaml.safe_load(CALIBRATION.read_text("utf-8"))["answers"]
    items: list[dict[str, Any]] = yaml.safe_load(COVERAGE.read_text("utf-8"))["items"]
    out = []
    for item in items:
        answer = item.get("answer") or next(
            a["answer"]
            for a in calibration
            if a["question"] == item["question"] and a["level"] == item["calibration"]
        )
        labels = {p: True for p in item["covered"]} | {p: False for p in item["missing"]}
        out.append((str(item["question"]), str(answer), labels))
    return out
