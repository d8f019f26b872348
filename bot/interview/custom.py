"""Bring your own question: map a pasted interview question to the bank and the guides.

The competency comes from a logistic regression over MiniLM vectors of the bank's texts (each
question, key point, guide quote and follow-up, labelled with its question's competency); the
kind (behavioural or situational) from the nearer centroid of the bank's two kinds; the key
points from the bank's key points nearest the question and its likely competencies, plus guide
sentences that retrieval finds for the question. Every key point quotes a guide sentence
verbatim, so feedback and preparation cite real passages, as for bank questions.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from bot.ingest.embeddings import MiniLMEmbeddings
from bot.interview.bank import Bank, FollowUp, KeyPoint, Question
from bot.interview.guides import Guides
from bot.schemas import Passage
from bot.text import sentences

Retrieve = Callable[[str, int], list[Passage]]


@dataclass(frozen=True)
class MapSettings:
    """Every number the mapping uses."""

    neighbours: int = 4  # nearest bank questions, shown as similar questions
    bank_points: int = 3  # key points taken from the bank
    # a bank key point's rank: weights of its similarity to the question, of its own question's
    # similarity to the question, and of the probability of its competency
    point_weights: tuple[float, float, float] = (0.4, 0.3, 0.3)
    guide_points: int = 2  # key points taken from guide sentences (at most)
    max_points: int = 5
    guide_min: float = 0.45  # a guide sentence must be this similar to the question
    duplicate: float = 0.75  # a candidate this similar to a chosen point is a duplicate
    passages: int = 6  # passages retrieval returns for the question
    max_words: int = 40  # longer guide sentences are not used as key points
    min_words: int = 6
    related: float = 0.30  # below this similarity to every bank question: not an interview question


MAP = MapSettings()
GUIDE = "guide"
_SPACE = re.compile(r"\s+")


def question_id(text: str) -> str:
    """Return a stable id for a pasted question (the same text gets the same id)."""
    digest = hashlib.sha1(_SPACE.sub(" ", text.strip().lower()).encode("utf-8")).hexdigest()
    return f"custom-{digest[:12]}"


def to_dict(question: Question) -> dict[str, Any]:
    """Return a question as JSON-ready data (stored in the interview state)."""
    return asdict(question)


def from_dict(data: dict[str, Any]) -> Question:
    """Rebuild a question stored with `to_dict`."""
    return Question(
        id=str(data["id"]),
        competency=str(data["competency"]),
        kind=str(data["kind"]),
        settings=tuple(data.get("settings") or ()),
        text=str(data["text"]),
        key_points=tuple(KeyPoint(**k) for k in data["key_points"]),
        follow_ups=tuple(FollowUp(**f) for f in data["follow_ups"]),
    )


@dataclass(frozen=True)
class Mapped:
    """A pasted question mapped to the bank: the question to ask and how it was derived."""

    question: Question
    similar: list[tuple[Question, float]]


class QuestionMapper:
    """Map pasted questions to a competency, a kind and cited key points."""

    def __init__(
        self,
        bank: Bank,
        guides: Guides,
        embeddings: MiniLMEmbeddings,
        probes: dict[str, Any],
        retrieve: Retrieve | None = None,
        settings: MapSettings = MAP,
    ) -> None:
        self._probes = probes
        self._classifier: LogisticRegression | None = None
        self._bank = bank
        self._guides = guides
        self._embeddings = embeddings
        self._retrieve = retrieve
        self._s = settings

    @property
    def threshold(self) -> float:
        """Return the least similarity to a bank question that an interview question has."""
        return self._s.related

    def related(self, text: str) -> float:
        """Return the best similarity of `text` to a bank question."""
        vector = self._embeddings.matrix([text])[0]
        return float(np.max(self._question_vectors() @ vector))

    def map(self, text: str) -> Mapped:
        """Return the pasted question as a bank-like Question with cited key points."""
        vector = self._embeddings.matrix([text])[0]
        sims = self._question_vectors() @ vector
        order = np.argsort(-sims)[: self._s.neighbours]
        similar = [(self._bank.questions[i], float(sims[i])) for i in order]
        kind = self._kind(vector)
        chances = self._competencies(vector)
        points = self._points(text, vector, sims, chances)
        question = Question(
            id=question_id(text),
            competency=max(chances, key=lambda c: chances[c]),
            kind=kind,
            settings=(),
            text=text,
            key_points=tuple(points),
            follow_ups=tuple(FollowUp(self._phrase(p, kind), p.id) for p in points),
        )
        return Mapped(question, similar)

    def _phrase(self, point: KeyPoint, kind: str) -> str:
        """Return a follow-up question that probes one key point."""
        if point.id.startswith("g"):
            return self._probes["quote"].format(quote=point.quote)
        text = point.text[:1].lower() + point.text[1:]
        return str(self._probes["point"][kind]).format(point=text.rstrip("."))

    def _question_vectors(self) -> np.ndarray:
        return self._embeddings.matrix([q.text for q in self._bank.questions])

    def _competencies(self, vector: np.ndarray) -> dict[str, float]:
        """Return the probability of each competency for a question vector."""
        if self._classifier is None:
            texts, labels = training_texts(self._bank)
            model = LogisticRegression(C=1.0, max_iter=3000)
            self._classifier = model.fit(self._embeddings.matrix(texts), labels)
        probabilities = self._classifier.predict_proba(vector.reshape(1, -1))[0]
        return {
            str(c): float(p) for c, p in zip(self._classifier.classes_, probabilities, strict=True)
        }

    def _kind(self, vector: np.ndarray) -> str:
        centroids = []
        for kind in ("behavioral", "situational"):
            texts = [q.text for q in self._bank.questions if q.kind == kind]
            centroids.append(float(self._embeddings.matrix(texts).mean(axis=0) @ vector))
        return "behavioral" if centroids[0] >= centroids[1] else "situational"

    def _points(
        self, text: str, vector: np.ndarray, sims: np.ndarray, chances: dict[str, float]
    ) -> list[KeyPoint]:
        a, b, c = self._s.point_weights
        candidates: list[tuple[float, KeyPoint]] = []
        for question, weight in zip(self._bank.questions, sims, strict=True):
            vectors = self._embeddings.matrix([k.text for k in question.key_points])
            prior = chances.get(question.competency, 0.0)
            for point, sim in zip(question.key_points, vectors @ vector, strict=True):
                candidates.append((a * float(sim) + b * float(weight) + c * prior, point))
        chosen: list[KeyPoint] = []
        for _, point in sorted(candidates, key=lambda c: -c[0]):
            if len(chosen) >= self._s.bank_points:
                break
            if not self._duplicate(point, chosen):
                chosen.append(point)
        for point in self._guide_points(text, vector):
            if len(chosen) >= self._s.max_points:
                break
            if not self._duplicate(point, chosen):
                chosen.append(point)
        return [
            KeyPoint(f"{'g' if p.id == GUIDE else 'k'}{n}", p.text, p.source, p.section, p.quote)
            for n, p in enumerate(chosen, start=1)
        ]

    def _duplicate(self, point: KeyPoint, chosen: list[KeyPoint]) -> bool:
        if any(point.quote == c.quote for c in chosen):
            return True
        if not chosen:
            return False
        vectors = self._embeddings.matrix([point.text] + [c.text for c in chosen])
        return bool(np.max(vectors[1:] @ vectors[0]) >= self._s.duplicate)

    def _guide_points(self, text: str, vector: np.ndarray) -> list[KeyPoint]:
        found = self._sentences(text)
        if not found:
            return []
        sims = self._embeddings.matrix([s for s, _, _ in found]) @ vector
        ranked = sorted(zip(sims, found, strict=True), key=lambda item: -item[0])
        points: list[KeyPoint] = []
        for sim, (sentence, source, section) in ranked:
            if sim < self._s.guide_min or len(points) >= self._s.guide_points:
                break
            points.append(KeyPoint(GUIDE, sentence, source, section, sentence))
        return points

    def _sentences(self, text: str) -> list[tuple[str, str, str]]:
        """Return quotable guide sentences about `text`: (sentence, source, section)."""
        if self._retrieve is not None:
            passages = self._retrieve(text, self._s.passages)
            pool = [(p.text, p.source, p.section) for p in passages]
        else:
            pool = [
                (paragraph, s.source, s.heading)
                for s in self._guides.sections
                for paragraph in s.paragraphs
            ]
        out: list[tuple[str, str, str]] = []
        for passage, source, section in pool:
            for sentence in sentences(passage):
                words = len(sentence.split())
                if not self._s.min_words <= words <= self._s.max_words:
                    continue
                if self._guides.paragraph(source, section, sentence) is not None:
                    out.append((sentence, source, section))
        return list(dict.fromkeys(out))


def training_texts(bank: Bank) -> tuple[list[str], list[str]]:
    """Return the bank's texts labelled with their competency (the classifier's training data)."""
    texts: list[str] = []
    labels: list[str] = []
    for question in bank.questions:
        own = [question.text, *(f.text for f in question.follow_ups)]
        own += [t for k in question.key_points for t in (k.text, k.quote)]
        texts += own
        labels += [question.competency] * len(own)
    for competency in bank.competencies:
        texts.append(f"{competency.name}. {competency.advice}")
        labels.append(competency.id)
    return texts, labels
