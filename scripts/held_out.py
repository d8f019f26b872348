"""Leave-writer-out figures: refit on all but one dev batch, evaluate that batch.

Each dev batch was written by one writer; a batch the learned stages never saw predicts how they
do on questions typed by others better than the in-sample dev figures. For every batch asked
for, the shipped prompts are copied to a scratch folder, the query encoder, answerability and the
sentence ranker (with its query adapter) are refitted there without the batch (`--skip-batch`),
and the batch is evaluated with that folder (`BOT_PROMPTS_DIR`). The shipped prompts are never
touched.

    python scripts/held_out.py 7 8 9 10 [--json] [--keep DIR]
    python scripts/held_out.py 7 8 9 10 --keep DIR --reuse   # a code change, no refit

The figures are written to `benchmarks/results/held_out.json` (a table that
`scripts/figures.py` renders in the README).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FIGURES = (
    "correct_verdicts",
    "answerable_with_gold",
    "uncovered_no_answer",
    "paraphrase_consistency",
)
# Refitted in this order: what retrieval finds shapes what the later stages learn from.
STAGES = ("bot.retrieval.query_encoder", "bot.answer.answerability", "bot.answer.ranking")
RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results" / "held_out.json"
COLUMNS = [
    "dev batch (held out)",
    "questions",
    "correct verdicts",
    "gold sentence",
    "uncovered -> no_answer",
    "paraphrase consistency",
]


def refit(batch: int, prompts: Path, folder: Path) -> None:
    """Copy `prompts` to `folder` and refit every learned stage there without `batch`."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(prompts, folder)
    for stage in STAGES:
        subprocess.run(
            [sys.executable, "-m", stage, "--skip-batch", str(batch)],
            env=_env(folder),
            check=True,
            capture_output=True,
        )


def evaluate(batch: int, folder: Path) -> dict[str, object]:
    """Return the figures of dev batch `batch` answered with the prompts in `folder`."""
    out = subprocess.run(
        [sys.executable, "-m", "bot", "eval", "--split", "dev", "--batch", str(batch), "--json"],
        env=_env(folder),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    report = json.loads(out)
    return {"batch": batch, "questions": report["questions"], **{f: report[f] for f in FIGURES}}


def held_out(batch: int, prompts: Path, keep: Path | None = None) -> dict[str, object]:
    """Refit without `batch` in a copy of `prompts` and return the batch's figures.

    With `keep`, the refitted copy stays in `keep/batch-N` (to try a change on it later
    without refitting: `--keep DIR --reuse`).
    """
    with tempfile.TemporaryDirectory() as tmp:
        folder = kept(keep, batch) if keep is not None else Path(tmp) / "prompts"
        refit(batch, prompts, folder)
        return evaluate(batch, folder)


def kept(keep: Path, batch: int) -> Path:
    """Return where `--keep` holds the copy refitted without `batch`."""
    return keep / f"batch-{batch}"


def _env(folder: Path) -> dict[str, str]:
    return {**os.environ, "BOT_PROMPTS_DIR": str(folder), "HF_HUB_OFFLINE": "1"}


def write_results(rows: list[dict[str, object]], path: Path = RESULTS) -> None:
    """Write the rows as a table for `scripts/figures.py`."""
    table = {
        "columns": COLUMNS,
        "rows": [[r["batch"], r["questions"], *(r[f] for f in FIGURES)] for r in rows],
    }
    data = {"command": "scripts/held_out.py", "rows": rows, "tables": {"batches": table}}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    """Print the held-out figures of each batch asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("batches", type=int, nargs="+")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep each refitted copy in KEEP/batch-N")
    parser.add_argument(
        "--reuse", action="store_true", help="evaluate the copies in --keep without refitting"
    )
    args = parser.parse_args()
    from bot.config import Settings

    prompts = Settings().prompts_dir
    if args.reuse and args.keep is None:
        parser.error("--reuse needs --keep")
    if args.reuse:  # a try on kept copies is not the shipped pipeline: results stay as they are
        rows = [evaluate(b, kept(args.keep, b)) for b in args.batches]
    else:
        rows = [held_out(b, prompts, args.keep) for b in args.batches]
        write_results(rows)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print(rows)


def _print(rows: list[dict[str, object]]) -> None:
    print("batch  n    " + "  ".join(f"{f[:14]:>14}" for f in FIGURES))
    for r in rows:
        print(
            f"{r['batch']:>5} {r['questions']:>3}  " + "  ".join(f"{r[f]!s:>14}" for f in FIGURES)
        )


if __name__ == "__main__":
    main()
