"""The interview plan: no repeats, balanced by default, focus and setting honoured, seeded."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.interview.bank import COMPETENCY_IDS, SETTINGS, Bank
from bot.interview.plan import make_plan


@pytest.mark.parametrize("seed", range(8))
def test_no_question_repeats(bank: Bank, seed: int) -> None:
    plan = make_plan(bank, 10, None, None, seed)
    assert len(plan) == 10
    assert len(set(plan)) == 10


@pytest.mark.parametrize("count", [1, 5, 10])
def test_default_mix_is_balanced_across_competencies(bank: Bank, count: int) -> None:
    plan = make_plan(bank, count, None, None, seed=3)
    competencies = Counter(bank.question(q).competency for q in plan)
    assert len(competencies) == count
    assert max(competencies.values()) == 1


def test_focus_is_honoured_and_balanced(bank: Bank) -> None:
    plan = make_plan(bank, 5, ["finance", "crisis"], None, seed=11)
    competencies = Counter(bank.question(q).competency for q in plan)
    assert set(competencies) == {"finance", "crisis"}
    assert sorted(competencies.values()) == [2, 3]


def test_focus_runs_out_of_questions_without_repeating(bank: Bank) -> None:
    plan = make_plan(bank, 10, ["finance"], None, seed=1)
    assert len(plan) == len(bank.for_competency("finance"))
    assert len(set(plan)) == len(plan)


@pytest.mark.parametrize("setting", SETTINGS)
def test_setting_prefers_its_own_or_untagged_questions(bank: Bank, setting: str) -> None:
    for seed in range(5):
        plan = make_plan(bank, 10, None, setting, seed)
        for question_id in plan:
            question = bank.question(question_id)
            tagged = [q for q in bank.for_competency(question.competency) if setting in q.settings]
            if tagged:
                assert setting in question.settings, (setting, question_id)
            else:
                assert not question.settings or setting in question.settings, question_id


def test_setting_falls_back_when_a_competency_has_no_fitting_question(bank: Bank) -> None:
    plan = make_plan(bank, 5, ["finance"], "behavioral_health", seed=2)
    assert len(plan) == 5
    first = bank.question(plan[0])
    assert not first.settings or "behavioral_health" in first.settings


def test_plan_is_deterministic_given_a_seed(bank: Bank) -> None:
    assert make_plan(bank, 7, None, "hospital", 42) == make_plan(bank, 7, None, "hospital", 42)
    plans = {tuple(make_plan(bank, 7, None, None, seed)) for seed in range(6)}
    assert len(plans) > 1


def test_every_competency_id_can_be_planned(bank: Bank) -> None:
    for competency in COMPETENCY_IDS:
        plan = make_plan(bank, 4, [competency], None, seed=5)
        assert {bank.question(q).competency for q in plan} == {competency}
