"""Answerability: features on real retrieval, the fitted model and its threshold."""

from __future__ import annotations

import numpy as np
import pytest

from bot.answer.answerability import (
    FEATURES,
    PRECEDENT,
    _with_precedent,
    fit_model,
    precedent_column,
)
from bot.coach import Coach
from bot.config import Settings
from bot.prompts import load_data


def _judge(coach: Coach, question: str):  # type: ignore[no-untyped-def]
    plan = coach._plan(question, [])
    assert plan.decision.allowed and len(plan.parts) == 1
    return plan.parts[0].brief.judgement


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("how long is the MHA program usually", "duration"),
        ("how many CME credits do directors need each year", "number"),
        ("How much does the CPE cost?", "cost"),
        ("What readmission rate should a new director aim for?", "rate"),
    ],
)
def test_asked_figure_the_guides_lack_is_no_answer(coach: Coach, question: str, asked: str) -> None:
    judgement = _judge(coach, question)
    assert judgement.asked == asked and judgement.type_missing
    assert not judgement.answerable
    answer = coach.ask(question)
    assert answer.verdict == "no_answer"
    assert answer.answer.startswith("The guides don't give a figure; they only say:")
    assert answer.citations and "[1]" in answer.answer


def test_a_figure_the_guides_give_is_answered(coach: Coach) -> None:
    judgement = _judge(coach, "How long does it take to become a medical director?")
    assert judgement.asked == "duration" and not judgement.type_missing
    assert judgement.answerable


@pytest.mark.parametrize("question", ["whats a CMIO", "what is a dyad leadership model"])
def test_undefined_titles_are_no_answer_not_declined(coach: Coach, question: str) -> None:
    judgement = _judge(coach, question)
    features = judgement.features
    assert features["unknown_name"] or features["unknown_word"] or features["unknown_target"]
    answer = coach.ask(question)
    assert answer.verdict == "no_answer" and "won't guess" in answer.answer


def test_covered_questions_are_answerable(coach: Coach) -> None:
    for question in ("Do I need an MBA?", "What does a medical director do?"):
        assert _judge(coach, question).answerable


def test_shipped_model_matches_the_features() -> None:
    model = load_data("answerability.yaml", Settings().prompts_dir)["model"]
    assert model["features"] == list(FEATURES)
    assert len(model["coef"]) == len(FEATURES) and 0.05 <= model["threshold"] <= 0.95
    assert model["cv"]["auc"] >= 0.9 and model["cv"]["rows"] >= 100


def test_fit_picks_a_threshold_from_the_curve() -> None:
    rng = np.random.default_rng(0)
    y = np.array([1] * 60 + [0] * 30)
    x = rng.normal(size=(90, len(FEATURES))) + y[:, None] * np.array([1, 1, 1, -1, -1, -1, -1, 0])
    model = fit_model(x, y)
    assert model["cv"]["auc"] > 0.8 and 0.05 <= model["threshold"] <= 0.95
    assert model["coef"][0] > 0 and model["coef"][-2] < 0


def test_precedent_comes_only_from_other_groups_and_the_training_fold() -> None:
    y = np.array([1, 1, 0, 0])
    sims = np.array(
        [[1.0, 0.9, 0.2, 0.1], [0.9, 1.0, 0.3, 0.2], [0.2, 0.3, 1.0, 0.8], [0.1, 0.2, 0.8, 1.0]]
    )
    everyone = np.ones((4, 4), bool) & ~np.eye(4, dtype=bool)
    assert precedent_column(sims, y, everyone).tolist() == pytest.approx([0.7, 0.6, -0.5, -0.6])
    # rows 0 and 1 are paraphrases: neither is the other's precedent
    keys = ["a", "a", "c", "d"]
    x = np.zeros((4, len(FEATURES)))
    rows = _with_precedent(x, y, sims, keys, np.ones(4, bool))
    assert rows[0, PRECEDENT] == pytest.approx(0.0 - 0.2)  # no answerable row left to see
    hidden = _with_precedent(x, y, sims, ["a", "b", "c", "d"], np.array([True, False, True, True]))
    assert hidden[0, PRECEDENT] == pytest.approx(0.0 - 0.2)  # row 1 is in the held-out fold


def test_a_question_like_labelled_uncovered_ones_leans_to_no_answer(coach: Coach) -> None:
    ans = coach.answerability
    assert ans.precedent("what's a CMO in a hospital") < ans.precedent(
        "what does a medical director do"
    )
    assert ans.precedent("How do I become a medical director?") > 0


def test_ordinary_words_the_guides_lack_are_not_names(coach: Coach) -> None:
    """Sceptical slang ("racket") is an unknown word, weighed apart from titles and acronyms."""
    question = "Isn't certification just a racket?"
    slang = _judge(coach, question)
    assert slang.features["unknown_word"] == 1.0 and slang.features["unknown_name"] == 0.0
    passages = coach._timed_retrieve(question, 6, floor=0.0)
    swamped = coach.retriever.coverage(question, passages[:3])
    assert slang.features["coverage"] > swamped  # the unmatched word does not swamp the rest
    title = _judge(coach, "What does a CMIO do?")
    assert title.features["unknown_name"] == 1.0


def test_a_question_with_no_topic_of_its_own_covers_nothing(coach: Coach) -> None:
    passages = coach._timed_retrieve("How do I do that?", 6, floor=0.0)
    assert coach.answerability.judge("How do I do that?", passages).features["coverage"] == 0.0


def test_a_long_what_is_clause_is_not_a_term_to_define(coach: Coach) -> None:
    rewarding = _judge(coach, "What's actually rewarding about being a director?")
    assert rewarding.features["unknown_target"] == 0.0
    assert _judge(coach, "what is a dyad leadership model").features["unknown_target"] == 1.0
    # "the X of Y" asks about Y: a word the guides lack before "of" is not the term to define
    upside = _judge(coach, "what is the upside of leadership training")
    assert upside.features["unknown_target"] == 0.0
    assert _judge(coach, "what is the meaning of CMIO").features["unknown_target"] == 1.0
