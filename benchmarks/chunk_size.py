"""Measure retrieval hit rates at 600/1500-character budgets for several chunk sizes.

Run: `.venv/bin/python benchmarks/chunk_size.py` (builds a throwaway index per size).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bot.config import Settings
from bot.evaluate import DATA, load_questions, retrieval_report
from bot.ingest.embeddings import make_embeddings
from bot.ingest.store import make_store
from bot.ingest.sync import ingest
from bot.retrieval.hybrid import make_retriever

SIZES = (250, 350, 450, 600, 800)


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
    print("| chunk size | chunks | hybrid @600 | hybrid @1500 | naive @600 | naive @1500 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for size in SIZES:
        with tempfile.TemporaryDirectory() as tmp:
            probe = _Probe(Settings(data_dir=Path(tmp), chunk_size=size))
            r = retrieval_report(probe, questions)
            chunks = len(probe.retriever.chunks)
            print(
                f"| {size} | {chunks} | {r['hybrid@600']:.3f} | {r['hybrid@1500']:.3f} "
                f"| {r['naive@600']:.3f} | {r['naive@1500']:.3f} |"
            )


if __name__ == "__main__":
    main()
