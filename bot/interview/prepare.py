"""Interview preparation for a pasted question: cited key points, outline, pitfalls, follow-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.interview.bank import Question
from bot.interview.custom import Mapped
from bot.interview.feedback import cite
from bot.interview.guides import Guides
from bot.interview.rubric import THRESHOLDS, Reference
from bot.interview.topic import phrases
from bot.prompts import render


def _lines(name: str, folder: Path, **variables: Any) -> list[str]:
    return [line.strip() for line in render(name, folder, **variables).splitlines() if line.strip()]


def _point(question: Question, index: int, n: int) -> dict[str, Any]:
    point = question.key_points[index]
    return {"id": point.id, "text": point.text, "n": n, "section": point.section}


def preparation(
    mapped: Mapped, guides: Guides, folder: Path, reference: Reference, names: dict[str, str]
) -> dict[str, Any]:
    """Return the preparation for a mapped question in the contract's shape (and chat text)."""
    question = mapped.question
    citations, numbers = cite(list(question.key_points), guides)
    points = [_point(question, i, numbers[p.id]) for i, p in enumerate(question.key_points)]
    anchors = reference.topics.anchors(question.text)
    enough = len(anchors) >= THRESHOLDS.anchor_min
    topic = phrases(question.text, list(anchors.values())) if enough else []
    outline = _lines("interview_outline.j2", folder, kind=question.kind, missing=points, covered=[])
    pitfalls = _lines(
        "interview_pitfalls.j2",
        folder,
        kind=question.kind,
        topic=topic,
        first=points[0] if points else None,
        t=THRESHOLDS,
    )
    follow_up = question.follow_ups[0].text if question.follow_ups else ""
    competency = names.get(question.competency, question.competency)
    text = render(
        "interview_prepare.j2",
        folder,
        question=question.text,
        competency=competency,
        kind=question.kind,
        key_points=points,
        outline=outline,
        pitfalls=pitfalls,
        follow_up=follow_up,
    )
    return {
        "question": question.public(),
        "competency": question.competency,
        "competency_name": competency,
        "kind": question.kind,
        "key_points": [{"text": p["text"], "n": p["n"]} for p in points],
        "citations": citations,
        "outline": outline,
        "pitfalls": pitfalls,
        "follow_up": follow_up,
        "similar": [
            {"id": q.id, "text": q.text, "competency": q.competency} for q, _ in mapped.similar[:3]
        ],
        "text": text,
    }
