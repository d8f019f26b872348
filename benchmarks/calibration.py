"""Interview calibration: the overall score of every strong, average and weak calibration answer.

Run from the repository root:  .venv/bin/python benchmarks/calibration.py

Scores `tests/data/interview_calibration.yaml` with the real rubric and MiniLM and writes
`benchmarks/results/calibration.json`, from which `scripts/figures.py` renders the calibration
table in docs/rubric.md. `tests/interview/test_calibration.py` scores the answers with the same
function and fails when the committed file no longer matches.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from statistics import mean
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.ingest.embeddings import MiniLMEmbeddings, make_embeddings
from bot.interview.bank import load_bank
from bot.interview.guides import load_guides
from bot.interview.rubric import make_reference, score_answer

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = ROOT / "tests" / "data" / "interview_calibration.yaml"
RESULTS = ROOT / "benchmarks" / "results" / "calibration.json"

Scores = dict[str, dict[str, list[float]]]


def score_answers(embeddings: MiniLMEmbeddings | None = None) -> Scores:
    """Score every calibration answer: competency -> level -> overall scores, in file order."""
    settings = Settings()
    bank = load_bank(settings.prompts_dir)
    reference = make_reference(bank, load_guides(settings.corpus_dir))
    embeddings = embeddings or make_embeddings(settings)
    items: list[dict[str, Any]] = yaml.safe_load(ANSWERS.read_text("utf-8"))["answers"]
    table: Scores = defaultdict(lambda: defaultdict(list))
    for item in items:
        question = bank.question(item["question"])
        table[question.competency][item["level"]].append(
            score_answer(question, item["answer"], embeddings, reference=reference).overall
        )
    return {c: dict(levels) for c, levels in table.items()}


def summary(scores: Scores) -> dict[str, Any]:
    """Return the mean overall score by competency and level, and by level over competencies."""
    by_competency = {
        c: {level: round(mean(values), 2) for level, values in levels.items()}
        for c, levels in scores.items()
    }
    levels = dict.fromkeys(level for row in by_competency.values() for level in row)
    by_level = {
        level: round(mean(row[level] for row in by_competency.values() if level in row), 2)
        for level in levels
    }
    return {
        "answers": str(ANSWERS.relative_to(ROOT)),
        "by_competency": by_competency,
        "mean": by_level,
    }


def main() -> None:
    """Score the calibration set and write the results file."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary(score_answers()), indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}; render with scripts/figures.py")


if __name__ == "__main__":
    main()
