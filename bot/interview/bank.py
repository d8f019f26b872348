"""Question bank: load `prompts/questions.yaml` into typed records and validate it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.interview.guides import Guides
from bot.prompts import load_data

BANK_FILE = "questions.yaml"
COMPETENCY_IDS = (
    "strategy",
    "finance",
    "communication",
    "conflict",
    "compliance",
    "quality",
    "leadership",
    "delegation",
    "data",
    "crisis",
)
DIMENSIONS = ("relevance", "structure", "specificity", "outcome", "leadership")
SETTINGS = ("hospital", "outpatient", "post_acute", "behavioral_health")
KINDS = ("behavioral", "situational")


class BankError(ValueError):
    """The question bank file is malformed or does not match the guides."""


@dataclass(frozen=True)
class Pointer:
    """A guide section to read: file name and exact heading."""

    source: str
    section: str


@dataclass(frozen=True)
class KeyPoint:
    """A point a strong answer covers, tied to a verbatim guide sentence."""

    id: str
    text: str
    source: str
    section: str
    quote: str


@dataclass(frozen=True)
class FollowUp:
    """A probing follow-up question and the key point (gap) it probes."""

    text: str
    key_point: str


@dataclass(frozen=True)
class Question:
    """An interview question with its key points and follow-ups."""

    id: str
    competency: str
    kind: str
    settings: tuple[str, ...]
    text: str
    key_points: tuple[KeyPoint, ...]
    follow_ups: tuple[FollowUp, ...]

    def public(self) -> dict[str, Any]:
        """Return the contract's question shape."""
        return {
            "id": self.id,
            "text": self.text,
            "competency": self.competency,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class Competency:
    """A competency: id, display name and what to read in the guides."""

    id: str
    name: str
    advice: str
    read: tuple[Pointer, ...]


@dataclass(frozen=True)
class Dimension:
    """A rubric dimension: display name, strength and advice wording, what to read."""

    id: str
    name: str
    strength: str
    advice: str
    read: tuple[Pointer, ...]


@dataclass(frozen=True)
class Bank:
    """The whole question bank."""

    competencies: tuple[Competency, ...]
    dimensions: tuple[Dimension, ...]
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question:
        """Return the question with this id; raise KeyError when unknown."""
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def competency(self, competency_id: str) -> Competency:
        """Return the competency with this id; raise KeyError when unknown."""
        for competency in self.competencies:
            if competency.id == competency_id:
                return competency
        raise KeyError(competency_id)

    def dimension(self, dimension_id: str) -> Dimension:
        """Return the dimension with this id; raise KeyError when unknown."""
        for dimension in self.dimensions:
            if dimension.id == dimension_id:
                return dimension
        raise KeyError(dimension_id)

    def for_competency(self, competency_id: str) -> list[Question]:
        """Return the questions of one competency, in bank order."""
        return [q for q in self.questions if q.competency == competency_id]


def _pointers(raw: list[dict[str, str]]) -> tuple[Pointer, ...]:
    return tuple(Pointer(str(p["source"]), str(p["section"])) for p in raw)


def _question(raw: dict[str, Any]) -> Question:
    return Question(
        id=str(raw["id"]),
        competency=str(raw["competency"]),
        kind=str(raw["kind"]),
        settings=tuple(str(s) for s in raw.get("settings") or ()),
        text=str(raw["text"]).strip(),
        key_points=tuple(
            KeyPoint(str(k["id"]), str(k["text"]), str(k["source"]), str(k["section"]), k["quote"])
            for k in raw["key_points"]
        ),
        follow_ups=tuple(FollowUp(str(f["text"]), str(f["key_point"])) for f in raw["follow_ups"]),
    )


def parse_bank(data: dict[str, Any]) -> Bank:
    """Build a Bank from the parsed YAML; raise BankError when a field is missing."""
    try:
        return Bank(
            competencies=tuple(
                Competency(str(c["id"]), str(c["name"]), str(c["advice"]), _pointers(c["read"]))
                for c in data["competencies"]
            ),
            dimensions=tuple(
                Dimension(
                    str(d["id"]),
                    str(d["name"]),
                    str(d["strength"]),
                    str(d["advice"]),
                    _pointers(d["read"]),
                )
                for d in data["dimensions"]
            ),
            questions=tuple(_question(q) for q in data["questions"]),
        )
    except (KeyError, TypeError) as exc:
        raise BankError(f"malformed question bank: missing or wrong field {exc}") from exc


def load_bank(folder: Path) -> Bank:
    """Load the question bank by name from the prompts folder."""
    data = load_data(BANK_FILE, folder)
    if not isinstance(data, dict):
        raise BankError(f"{BANK_FILE} must be a mapping")
    return parse_bank(data)


def _question_problems(question: Question, guides: Guides) -> list[str]:
    where = f"question {question.id}"
    problems: list[str] = []
    if question.competency not in COMPETENCY_IDS:
        problems.append(f"{where}: unknown competency {question.competency!r}")
    if question.kind not in KINDS:
        problems.append(f"{where}: kind must be one of {KINDS}")
    problems += [f"{where}: unknown setting {s!r}" for s in question.settings if s not in SETTINGS]
    if not 3 <= len(question.key_points) <= 5:
        problems.append(f"{where}: needs 3-5 key points")
    if not 2 <= len(question.follow_ups) <= 3:
        problems.append(f"{where}: needs 2-3 follow-ups")
    ids = [k.id for k in question.key_points]
    if len(set(ids)) != len(ids):
        problems.append(f"{where}: duplicate key point ids")
    for follow_up in question.follow_ups:
        if follow_up.key_point not in ids:
            problems.append(f"{where}: follow-up names unknown key point {follow_up.key_point!r}")
    for point in question.key_points:
        if guides.paragraph(point.source, point.section, point.quote) is None:
            problems.append(
                f"{where}/{point.id}: quote not found verbatim in {point.source} § {point.section}"
            )
    return problems


def _pointer_problems(owner: str, pointers: tuple[Pointer, ...], guides: Guides) -> list[str]:
    if not pointers:
        return [f"{owner}: needs at least one guide section to read"]
    return [
        f"{owner}: no section {p.section!r} in {p.source}"
        for p in pointers
        if not guides.named(p.source, p.section)
    ]


def validate_bank(bank: Bank, guides: Guides, min_per_competency: int = 4) -> list[str]:
    """Return every problem in the bank (empty when valid), checking quotes against the guides."""
    problems: list[str] = []
    ids = [c.id for c in bank.competencies]
    if sorted(ids) != sorted(COMPETENCY_IDS):
        problems.append(f"competencies must be exactly {', '.join(COMPETENCY_IDS)}")
    for competency in bank.competencies:
        problems += _pointer_problems(f"competency {competency.id}", competency.read, guides)
        count = len(bank.for_competency(competency.id))
        if count < min_per_competency:
            problems.append(
                f"competency {competency.id}: {count} questions, need {min_per_competency}"
            )
    if [d.id for d in bank.dimensions] != list(DIMENSIONS):
        problems.append(f"dimensions must be, in order: {', '.join(DIMENSIONS)}")
    for dimension in bank.dimensions:
        problems += _pointer_problems(f"dimension {dimension.id}", dimension.read, guides)
    question_ids = [q.id for q in bank.questions]
    if len(set(question_ids)) != len(question_ids):
        problems.append("question ids must be unique")
    for question in bank.questions:
        problems += _question_problems(question, guides)
    return problems
