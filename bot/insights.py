"""Admin insights: what members ask, what the guides miss, declines, votes and interview scores.

Questions are grouped by meaning: MiniLM embeddings clustered by average-linkage agglomerative
clustering with a cosine-distance cut (GROUP_DISTANCE, calibrated on labelled paraphrase groups
by `benchmarks/insights_grouping.py`). Only stored text appears, and stored text is redacted.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bot.errors import BotError
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.sessions import Activity, SessionStore

GROUP_DISTANCE = 0.325  # cosine distance: calibration ARI 0.88, held-out 0.80 (the benchmark)
MAX_GROUPED = 2000  # distinct questions clustered at most (the most frequent first)
TOP_GROUPS = 20
EXAMPLES = 3
MAX_VOTES = 50
MAX_DAYS = 3650
DAY = 86_400.0


def check_days(value: object) -> int:
    """Return a valid report window in days; raise BotError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        raise BotError("invalid_days", f"days must be a whole number from 1 to {MAX_DAYS}.")
    return value


def group_questions(
    questions: list[str], embeddings: MiniLMEmbeddings, distance: float = GROUP_DISTANCE
) -> list[dict[str, Any]]:
    """Group questions by meaning; return groups (count, example, other examples), largest first."""
    counts = Counter(q.strip() for q in questions if q.strip())
    distinct = [q for q, _ in counts.most_common(MAX_GROUPED)]
    if not distinct:
        return []
    vectors = embeddings.matrix(distinct)
    labels = cluster(vectors, distance)
    members: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        members[int(label)].append(index)
    groups = [_group(rows, distinct, counts, vectors) for rows in members.values()]
    groups.sort(key=lambda g: (-g["count"], g["example"]))
    return groups


def cluster(vectors: np.ndarray, distance: float = GROUP_DISTANCE) -> np.ndarray:
    """Return a cluster label per row (unit vectors; average linkage, cosine distance cut)."""
    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
    )
    return np.asarray(model.fit_predict(vectors))


def _group(
    rows: list[int], texts: list[str], counts: Counter[str], vectors: np.ndarray
) -> dict[str, Any]:
    weights = np.array([counts[texts[r]] for r in rows], dtype=np.float32)
    centre = (vectors[rows] * weights[:, None]).sum(axis=0)
    order = sorted(rows, key=lambda r: (-float(vectors[r] @ centre), -counts[texts[r]]))
    return {
        "count": int(weights.sum()),
        "example": texts[order[0]],
        "also": [texts[r] for r in order[1:EXAMPLES]],
    }


def build_report(
    store: SessionStore,
    embeddings: MiniLMEmbeddings,
    days: int = 30,
    competency_names: dict[str, str] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Build the insights report over the last `days` days."""
    now = time.time() if now is None else now
    since = now - check_days(days) * DAY
    activity = store.activity(since)
    asked = [t for t in activity.turns if t["role"] == "user"]
    questions = [
        t["text"] for t in asked if t["verdict"] != "declined" and t["reason"] != "greeting"
    ]
    gaps = [t["text"] for t in asked if t["verdict"] == "no_answer"]
    return {
        "days": days,
        "since": _iso(since),
        "generated": _iso(now),
        "conversations": len({t["session_id"] for t in asked}),
        "questions": len(questions),
        "top_questions": group_questions(questions, embeddings)[:TOP_GROUPS],
        "no_answer": group_questions(gaps, embeddings)[:TOP_GROUPS],
        "declines": _declines(asked),
        "feedback": _feedback(activity),
        "interviews": _interviews(activity, since, competency_names or {}),
    }


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


def _declines(asked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    reasons = Counter(t["reason"] or "unspecified" for t in asked if t["verdict"] == "declined")
    return [{"reason": r, "count": n} for r, n in reasons.most_common()]


def _feedback(activity: Activity) -> dict[str, Any]:
    votes = sorted(activity.feedback, key=lambda v: -v["created"])
    return {
        "up": sum(1 for v in votes if v["rating"] > 0),
        "down": sum(1 for v in votes if v["rating"] < 0),
        "votes": [
            {
                "rating": "up" if v["rating"] > 0 else "down",
                "question": v["question"],
                "answer": _short(v["answer"]),
            }
            for v in votes[:MAX_VOTES]
        ],
    }


def _short(text: str, limit: int = 280) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _interviews(activity: Activity, since: float, names: dict[str, str]) -> dict[str, Any]:
    started = [s for s in activity.interviews if float(s.get("created", since)) >= since]
    scores: dict[str, list[float]] = defaultdict(list)
    for state in started:
        for answer in state.get("answers", []):
            if isinstance(answer.get("overall"), int | float):
                scores[str(answer.get("competency", ""))].append(float(answer["overall"]))
    everything = [x for values in scores.values() for x in values]
    return {
        "started": len(started),
        "completed": sum(1 for s in started if s.get("done")),
        "answers": len(everything),
        "average_overall": round(float(np.mean(everything)), 2) if everything else None,
        "by_competency": [
            {
                "competency": cid,
                "name": names.get(cid, cid),
                "answers": len(values),
                "average": round(float(np.mean(values)), 2),
            }
            for cid, values in sorted(scores.items(), key=lambda kv: float(np.mean(kv[1])))
        ],
    }


def format_markdown(report: dict[str, Any]) -> str:
    """Render the report as Markdown for editors and managers."""
    lines = [
        f"# Director Coach insights: last {report['days']} days",
        "",
        f"From {report['since']} to {report['generated']} (UTC): {report['conversations']} "
        f"conversations, {report['questions']} questions. Text is stored redacted.",
        "",
        "## Most asked (grouped by meaning)",
        "",
        *_group_lines(report["top_questions"]),
        "",
        "## Not covered by the guides (no_answer), grouped by meaning",
        "",
        *_group_lines(report["no_answer"]),
        "",
        "## Declined, by reason",
        "",
        *([f"- {d['reason']}: {d['count']}" for d in report["declines"]] or ["- none"]),
        "",
        *_feedback_lines(report["feedback"]),
        "",
        *_interview_lines(report["interviews"]),
    ]
    return "\n".join(lines).rstrip() + "\n"


def _quote(text: str) -> str:
    """Quote stored text as inline code so Markdown in it is shown, not rendered."""
    flat = " ".join(text.split()).replace("`", "'")
    return f"`{flat}`"


def _group_lines(groups: list[dict[str, Any]]) -> list[str]:
    if not groups:
        return ["- none"]
    lines = []
    for g in groups:
        also = "; ".join(_quote(q) for q in g["also"])
        lines.append(
            f"- **{g['count']}×** {_quote(g['example'])}" + (f" (also {also})" if also else "")
        )
    return lines


def _feedback_lines(feedback: dict[str, Any]) -> list[str]:
    lines = [f"## Feedback: {feedback['up']} up, {feedback['down']} down", ""]
    for v in feedback["votes"]:
        mark = "👍" if v["rating"] == "up" else "👎"
        lines.append(f"- {mark} {_quote(v['question'])} → {_quote(v['answer'])}")
    return lines if feedback["votes"] else [*lines, "- none"]


def _interview_lines(interviews: dict[str, Any]) -> list[str]:
    average = interviews["average_overall"]
    lines = [
        "## Mock interviews",
        "",
        f"{interviews['started']} started, {interviews['completed']} completed, "
        f"{interviews['answers']} answers scored"
        + (f", average {average} / 5." if average is not None else "."),
    ]
    if interviews["by_competency"]:
        lines += ["", "| competency | answers | average (1-5) |", "| --- | --- | --- |"]
        lines += [
            f"| {c['name']} | {c['answers']} | {c['average']} |"
            for c in interviews["by_competency"]
        ]
    return lines
