"""Feedback on one answer: strengths, missing key points with citations, outline, follow-up."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.interview.bank import KeyPoint, Question
from bot.interview.guides import Guides
from bot.interview.rubric import THRESHOLDS, Score, Thresholds, specificity_score
from bot.prompts import load_data, render
from bot.text import content_terms, parse_markers

log = logging.getLogger(__name__)

Phraser = Callable[[str, dict[str, Any]], str]
_BLANK_RUN = re.compile(r"\n\s*\n(?:\s*\n)+")
PROBES_FILE = "interview_probes.yaml"
STORY_SPECIFICITY = 4  # an answer this specific (uncapped) is a real story, whatever its topic


@dataclass(frozen=True)
class Feedback:
    """Everything the user sees about one answer, besides the scores."""

    text: str
    citations: list[dict[str, Any]]
    strengths: list[str]
    missing: list[dict[str, Any]]
    outline: list[str]
    follow_up: str


def _lines(name: str, folder: Path, **variables: Any) -> list[str]:
    return [line.strip() for line in render(name, folder, **variables).splitlines() if line.strip()]


def cite(points: list[KeyPoint], guides: Guides) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Number the guide paragraphs behind `points`; return citations and key point id -> n."""
    titles = guides.titles()
    citations: list[dict[str, Any]] = []
    numbers: dict[str, int] = {}
    for point in points:
        text = guides.paragraph(point.source, point.section, point.quote) or point.quote
        found = next(
            (c for c in citations if c["source"] == point.source and c["text"] == text), None
        )
        if found is None:
            found = {
                "n": len(citations) + 1,
                "source": point.source,
                "title": titles.get(point.source, point.source),
                "section": point.section,
                "text": text,
            }
            citations.append(found)
        numbers[point.id] = int(found["n"])
    return citations, numbers


def choose_follow_up(
    question: Question,
    missing: list[str],
    answer: str = "",
    probes: list[str] | None = None,
) -> str:
    """Return a follow-up about something the answer did not say.

    In order: the bank follow-up of the most important missing key point; a probe for the
    weakest part of the answer (`probes`, from the rubric); the bank follow-up that shares the
    fewest words with the answer.
    """
    for point_id in missing:
        for follow_up in question.follow_ups:
            if follow_up.key_point == point_id:
                return follow_up.text
    if probes or not question.follow_ups:
        return (probes or ["What would you do differently next time?"])[0]
    said = content_terms(answer)
    ranked = sorted(
        enumerate(question.follow_ups),
        key=lambda item: (len(content_terms(item[1].text) & said), item[0]),
    )
    return ranked[0][1].text


def probes_for(score: Score, kind: str, folder: Path, t: Thresholds = THRESHOLDS) -> list[str]:
    """Return follow-up probes for what the answer left out: weakest dimensions, then reflection."""
    table: dict[str, dict[str, str]] = load_data(PROBES_FILE, folder)
    weak = sorted(
        (value, name) for name, value in score.scores.items() if value <= 3 and name in table
    )
    probes = [table[name][kind] for _, name in weak]
    if not score.cues.reflection:
        probes.append(table["reflection"][kind])
    return probes


def _point(point: KeyPoint, n: int | None) -> dict[str, Any]:
    return {
        "id": point.id,
        "text": point.text,
        "n": n,
        "source": point.source,
        "section": point.section,
        "quote": point.quote,
    }


def findings_for(
    question: Question,
    score: Score,
    guides: Guides,
    t: Thresholds = THRESHOLDS,
    folder: Path | None = None,
    answer: str = "",
) -> dict[str, Any]:
    """Return the facts feedback is written from: covered/missing points, flags, citations."""
    covered_idx = set(score.covered(t))
    missing = [p for i, p in enumerate(question.key_points) if i not in covered_idx]
    covered = [p for i, p in enumerate(question.key_points) if i in covered_idx]
    cited = missing or covered[:2]
    citations, numbers = cite(cited, guides)
    return {
        "question": question.text,
        "question_id": question.id,
        "competency": question.competency,
        "kind": question.kind,
        "scores": dict(score.scores),
        "overall": score.overall,
        "covered": [_point(p, numbers.get(p.id)) for p in covered],
        "missing": [_point(p, numbers[p.id]) for p in missing],
        "citations": citations,
        "injection": "injection" in score.caps,
        "off_topic": "off_topic" in score.caps,
        "other_question": "other_question" in score.caps,
        "closer": score.other_question,
        "missed_topic": list(score.missed_topic),
        "story": specificity_score(score.cues, t) >= STORY_SPECIFICITY,
        "vague": "vague" in score.caps,
        "short": "short" in score.caps or "very_short" in score.caps,
        "follow_up": choose_follow_up(
            question,
            [p.id for p in missing],
            answer,
            probes_for(score, question.kind, folder) if folder is not None else None,
        ),
    }


def _phrase(phraser: Phraser | None, text: str, findings: dict[str, Any], part: str) -> str:
    if phraser is None:
        return text
    allowed = {c["n"] for c in findings["citations"]}
    try:
        phrased = phraser(text, {**findings, "part": part})
    except Exception:  # a failing phraser must never cost the user their feedback
        log.warning("interview phraser failed; using the rendered %s", part)
        return text
    markers = set(parse_markers(phrased or ""))
    if not isinstance(phrased, str) or not phrased.strip() or not markers <= allowed:
        return text
    return phrased.strip()


def compose_feedback(
    question: Question,
    score: Score,
    guides: Guides,
    folder: Path,
    phraser: Phraser | None = None,
    answer: str = "",
) -> Feedback:
    """Render the feedback for one scored answer from the templates in `folder`."""
    findings = findings_for(question, score, guides, folder=folder, answer=answer)
    scores, kind = findings["scores"], findings["kind"]
    strengths = _lines("interview_strengths.j2", folder, scores=scores, covered=findings["covered"])
    flags = ("injection", "off_topic", "other_question", "vague", "short")
    if any(findings[flag] for flag in flags):
        strengths = []
    gaps = _lines("interview_gaps.j2", folder, scores=scores, kind=kind)
    if findings["other_question"] or findings["injection"]:
        gaps = []
    outline = _lines(
        "interview_outline.j2",
        folder,
        kind=kind,
        missing=findings["missing"],
        covered=findings["covered"],
    )
    findings.update(strengths=strengths, gaps=gaps, outline=outline)
    text = _BLANK_RUN.sub("\n\n", render("interview_feedback.j2", folder, **findings))
    return Feedback(
        text=_phrase(phraser, text, findings, "feedback"),
        citations=findings["citations"],
        strengths=strengths,
        missing=findings["missing"],
        outline=outline,
        follow_up=_phrase(phraser, findings["follow_up"], findings, "follow_up"),
    )
