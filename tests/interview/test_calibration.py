"""Calibration: for every competency, strong > average > weak on the overall score."""

from __future__ import annotations

from collections import defaultdict
from statistics import mean
from typing import Any

import pytest
import yaml

from bot.config import REPO_ROOT, Settings
from bot.ingest.embeddings import make_embeddings
from bot.interview.bank import COMPETENCY_IDS, load_bank
from bot.interview.rubric import score_answer
from tests.helpers import DATA

CALIBRATION = DATA / "interview_calibration.yaml"
LEVELS = ("strong", "average", "weak")


@pytest.fixture(scope="module")
def scored() -> dict[str, dict[str, list[float]]]:
    """Score every calibration answer: competency -> level -> overall scores."""
    bank = load_bank(REPO_ROOT / "prompts")
    embeddings = make_embeddings(Settings())
    answers: list[dict[str, Any]] = yaml.safe_load(CALIBRATION.read_text("utf-8"))["answers"]
    table: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for item in answers:
        question = bank.question(item["question"])
        score = score_answer(question, item["answer"], embeddings)
        table[question.competency][item["level"]].append(score.overall)
    return table


def test_calibration_set_covers_every_competency_and_level() -> None:
    answers = yaml.safe_load(CALIBRATION.read_text("utf-8"))["answers"]
    assert len(answers) >= 30
    seen = {
        (load_bank(REPO_ROOT / "prompts").question(a["question"]).competency, a["level"])
        for a in answers
    }
    assert seen == {(c, level) for c in COMPETENCY_IDS for level in LEVELS}


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
