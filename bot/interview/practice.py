"""Practice over time: retries with before/after, and progress across interviews (no accounts).

A `practice_id` is a random id the first interview creates; browsers keep it in local storage.
It holds no personal data: the interviews carrying it are found through the session store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from statistics import mean
from typing import Any

from bot.interview.bank import DIMENSIONS


def superseded(answers: list[dict[str, Any]]) -> set[int]:
    """Return the indexes of answers that a later retry of the same question replaced."""
    return {int(a["retry_of"]) for a in answers if a.get("retry_of") is not None}


def current_answers(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the answers that count for the scorecard: the latest attempt at each question."""
    replaced = superseded(answers)
    return [a for i, a in enumerate(answers) if i not in replaced]


def compare(previous: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """Return what a retry changed: the earlier scores, the delta per dimension, points gained."""
    delta: dict[str, float] = {d: record["scores"][d] - previous["scores"][d] for d in DIMENSIONS}
    delta["overall"] = round(record["overall"] - previous["overall"], 1)
    still_missing = {p["id"] for p in record["missing"]}
    return {
        "previous": {
            "scores": dict(previous["scores"]),
            "overall": previous["overall"],
            "answer": previous["answer"],
        },
        "delta": delta,
        "now_covered": [p["text"] for p in previous["missing"] if p["id"] not in still_missing],
    }


def score_line(scores: dict[str, int], overall: float, names: dict[str, str]) -> str:
    """Return the one score line every surface shows: overall, then each dimension by name."""
    parts = [f"{names.get(d, d)} {scores[d]}" for d in DIMENSIONS if d in scores]
    return f"Overall {overall:.1f}/5 · " + " · ".join(parts)


def _avg(values: list[float]) -> float:
    return round(mean(values), 1) if values else 0.0


def iso_date(timestamp: float) -> str:
    """Return an epoch timestamp as an ISO 8601 UTC date and time."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _summary(state: dict[str, Any], answers: list[dict[str, Any]]) -> dict[str, Any]:
    order = list(dict.fromkeys(a["competency"] for a in answers))
    return {
        "interview_id": state["id"],
        "date": iso_date(float(state["created"])),
        "overall": _avg([a["overall"] for a in answers]),
        "by_competency": {
            c: _avg([a["overall"] for a in answers if a["competency"] == c]) for c in order
        },
        "answered": len(answers),
        "done": bool(state.get("done")),
        "question_text": answers[0]["question_text"] if state.get("custom") else None,
    }


def progress(states: list[dict[str, Any]], names: dict[str, str]) -> dict[str, Any]:
    """Return past interviews with dates and scores, averages by competency, and the weakest."""
    interviews: list[dict[str, Any]] = []
    scores: dict[str, list[tuple[dict[str, Any], float]]] = {}
    for state in sorted(states, key=lambda s: float(s.get("created", 0))):
        answers = current_answers(state.get("answers") or [])
        if not answers:
            continue
        summary = _summary(state, answers)
        interviews.append(summary)
        for competency, score in summary["by_competency"].items():
            scores.setdefault(competency, []).append((summary, score))
    by_competency = {
        competency: {
            "name": names.get(competency, competency),
            "average": _avg([score for _, score in points]),
            "latest": points[-1][1],
            "interviews": len(points),
            "trend": [
                {"interview_id": s["interview_id"], "date": s["date"], "score": score}
                for s, score in points
            ],
        }
        for competency, points in scores.items()
    }
    weakest = None
    if by_competency:
        competency = min(by_competency, key=lambda c: (by_competency[c]["average"], c))
        weakest = {
            "id": competency,
            "name": by_competency[competency]["name"],
            "average": by_competency[competency]["average"],
        }
    return {
        "interviews": interviews,
        "by_competency": by_competency,
        "weakest": weakest,
        "overall": _avg([i["overall"] for i in interviews]),
    }
