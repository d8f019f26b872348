"""Interview plan: which questions to ask, balanced across competencies, seeded."""

from __future__ import annotations

import random

from bot.interview.bank import COMPETENCY_IDS, Bank, Question

MIN_QUESTIONS = 1
MAX_QUESTIONS = 10
DEFAULT_QUESTIONS = 5


def _priority(question: Question, setting: str | None) -> int:
    if setting is None or setting in question.settings:
        return 0
    return 1 if not question.settings else 2


def rank_questions(questions: list[Question], setting: str | None, rng: random.Random) -> list[str]:
    """Order questions: tagged for the setting first, then untagged, then others; shuffled."""
    keyed = [(_priority(q, setting), rng.random(), q.id) for q in questions]
    return [qid for _, _, qid in sorted(keyed)]


def make_plan(
    bank: Bank, count: int, focus: list[str] | None, setting: str | None, seed: int
) -> list[str]:
    """Return up to `count` distinct question ids, round-robin over the (focus) competencies."""
    rng = random.Random(seed)
    competencies = list(dict.fromkeys(focus)) if focus else list(COMPETENCY_IDS)
    rng.shuffle(competencies)
    pools = {c: rank_questions(bank.for_competency(c), setting, rng) for c in competencies}
    plan: list[str] = []
    while len(plan) < count and any(pools.values()):
        for competency in competencies:
            if pools[competency] and len(plan) < count:
                plan.append(pools[competency].pop(0))
    return plan
