"""Learned scope: logistic regression over MiniLM embeddings, fitted on labelled prompts.

The labelled prompts live in `prompts/guard_train.csv` (text,label). `python -m bot.guard.model`
embeds them, fits a multinomial logistic regression with scikit-learn and writes the weights to
`prompts/guard_model.json` (a few thousand numbers, with a hash of the training file so a stale
model is detected). At run time only numpy is needed: softmax(W x + b).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.resources import prompts_dir

TRAIN_FILE = "guard_train.csv"
MODEL_FILE = "guard_model.json"
C = 4.0  # inverse regularisation strength, chosen by cross-validated log loss (see fit_report)


def read_labelled(text: str) -> list[tuple[str, str]]:
    """Parse a labelled CSV with columns `text,label`."""
    return [(r["text"], r["label"].strip()) for r in csv.DictReader(io.StringIO(text))]


def data_hash(text: str) -> str:
    """Return the short hash that ties a fitted model to its training file."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class TopicModel:
    """Class probabilities for a message embedding (rows of `coef` follow `classes`)."""

    classes: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray
    trained_on: str = ""

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """Return one row of class probabilities per embedding row."""
        logits = np.atleast_2d(vectors) @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        return np.asarray(odds / odds.sum(axis=1, keepdims=True))

    def public(self) -> dict[str, Any]:
        """Return the model as JSON-ready data."""
        return {
            "classes": list(self.classes),
            "coef": np.round(self.coef, 5).tolist(),
            "intercept": np.round(self.intercept, 5).tolist(),
            "trained_on": self.trained_on,
            "C": C,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> TopicModel:
        """Rebuild a model written by `public()`."""
        return cls(
            tuple(data["classes"]),
            np.asarray(data["coef"], np.float32),
            np.asarray(data["intercept"], np.float32),
            str(data.get("trained_on", "")),
        )


def fit(vectors: np.ndarray, labels: list[str], trained_on: str = "") -> TopicModel:
    """Fit the multinomial logistic regression (scikit-learn) on embedded prompts."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=2000)
    clf.fit(vectors, labels)
    return TopicModel(
        tuple(str(c) for c in clf.classes_),
        clf.coef_.astype(np.float32),
        clf.intercept_.astype(np.float32),
        trained_on,
    )


def load_model(folder: Path | None = None) -> TopicModel:
    """Load the shipped weights from the prompts folder."""
    path = (folder or prompts_dir()) / MODEL_FILE
    return TopicModel.from_data(json.loads(path.read_text(encoding="utf-8")))


def main() -> None:
    """Refit the scope model on `guard_train.csv` and write `guard_model.json`."""
    from bot.config import Settings
    from bot.ingest.embeddings import make_embeddings

    settings = Settings()
    text = (settings.prompts_dir / TRAIN_FILE).read_text(encoding="utf-8")
    rows = read_labelled(text)
    embeddings = make_embeddings(settings)
    model = fit(embeddings.matrix([t for t, _ in rows]), [lab for _, lab in rows], data_hash(text))
    target = settings.prompts_dir / MODEL_FILE
    target.write_text(json.dumps(model.public(), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {target} ({len(rows)} prompts, classes {', '.join(model.classes)})")


if __name__ == "__main__":
    main()
