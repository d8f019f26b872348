"""Fit and measure key-point coverage on the labelled answers (THRESHOLDS.covered_weights).

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/interview_coverage.py

Prints the agreement of the rubric's coverage with the labels (all pairs, strong answers,
leave-one-answer-out for the refitted weights) and the weights a logistic regression finds, so
that `covered_weights` in bot/interview/rubric.py can be updated from data.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import LeaveOneGroupOut, cross_val_predict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.ingest.embeddings import make_embeddings
from bot.interview.bank import load_bank
from bot.interview.rubric import THRESHOLDS, score_answer
from tests.interview.coverage_data import labelled_pairs


def main() -> None:
    """Print the coverage agreement and the refitted weights."""
    settings = Settings()
    bank = load_bank(settings.prompts_dir)
    embeddings = make_embeddings(settings)
    rows, gold, groups, rubric = [], [], [], []
    for group, (question_id, answer, labels) in enumerate(labelled_pairs()):
        question = bank.question(question_id)
        score = score_answer(question, answer, embeddings, others=bank.questions)
        covered = set(score.covered())
        for index, point in enumerate(question.key_points):
            rows.append([score.coverage[index], score.overall])
            gold.append(labels[point.id])
            groups.append(group)
            rubric.append(index in covered)
    x, y = np.array(rows), np.array(gold)
    old = (x[:, 0] >= 0.38) == y
    print(f"pairs {len(y)}, covered share {y.mean():.2f}")
    print(f"cosine >= 0.38 (before): agreement {old.mean():.3f}")
    agreement = (np.array(rubric) == y).mean()
    print(f"rubric covered_weights {THRESHOLDS.covered_weights}: agreement {agreement:.3f}")
    model = LogisticRegression(C=10.0, max_iter=1000)
    held = cross_val_predict(model, x, y, groups=groups, cv=LeaveOneGroupOut())
    print(f"refit, leave-one-answer-out: agreement {(held == y).mean():.3f}")
    model.fit(x, y)
    bias, (a, b) = float(model.intercept_[0]), model.coef_[0]
    print(f"refit weights: covered_weights = ({bias:.1f}, {a:.1f}, {b:.1f})")


if __name__ == "__main__":
    main()
