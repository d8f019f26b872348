"""Rubric: score one answer 1-5 on five dimensions, deterministically (see docs/rubric.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bot.ingest.embeddings import MiniLMEmbeddings
from bot.interview.bank import DIMENSIONS, Question
from bot.interview.cues import Cues, extract_cues

__all__ = ["DIMENSIONS", "THRESHOLDS", "Score", "Thresholds", "score_answer"]


@dataclass(frozen=True)
class Thresholds:
    """Every number the rubric uses, in one documented place (docs/rubric.md)."""

    # relevance: raw = mean(top question similarities) * w + mean(key-point coverage) * (1 - w)
    question_weight: float = 0.5
    question_top: int = 2
    relevance_bands: tuple[float, ...] = (0.22, 0.30, 0.37, 0.44)
    covered: float = 0.38
    # specificity: points = numbers + timeframes + roles + artefacts, each capped
    number_cap: int = 4
    timeframe_cap: int = 3
    role_cap: int = 4
    artefact_cap: int = 3
    specificity_bands: tuple[int, ...] = (2, 5, 8, 11)
    # structure: an action component needs this many distinct action clauses
    min_actions: int = 2
    # leadership: ownership verbs worth 1 point from 1, 2 points from this many
    ownership_full: int = 3
    stakeholders_min: int = 3
    # caps
    tiny_words: int = 12
    short_words: int = 30
    short_cap: int = 2
    vague_evidence: int = 4
    vague_cap: int = 2
    # scorecard: a strength needs this mean; how many strengths and development areas to show
    strength_min: float = 3.5
    top_strengths: int = 3
    top_improvements: int = 3


THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Score:
    """The rubric's verdict on one answer, with the evidence behind it."""

    scores: dict[str, int]
    overall: float
    coverage: tuple[float, ...]
    relevance_raw: float
    cues: Cues
    caps: tuple[str, ...] = field(default=())

    def covered(self, t: Thresholds = THRESHOLDS) -> list[int]:
        """Return the indexes of the key points the answer covered."""
        return [i for i, value in enumerate(self.coverage) if value >= t.covered]


def _band(value: float, bands: tuple[float, ...] | tuple[int, ...]) -> int:
    return 1 + sum(1 for edge in bands if value >= edge)


def similarity(
    question: Question, cues: Cues, embeddings: MiniLMEmbeddings, t: Thresholds
) -> tuple[float, tuple[float, ...]]:
    """Return the relevance raw score and the coverage of each key point (max cosine)."""
    if not cues.sentences:
        return 0.0, tuple(0.0 for _ in question.key_points)
    targets = [k.text for k in question.key_points] + [question.text]
    vectors = embeddings.matrix([*cues.sentences, *targets])
    split = len(cues.sentences)
    sims = vectors[:split] @ vectors[split:].T
    coverage = sims[:, :-1].max(axis=0)
    top = np.sort(sims[:, -1])[::-1][: t.question_top]
    raw = t.question_weight * float(top.mean()) + (1 - t.question_weight) * float(coverage.mean())
    return raw, tuple(round(float(c), 4) for c in coverage)


def relevance_score(raw: float, cues: Cues, t: Thresholds) -> int:
    """Score relevance from the embedding similarity; injection attempts score 1."""
    return 1 if cues.injection else _band(raw, t.relevance_bands)


def structure_score(cues: Cues, t: Thresholds) -> int:
    """Score STAR structure: situation, task or plan, actions, result (+ reflection)."""
    parts = [
        cues.situation,
        cues.task or cues.sequence,
        cues.actions >= t.min_actions,
        cues.result,
    ]
    count = sum(parts)
    bonus = count == 4 and (cues.reflection or (cues.task and cues.sequence))
    return max(1, count) + int(bonus)


def specificity_points(cues: Cues, t: Thresholds) -> int:
    """Return the capped count of numbers, timeframes, named roles and concrete artefacts."""
    return (
        min(cues.numbers, t.number_cap)
        + min(cues.timeframes, t.timeframe_cap)
        + min(len(cues.roles), t.role_cap)
        + min(cues.artefacts, t.artefact_cap)
    )


def specificity_score(cues: Cues, t: Thresholds) -> int:
    """Score specificity from numbers, timeframes, named stakeholders and concrete artefacts."""
    return _band(specificity_points(cues, t), t.specificity_bands)


def outcome_score(cues: Cues) -> int:
    """Score the measured result: quantified changes, before/after, sustained gains."""
    if cues.quantified == 0:
        return 2 if cues.result else 1
    score = 2 + min(cues.quantified, 2)
    if cues.before_after or cues.sustained:
        score += 1
    return min(score, 5)


def leadership_score(cues: Cues, t: Thresholds) -> int:
    """Score ownership ("I led/decided"), stakeholders, data-driven reasoning, people."""
    ownership = 0 if cues.ownership == 0 else (2 if cues.ownership >= t.ownership_full else 1)
    points = (
        ownership
        + int(len(cues.roles) >= t.stakeholders_min)
        + int(cues.data and cues.numbers > 0)
        + int(cues.people)
    )
    score = min(5, 1 + points)
    return score if ownership else min(score, 3)


def _caps(cues: Cues, relevance: int, t: Thresholds) -> list[tuple[str, int]]:
    caps: list[tuple[str, int]] = []
    if cues.injection:
        caps.append(("injection", 1))
    if relevance == 1:
        caps.append(("off_topic", 1))
    elif relevance == 2:
        caps.append(("low_relevance", 3))
    if cues.words < t.tiny_words:
        caps.append(("very_short", 1))
    elif cues.words < t.short_words:
        caps.append(("short", t.short_cap))
    if cues.evidence < t.vague_evidence:
        caps.append(("vague", t.vague_cap))
    return caps


def apply_caps(scores: dict[str, int], caps: list[tuple[str, int]]) -> dict[str, int]:
    """Lower every dimension to the tightest cap (relevance only by caps that are not its own)."""
    limit = min([cap for _, cap in caps], default=5)
    capped = {name: max(1, min(value, limit)) for name, value in scores.items()}
    own = [cap for name, cap in caps if name not in ("off_topic", "low_relevance")]
    capped["relevance"] = max(1, min([scores["relevance"], *own]))
    return capped


def score_answer(
    question: Question, answer: str, embeddings: MiniLMEmbeddings, t: Thresholds = THRESHOLDS
) -> Score:
    """Score an answer on every dimension and return the evidence."""
    cues = extract_cues(answer)
    raw, coverage = similarity(question, cues, embeddings, t)
    relevance = relevance_score(raw, cues, t)
    scores = {
        "relevance": relevance,
        "structure": structure_score(cues, t),
        "specificity": specificity_score(cues, t),
        "outcome": outcome_score(cues),
        "leadership": leadership_score(cues, t),
    }
    caps = _caps(cues, relevance, t)
    final = apply_caps(scores, caps)
    overall = round(sum(final.values()) / len(final), 1)
    names = tuple(name for name, _ in caps)
    return Score(final, overall, coverage, round(raw, 4), cues, names)
