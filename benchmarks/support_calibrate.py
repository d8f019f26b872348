"""Measure the support check on the labelled set and search its thresholds.

Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/support_calibrate.py [--search]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.answer.support import THRESHOLDS, SupportChecker, Thresholds
from bot.config import Settings
from bot.ingest.embeddings import make_embeddings

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "data" / "support_labelled.yaml"


def load() -> list[dict[str, object]]:
    data = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    return [item | {"text": data["passages"][item["passage"]]} for item in data["items"]]


def rates(pred: list[bool], gold: list[bool]) -> tuple[float, float]:
    tp = sum(p and g for p, g in zip(pred, gold, strict=True))
    precision = tp / max(1, sum(pred))
    recall = tp / max(1, sum(gold))
    return precision, recall


def predict(rows: list[tuple[float, float, bool]], t: Thresholds) -> list[bool]:
    return [
        not novel and cos >= t.min_cosine and cos + t.lexical_weight * lex >= t.score
        for cos, lex, novel in rows
    ]


def search(rows: list[tuple[float, float, bool]], gold: list[bool]) -> Thresholds:
    """Return the thresholds with the best F0.5, then the widest margin."""
    grid = itertools.product(
        [x / 100 for x in range(40, 121)],
        [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
        [0.3, 0.4, 0.5],
    )

    def key(t: Thresholds) -> tuple[float, float]:
        p, r = rates(predict(rows, t), gold)
        f = 1.25 * p * r / max(1e-9, 0.25 * p + r)  # F0.5: precision counts double
        return (round(f, 4), margin(rows, t))

    return max((Thresholds(s, w, c) for s, w, c in grid), key=key)


def cross_validate(
    items: list[dict[str, object]], rows: list[tuple[float, float, bool]], gold: list[bool]
) -> str:
    """Fit on all passages but one, predict that one; return pooled precision and recall."""
    pred = [False] * len(items)
    for held in {str(i["passage"]) for i in items}:
        train = [k for k, i in enumerate(items) if i["passage"] != held]
        t = search([rows[k] for k in train], [gold[k] for k in train])
        for k, i in enumerate(items):
            if i["passage"] == held:
                pred[k] = predict([rows[k]], t)[0]
    p, r = rates(pred, gold)
    return f"precision={p:.3f} recall={r:.3f}"


def margin(rows: list[tuple[float, float, bool]], t: Thresholds) -> float:
    """Return the smallest distance of any novelty-free item's score to the threshold."""
    scores = [cos + t.lexical_weight * lex for cos, lex, novel in rows if not novel]
    return min(abs(s - t.score) for s in scores)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--search", action="store_true", help="grid-search the thresholds")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every mistake")
    args = parser.parse_args()
    checker = SupportChecker(make_embeddings(Settings()))
    items = load()
    supports = [checker.support(str(i["sentence"]), str(i["text"])) for i in items]
    rows = [(s.cosine, s.lexical, bool(s.novel)) for s in supports]
    gold = [bool(i["supported"]) for i in items]
    best = search(rows, gold) if args.search else THRESHOLDS
    if args.search:
        print(f"held-out (leave one passage out): {cross_validate(items, rows, gold)}")
    pred = predict(rows, best)
    p, r = rates(pred, gold)
    print(f"thresholds={best} items={len(items)} supported={sum(gold)}")
    print(f"precision={p:.3f} recall={r:.3f} (positive class: supported)")
    for kind in sorted({str(i["kind"]) for i in items}):
        idx = [k for k, i in enumerate(items) if i["kind"] == kind]
        right = sum(pred[k] == gold[k] for k in idx)
        print(f"  {kind:16s} {right}/{len(idx)} correct")
    if args.verbose:
        for i, s, pr, g in zip(items, supports, pred, gold, strict=True):
            if pr != g:
                print(
                    f"  {'FP' if pr else 'FN'} cos={s.cosine:.2f} lex={s.lexical:.2f} "
                    f"novel={s.novel} {i['sentence']}"
                )


if __name__ == "__main__":
    main()
