"""Rubric: score one answer 1-5 on five dimensions, deterministically (see docs/rubric.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.ingest.embeddings import MiniLMEmbeddings
from bot.interview.bank import DIMENSIONS, Bank, Question
from bot.interview.cues import Cues, extract_cues
from bot.interview.guides import Guides
from bot.interview.topic import TopicIndex, mentioned, phrases

__all__ = ["DIMENSIONS", "THRESHOLDS", "Reference", "Score", "Thresholds", "score_answer"]


@dataclass(frozen=True)
class Thresholds:
    """Every number the rubric uses, in one documented place (docs/rubric.md)."""

    # relevance: raw = mean(top question similarities) * w + mean(key-point coverage) * (1 - w)
    question_weight: float = 0.5
    question_top: int = 2
    relevance_bands: tuple[float, ...] = (0.22, 0.30, 0.37, 0.44)
    # coverage: P(key point covered) = logistic(bias + a * best sentence cosine + b * overall),
    # fitted on tests/data/interview_coverage.yaml by benchmarks/interview_coverage.py
    covered_weights: tuple[float, float, float] = (-5.2, 2.8, 1.7)
    covered: float = 0.5
    # a different question (relevance at most `other_relevance`): another bank question (cosine
    # to the asked one below `other_near`) fits the answer `other_margin` better, or the question
    # has `anchor_min` topic anchors (bot/interview/topic.py) and the answer mentions none of them
    other_near: float = 0.40
    other_margin: float = 0.08
    other_relevance: int = 3
    other_cap: int = 2
    anchor_min: int = 3
    anchor_similarity: float = 0.6
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
class Reference:
    """What an answer is compared with besides its question: the bank and the topic index."""

    questions: tuple[Question, ...]
    topics: TopicIndex


def make_reference(bank: Bank, guides: Guides) -> Reference:
    """Build the rubric's reference from the question bank and the guides."""
    paragraphs = [p for section in guides.sections for p in section.paragraphs]
    return Reference(bank.questions, TopicIndex.build([q.text for q in bank.questions], paragraphs))


@dataclass(frozen=True)
class Score:
    """The rubric's verdict on one answer, with the evidence behind it."""

    scores: dict[str, int]
    overall: float
    coverage: tuple[float, ...]
    relevance_raw: float
    cues: Cues
    caps: tuple[str, ...] = field(default=())
    covered_p: tuple[float, ...] = field(default=())
    other_question: str = ""
    missed_topic: tuple[str, ...] = field(default=())

    def covered(self, t: Thresholds = THRESHOLDS) -> list[int]:
        """Return the indexes of the key points the answer covered (in any words)."""
        return [i for i, p in enumerate(self.covered_p) if p >= t.covered]


def _band(value: float, bands: tuple[float, ...] | tuple[int, ...]) -> int:
    return 1 + sum(1 for edge in bands if value >= edge)


def fit(
    question: Question, vectors: np.ndarray, embeddings: MiniLMEmbeddings, t: Thresholds
) -> tuple[float, tuple[float, ...]]:
    """Return how well answer sentence `vectors` fit a question, and each key point's cosine."""
    if not len(vectors):
        return 0.0, tuple(0.0 for _ in question.key_points)
    targets = embeddings.matrix([k.text for k in question.key_points] + [question.text])
    sims = vectors @ targets.T
    coverage = sims[:, :-1].max(axis=0)
    top = np.sort(sims[:, -1])[::-1][: t.question_top]
    raw = t.question_weight * float(top.mean()) + (1 - t.question_weight) * float(coverage.mean())
    return raw, tuple(round(float(c), 4) for c in coverage)


def similarity(
    question: Question, cues: Cues, embeddings: MiniLMEmbeddings, t: Thresholds
) -> tuple[float, tuple[float, ...]]:
    """Return the relevance raw score and the coverage of each key point (max cosine)."""
    return fit(question, embeddings.matrix(list(cues.sentences)), embeddings, t)


def better_question(
    question: Question,
    vectors: np.ndarray,
    raw: float,
    others: Sequence[Question],
    embeddings: MiniLMEmbeddings,
    t: Thresholds,
) -> Question | None:
    """Return a clearly different bank question the answer fits much better, if there is one."""
    pool = [q for q in others if q.id != question.id and q.text != question.text]
    if not pool or not len(vectors):
        return None
    asked = embeddings.matrix([question.text])[0]
    near = embeddings.matrix([q.text for q in pool]) @ asked
    distinct = [q for q, cosine in zip(pool, near, strict=True) if cosine < t.other_near]
    fits = [(fit(q, vectors, embeddings, t)[0], q.id, q) for q in distinct]
    if not fits:
        return None
    best, _, found = max(fits, key=lambda f: (f[0], f[1]))
    return found if best - raw >= t.other_margin else None


def different_question(
    question: Question,
    answer: str,
    vectors: np.ndarray,
    raw: float,
    reference: Reference,
    embeddings: MiniLMEmbeddings,
    t: Thresholds,
) -> tuple[Question | None, tuple[str, ...], bool]:
    """Return (a better-fitting bank question, the question's anchors not mentioned, flagged)."""
    better = better_question(question, vectors, raw, reference.questions, embeddings, t)
    anchors = reference.topics.anchors(question.text)
    hits = mentioned(anchors, answer, embeddings, t.anchor_similarity)
    missed = tuple(word for term, word in anchors.items() if term not in hits)
    unmentioned = len(anchors) >= t.anchor_min and not hits
    topic = tuple(phrases(question.text, list(missed))) if unmentioned else ()
    return better, topic, better is not None or unmentioned


def coverage_probability(cosine: float, overall: float, t: Thresholds) -> float:
    """Return P(key point covered) from its best sentence cosine and the answer's overall score."""
    bias, a, b = t.covered_weights
    return 1.0 / (1.0 + math.exp(-(bias + a * cosine + b * overall)))


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


def _caps(cues: Cues, relevance: int, other: bool, t: Thresholds) -> list[tuple[str, int]]:
    caps: list[tuple[str, int]] = []
    if cues.injection:
        caps.append(("injection", 1))
    if relevance == 1:
        caps.append(("off_topic", 1))
    elif other:
        caps.append(("other_question", t.other_cap))
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
    question: Question,
    answer: str,
    embeddings: MiniLMEmbeddings,
    t: Thresholds = THRESHOLDS,
    reference: Reference | None = None,
) -> Score:
    """Score an answer on every dimension and return the evidence.

    `reference` (the bank and topic index) lets the rubric notice an answer to another question.
    """
    cues = extract_cues(answer)
    vectors = embeddings.matrix(list(cues.sentences))
    raw, coverage = fit(question, vectors, embeddings, t)
    relevance = relevance_score(raw, cues, t)
    other: Question | None = None
    missed: tuple[str, ...] = ()
    flagged = False
    substantial = cues.words >= t.short_words and cues.evidence >= t.vague_evidence
    if (
        reference is not None
        and substantial
        and not cues.injection
        and 1 < relevance <= t.other_relevance
    ):
        other, missed, flagged = different_question(
            question, answer, vectors, raw, reference, embeddings, t
        )
    scores = {
        "relevance": relevance,
        "structure": structure_score(cues, t),
        "specificity": specificity_score(cues, t),
        "outcome": outcome_score(cues),
        "leadership": leadership_score(cues, t),
    }
    caps = _caps(cues, relevance, flagged, t)
    final = apply_caps(scores, caps)
    overall = round(sum(final.values()) / len(final), 1)
    names = tuple(name for name, _ in caps)
    covered_p = tuple(round(coverage_probability(c, overall, t), 4) for c in coverage)
    return Score(
        final,
        overall,
        coverage,
        round(raw, 4),
        cues,
        names,
        covered_p,
        other.text if other is not None else "",
        missed,
    )
