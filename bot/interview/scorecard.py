"""Scorecard: scores by competency and dimension, strengths, development areas, Markdown."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from statistics import mean
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.interview.bank import DIMENSIONS, Bank, Pointer
from bot.interview.guides import Guides
from bot.interview.practice import current_answers
from bot.interview.rubric import THRESHOLDS
from bot.prompts import render

READ_LIMIT = 3


def _avg(values: list[float]) -> float:
    return round(mean(values), 1) if values else 0.0


def by_competency(answers: list[dict[str, Any]]) -> dict[str, float]:
    """Return the mean overall score of each competency, in the order first asked."""
    order = list(dict.fromkeys(a["competency"] for a in answers))
    return {c: _avg([a["overall"] for a in answers if a["competency"] == c]) for c in order}


def by_dimension(answers: list[dict[str, Any]]) -> dict[str, float]:
    """Return the mean score of each rubric dimension."""
    if not answers:
        return {}
    return {d: _avg([float(a["scores"][d]) for a in answers]) for d in DIMENSIONS}


def _read(pointers: list[Pointer], guides: Guides) -> list[dict[str, str]]:
    titles = guides.titles()
    unique = list(dict.fromkeys(pointers))[:READ_LIMIT]
    return [
        {"source": p.source, "title": titles.get(p.source, p.source), "section": p.section}
        for p in unique
    ]


def strengths(
    bank: Bank,
    dims: dict[str, float],
    comps: dict[str, float],
    answers: list[dict[str, Any]] | None = None,
) -> list[str]:
    """Return the top strengths: dimensions and competencies at or above strength_min.

    When no average reaches it, the best answers that did are strengths instead, so a 4.6
    answer is never reported beside "nothing reached 3.5".
    """
    found: list[tuple[float, str]] = []
    for dim_id, score in dims.items():
        dim = bank.dimension(dim_id)
        found.append((score, f"{dim.name} ({score}/5): {dim.strength}"))
    for comp_id, score in comps.items():
        found.append((score, f"{bank.competency(comp_id).name} ({score}/5)"))
    ranked = sorted(
        (item for item in found if item[0] >= THRESHOLDS.strength_min), key=lambda x: -x[0]
    )
    if not ranked:
        for number, answer in enumerate(answers or [], start=1):
            if answer["overall"] >= THRESHOLDS.strength_min:
                name = bank.competency(answer["competency"]).name
                text = f"Your answer to question {number} ({name}) scored {answer['overall']}/5"
                ranked.append((answer["overall"], text))
        ranked.sort(key=lambda x: -x[0])
    return [text for _, text in ranked[: THRESHOLDS.top_strengths]]


def _missed(answers: list[dict[str, Any]], competency: str) -> list[dict[str, Any]]:
    points = [p for a in answers if a["competency"] == competency for p in a["missing"]]
    return list({p["text"]: p for p in points}.values())


def _competency_area(
    bank: Bank, guides: Guides, folder: Path, answers: list[dict[str, Any]], comp_id: str
) -> dict[str, Any]:
    comp = bank.competency(comp_id)
    missed = _missed(answers, comp_id)
    pointers = list(comp.read) + [Pointer(p["source"], p["section"]) for p in missed]
    advice = render("interview_advice.j2", folder, advice=comp.advice, missed=missed[:2])
    return {
        "area": comp.name,
        "kind": "competency",
        "id": comp_id,
        "advice": advice,
        "read": _read(pointers, guides),
    }


def _dimension_area(bank: Bank, guides: Guides, dim_id: str) -> dict[str, Any]:
    dim = bank.dimension(dim_id)
    return {
        "area": dim.name,
        "kind": "dimension",
        "id": dim_id,
        "advice": dim.advice,
        "read": _read(list(dim.read), guides),
    }


def improvements(
    bank: Bank, guides: Guides, folder: Path, answers: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Return the three weakest areas (dimensions or competencies) with advice and reading."""
    candidates = [(s, 0, d) for d, s in by_dimension(answers).items()]
    candidates += [(s, 1, c) for c, s in by_competency(answers).items()]
    areas: list[dict[str, Any]] = []
    for score, kind, ident in sorted(candidates)[: THRESHOLDS.top_improvements]:
        if score >= 5:
            continue
        area = (
            _dimension_area(bank, guides, ident)
            if kind == 0
            else _competency_area(bank, guides, folder, answers, ident)
        )
        areas.append({**area, "score": score})
    return areas


def build_scorecard(
    state: dict[str, Any], bank: Bank, guides: Guides, folder: Path
) -> dict[str, Any]:
    """Return the scorecard of an interview state, including its Markdown export.

    Averages count the latest attempt at each question; `retries` lists before and after.
    """
    answers = current_answers(state["answers"])
    comps, dims = by_competency(answers), by_dimension(answers)
    card: dict[str, Any] = {
        "interview_id": state["id"],
        "overall": _avg([a["overall"] for a in answers]),
        "answered": len(answers),
        "total": len(state["questions"]) - len(state.get("retries") or {}),
        "done": bool(state["done"]),
        "by_competency": comps,
        "by_dimension": dims,
        "strengths": strengths(bank, dims, comps, answers),
        "improvements": improvements(bank, guides, folder, answers),
        "retries": retries(state["answers"]),
        "practice_id": state.get("practice_id"),
    }
    card["markdown"] = render_markdown(card, state, bank, folder)
    return card


def retries(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return each retry with the overall score before and after."""
    out = []
    for answer in answers:
        if answer.get("retry_of") is None:
            continue
        before = answers[int(answer["retry_of"])]
        out.append(
            {
                "question_text": answer["question_text"],
                "before": before["overall"],
                "after": answer["overall"],
                "delta": round(answer["overall"] - before["overall"], 1),
            }
        )
    return out


def _names(bank: Bank) -> dict[str, str]:
    return {c.id: c.name for c in bank.competencies}


def slug(heading: str) -> str:
    """Return the anchor of a guide section heading ("Quality Assurance" -> "quality-assurance")."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def guide_link(base: str, source: str, section: str) -> str:
    """Return the URL of a guide section under `base` (the guides route)."""
    return f"{base.rstrip('/')}/{source}#{slug(section)}"


@lru_cache(maxsize=4)
def _html_env(folder: str) -> Environment:
    return Environment(loader=FileSystemLoader(folder), undefined=StrictUndefined, autoescape=True)


def render_html(
    card: dict[str, Any],
    state: dict[str, Any],
    bank: Bank,
    folder: Path,
    guide_url: str,
    fragment: bool = False,
) -> str:
    """Render the HTML scorecard: a printable page, or a fragment for the web app.

    Every value is escaped; phone (reflowing tables) and print styles are included.
    """
    created = datetime.fromtimestamp(float(state["created"]), UTC).strftime("%Y-%m-%d")
    return (
        _html_env(str(folder))
        .get_template("interview_scorecard.html.j2")
        .render(
            card=card,
            answers=state["answers"],
            names=_names(bank),
            dimensions={d.id: d.name for d in bank.dimensions},
            date=created,
            setting=(state.get("setting") or "any").replace("_", " "),
            link=lambda source, section: guide_link(guide_url, source, section),
            fragment=fragment,
        )
    )


def render_markdown(card: dict[str, Any], state: dict[str, Any], bank: Bank, folder: Path) -> str:
    """Render the keepable Markdown report of an interview."""
    names = _names(bank)
    created = datetime.fromtimestamp(float(state["created"]), UTC).strftime("%Y-%m-%d")
    return render(
        "interview_scorecard.j2",
        folder,
        card=card,
        answers=state["answers"],
        names=names,
        dimensions={d.id: d.name for d in bank.dimensions},
        date=created,
        setting=state.get("setting") or "any",
    )
