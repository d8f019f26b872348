"""Calibration: for every competency, strong > average > weak; the reported figures are current."""

from __future__ import annotations

import json
from statistics import mean
from typing import Any

import pytest
import yaml

from benchmarks.calibration import RESULTS, score_answers, summary
from bot.interview.bank import COMPETENCY_IDS, load_bank
from tests.helpers import DATA, PROMPTS

pytestmark = pytest.mark.slow  # scores every calibration answer; `make test-fast` skips it

CALIBRATION = DATA / "interview_calibration.yaml"
LEVELS = ("strong", "average", "weak")
OTHER = "other_topic"  # a strong story about another topic (issue 9): at most 2.5


@pytest.fixture(scope="module")
def scored(embeddings: Any) -> dict[str, dict[str, list[float]]]:
    """Score every calibration answer: competency -> level -> overall scores."""
    return score_answers(embeddings)


def test_reported_figures_are_current(scored: dict[str, dict[str, list[float]]]) -> None:
    """docs/rubric.md shows benchmarks/results/calibration.json: `make eval` refreshes it."""
    assert summary(scored) == json.loads(RESULTS.read_text(encoding="utf-8"))


def test_calibration_set_covers_every_competency_and_level() -> None:
    answers = yaml.safe_load(CALIBRATION.read_text("utf-8"))["answers"]
    assert len(answers) >= 30
    seen = {(load_bank(PROMPTS).question(a["question"]).competency, a["level"]) for a in answers}
    assert seen == {(c, level) for c in COMPETENCY_IDS for level in (*LEVELS, OTHER)}


@pytest.mark.parametrize("competency", COMPETENCY_IDS)
def test_strong_beats_average_beats_weak(
    scored: dict[str, dict[str, list[float]]], competency: str
) -> None:
    levels = scored[competency]
    strong, average, weak = (mean(levels[level]) for level in LEVELS)
    assert strong > average > weak, (competency, strong, average, weak)


def test_levels_fall_in_their_bands(scored: dict[str, dict[str, list[float]]]) -> None:
    for competency, levels in scored.items():
        assert min(levels["strong"]) >= 4.0, competency
        assert 1.6 <= mean(levels["average"]) <= 3.4, competency
        assert max(levels["weak"]) <= 1.8, competency


def test_a_strong_story_about_another_topic_scores_at_most_2_5(
    scored: dict[str, dict[str, list[float]]],
) -> None:
    for competency, levels in scored.items():
        assert max(levels[OTHER]) <= 2.5, competency
        assert min(levels["strong"]) - max(levels[OTHER]) >= 2.0, competency
