"""Choose the insights report's grouping distance on labelled paraphrase groups.

Prints the adjusted Rand index of the clustering at each cosine-distance cut on the calibration
groups and on the held-out groups (which the choice must not look at). The constant
bot.insights.GROUP_DISTANCE is the calibration optimum. Results: results/insights_grouping.json.

    .venv/bin/python benchmarks/insights_grouping.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml
from sklearn.metrics import adjusted_rand_score

from bot.config import Settings
from bot.ingest.embeddings import make_embeddings
from bot.insights import GROUP_DISTANCE, cluster

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "insights_groups.yaml"
RESULT = Path(__file__).resolve().parent / "results" / "insights_grouping.json"


def score(groups: list[list[str]], embeddings: object, distance: float) -> float:
    texts = [q for group in groups for q in group]
    truth = [i for i, group in enumerate(groups) for _ in group]
    labels = cluster(embeddings.matrix(texts), distance)  # type: ignore[attr-defined]
    return float(adjusted_rand_score(truth, labels))


def main() -> None:
    data = yaml.safe_load(DATA.read_text("utf-8"))
    embeddings = make_embeddings(Settings())
    cuts = [round(x, 3) for x in np.arange(0.2, 0.5, 0.025)]
    rows = [
        (d, score(data["calibration"], embeddings, d), score(data["holdout"], embeddings, d))
        for d in cuts
    ]
    print("distance  calibration_ARI  holdout_ARI")
    for d, cal, hold in rows:
        mark = "  <- GROUP_DISTANCE" if abs(d - GROUP_DISTANCE) < 1e-9 else ""
        print(f"{d:8.3f}  {cal:15.3f}  {hold:11.3f}{mark}")
    best = max(rows, key=lambda r: r[1])
    print(f"calibration optimum: {best[0]} (ARI {best[1]:.3f}); held-out ARI there {best[2]:.3f}")
    RESULT.write_text(
        json.dumps(
            {
                "group_distance": GROUP_DISTANCE,
                "calibration_optimum": best[0],
                "calibration_ari": round(best[1], 3),
                "holdout_ari": round(best[2], 3),
                "cuts": [
                    {"distance": d, "calibration": round(c, 3), "holdout": round(h, 3)}
                    for d, c, h in rows
                ],
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
