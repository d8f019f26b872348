"""Interview practice figures: pasted-question calibration, chat routing, key-point coverage.

Run from the repository root:  .venv/bin/python benchmarks/interview_practice.py

Writes `benchmarks/results/interview_practice.json` (tables `pasted`, `routing`, `coverage`),
from which `scripts/figures.py` renders the blocks in README.md and docs/rubric.md.
tests/interview/test_pasted.py recomputes the same figures and fails when the file is stale.

- pasted:   tests/data/interview_pasted.yaml `calibration`: each real-style question (not in the
            bank) is mapped at run time exactly as for a user, then its strong and weak answers
            are scored.
- routing:  share of pasted questions (bare or with a lead-in) that chat routes to interview
            preparation, and share of the project's career questions (eval sets, guard prompts)
            and of the speed benchmark's career questions with polite and personal prefixes
            ("Could you tell me ...", "As a hospitalist, ...") it routes there by mistake, all
            through the real Coach (`Coach.route`: guard, answerability, one learned detector).
            `held_out` and the prefixed questions were never used to set the thresholds.
- coverage: agreement of "key point covered" with the labels of tests/data/interview_coverage.yaml,
            before (cosine >= 0.38) and now (THRESHOLDS.covered_weights).
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import mean
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.ingest.embeddings import MiniLMEmbeddings, make_embeddings
from bot.interview.bank import load_bank
from bot.interview.custom import QuestionMapper
from bot.interview.feedback import PROBES_FILE
from bot.interview.guides import load_guides
from bot.interview.rubric import make_reference, score_answer
from bot.prompts import load_data

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
PASTED = DATA / "interview_pasted.yaml"
COVERAGE = DATA / "interview_coverage.yaml"
RESULTS = ROOT / "benchmarks" / "results" / "interview_practice.json"
OLD_COVERED = 0.38  # the cosine threshold coverage used before issue 9


def career_questions() -> list[str]:
    """Return the project's career questions: eval sets and the guard's career prompts."""
    found: list[str] = []
    for name in ("eval_questions", "eval_holdout", "eval_dev", "eval_test"):
        path = DATA / f"{name}.yaml"
        if path.exists():
            data = yaml.safe_load(path.read_text("utf-8"))
            found += [
                str(q["q"])
                for key in ("questions", "items")
                for q in data.get(key, [])
                if q.get("expect") != "declined"
            ]
    with open(DATA / "guard_prompts.csv", encoding="utf-8") as handle:
        found += [row["text"] for row in csv.DictReader(handle) if row["label"] == "career"]
    return found


def pasted(embeddings: MiniLMEmbeddings) -> list[dict[str, Any]]:
    """Score the strong and weak answer of every pasted calibration question."""
    settings = Settings()
    bank, guides = load_bank(settings.prompts_dir), load_guides(settings.corpus_dir)
    reference = make_reference(bank, guides)
    probes = load_data(PROBES_FILE, settings.prompts_dir)
    mapper = QuestionMapper(bank, guides, embeddings, probes)
    rows = []
    for item in yaml.safe_load(PASTED.read_text("utf-8"))["calibration"]:
        question = mapper.map(item["text"]).question
        strong = score_answer(question, item["strong"], embeddings, reference=reference)
        weak = score_answer(question, item["weak"], embeddings, reference=reference)
        rows.append(
            {
                "question": item["text"],
                "expected": item["competency"],
                "competency": question.competency,
                "strong": strong.overall,
                "weak": weak.overall,
            }
        )
    return rows


def prefixed_questions() -> list[str]:
    """Return the speed benchmark's career questions with each polite or personal prefix."""
    from benchmarks.run import PREFIXES, QUESTIONS

    return [f"{prefix}{question}?" for prefix in PREFIXES for question in QUESTIONS]


@contextmanager
def chat(embeddings: MiniLMEmbeddings, coach: Any = None) -> Iterator[Any]:
    """Yield the given Coach, or one over the guides in a temporary data folder."""
    if coach is not None:
        yield coach
        return
    from bot.coach import Coach

    with tempfile.TemporaryDirectory() as tmp:
        yield Coach(Settings(data_dir=Path(tmp)), embeddings=embeddings)


def routing(embeddings: MiniLMEmbeddings, coach: Any = None) -> dict[str, Any]:
    """Return how chat routes pasted questions and career questions (through the Coach)."""
    data = yaml.safe_load(PASTED.read_text("utf-8"))
    tuned = [i["text"] for i in data["calibration"]] + list(data["chat"])
    held_out = list(data["held_out"])
    career, prefixed = career_questions(), prefixed_questions()
    with chat(embeddings, coach) as bot:

        def share(texts: list[str]) -> float:
            return round(sum(bot.route(t) is not None for t in texts) / len(texts), 3)

        return {
            "tuned": {"n": len(tuned), "routed": share(tuned)},
            "held_out": {"n": len(held_out), "routed": share(held_out)},
            "career": {"n": len(career), "routed": share(career)},
            "prefixed": {"n": len(prefixed), "routed": share(prefixed)},
        }


def coverage(embeddings: MiniLMEmbeddings) -> dict[str, Any]:
    """Return the agreement of key-point coverage with the labels, before and now."""
    from tests.interview.coverage_data import labelled_pairs

    settings = Settings()
    bank = load_bank(settings.prompts_dir)
    reference = make_reference(bank, load_guides(settings.corpus_dir))
    before = now = total = 0
    for question_id, answer, labels in labelled_pairs():
        question = bank.question(question_id)
        score = score_answer(question, answer, embeddings, reference=reference)
        covered = set(score.covered())
        for index, point in enumerate(question.key_points):
            total += 1
            before += (score.coverage[index] >= OLD_COVERED) == labels[point.id]
            now += (index in covered) == labels[point.id]
    return {"pairs": total, "before": round(before / total, 3), "now": round(now / total, 3)}


def summary(
    rows: list[dict[str, Any]], routed: dict[str, Any], covered: dict[str, Any]
) -> dict[str, Any]:
    """Return the results file: the raw figures and the tables the docs show."""
    gaps = [r["strong"] - r["weak"] for r in rows]
    right = sum(r["competency"] == r["expected"] for r in rows)
    pasted_rows: list[list[Any]] = [
        [r["question"], r["competency"], f"{r['strong']:.1f}", f"{r['weak']:.1f}"] for r in rows
    ]
    pasted_rows.append(
        [
            f"**mean of {len(rows)}** (competency as labelled: {right} of {len(rows)})",
            "",
            f"**{mean(r['strong'] for r in rows):.2f}**",
            f"**{mean(r['weak'] for r in rows):.2f}**",
        ]
    )
    percent = "{:.0%}".format
    return {
        "pasted": {
            "questions": len(rows),
            "mean_gap": round(mean(gaps), 2),
            "min_gap": round(min(gaps), 2),
            "competency_right": right,
            "rows": rows,
        },
        "routing": routed,
        "coverage": covered,
        "tables": {
            "pasted": {
                "columns": ["Pasted question", "Mapped to", "Strong", "Weak"],
                "rows": pasted_rows,
                "caption": f"Mean gap {mean(gaps):.2f}, smallest gap {min(gaps):.2f}.",
            },
            "routing": {
                "columns": ["Messages", "Count", "Routed to interview preparation"],
                "rows": [
                    [
                        "Pasted interview questions (set used to tune)",
                        routed["tuned"]["n"],
                        percent(routed["tuned"]["routed"]),
                    ],
                    [
                        "Pasted interview questions (held out)",
                        routed["held_out"]["n"],
                        percent(routed["held_out"]["routed"]),
                    ],
                    [
                        "Career questions (eval sets, guard prompts)",
                        routed["career"]["n"],
                        percent(routed["career"]["routed"]),
                    ],
                    [
                        "Career questions with polite or personal prefixes (speed benchmark)",
                        routed["prefixed"]["n"],
                        percent(routed["prefixed"]["routed"]),
                    ],
                ],
            },
            "coverage": {
                "columns": ["Key point counted as covered when", "Agreement with labels"],
                "rows": [
                    [f"best sentence cosine >= {OLD_COVERED} (before)", percent(covered["before"])],
                    ["learned from cosine and answer quality (now)", percent(covered["now"])],
                ],
                "caption": f"{covered['pairs']} labelled (answer, key point) pairs.",
            },
        },
    }


def measure(embeddings: MiniLMEmbeddings | None = None, coach: Any = None) -> dict[str, Any]:
    """Compute every figure (routing through `coach`, or a Coach of its own)."""
    embeddings = embeddings or make_embeddings(Settings())
    return summary(pasted(embeddings), routing(embeddings, coach), coverage(embeddings))


def main() -> None:
    """Measure and write the results file."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(measure(), indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}; render with scripts/figures.py")


if __name__ == "__main__":
    main()
