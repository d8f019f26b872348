"""Measure retrieval hit rates at 600/1500-character budgets for several chunk sizes.

Run: `.venv/bin/python benchmarks/chunk_size.py` (builds a throwaway index per size). Writes
benchmarks/results/chunk_size.json; scripts/figures.py renders it into the README.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.evaluate import DATA, load_questions, retrieval_report
from bot.ingest.embeddings import make_embeddings
from bot.ingest.store import make_store
from bot.ingest.sync import ingest
from bot.retrieval.hybrid import make_retriever

SIZES = (250, 350, 450, 600, 800)
RESULTS = Path(__file__).resolve().parent / "results" / "chunk_size.json"


class _Probe:
    """The parts of a Coach that `retrieval_report` reads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embeddings = make_embeddings(settings)
        store = make_store(settings, self.embeddings)
        ingest(settings, store, show_progress=False)
        self.retriever = make_retriever(settings, store, self.embeddings)


def main() -> None:
    questions = (
        load_questions()["questions"] + load_questions(DATA / "eval_holdout.yaml")["questions"]
    )
    rows = []
    for size in SIZES:
        with tempfile.TemporaryDirectory() as tmp:
            probe = _Probe(Settings(data_dir=Path(tmp), chunk_size=size))
            r = retrieval_report(probe, questions)
            row = {"chunk_size": size, "chunks": len(probe.retriever.chunks)}
            rows.append(row | {k: v for k, v in r.items() if "@" in k})
            print(rows[-1], flush=True)
    data = {"questions": len([q for q in questions if q.get("answer")]), "sizes": rows}
    RESULTS.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS}; render with scripts/figures.py")


if __name__ == "__main__":
    main()
