"""Scale benchmark: the two guides plus about 830 real text documents (about 12,000 chunks).

Run from the repository root:  .venv/bin/python benchmarks/scale.py [--docs 830]

The distractors are licence and documentation texts that Debian packages install
(/usr/share/common-licenses, /usr/share/doc/*/copyright, README*, *.txt, *.md): a fixed, sorted
selection of UTF-8 files of 1-22 KB, duplicates removed, copied into a temporary corpus so runs are
repeatable on one machine. Every figure is a ratio against the guides-only corpus in the same run:

1. full ingest of the large corpus (chunks per second) and the re-ingest after one file changes;
2. start-up of `python app.py` on the built index until /healthz answers (nothing is embedded);
3. retrieval latency, large / small corpus, interleaved on unique questions;
4. the server's resident memory after HTTP load on the large index;
5. the eval's retrieval hit rates on the guide questions, with and without the distractors.

The figures are written to benchmarks/results/scale.json; scripts/figures.py renders its table
into benchmarks/RESULTS.md and the README (the `scale/scale` figure blocks).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import httpx  # noqa: E402
from run import Stat, environment, questions, rss_mib  # noqa: E402
from run import server as run_server  # noqa: E402

DOC_ROOTS = (Path("/usr/share/common-licenses"), Path("/usr/share/doc"))
MIN_BYTES, MAX_BYTES = 1000, 22000
TARGETS = {"startup_s": 30.0, "retrieve": 2.0, "rss_gib": 1.5, "hit_drop": 0.05, "reingest": 0.05}


def _wanted(path: Path, root: Path) -> bool:
    if root.name == "common-licenses":
        return True
    name = path.name
    return name == "copyright" or name.startswith("README") or path.suffix in (".txt", ".md")


def distractors(count: int) -> list[Path]:
    """Return a fixed, sorted selection of real text documents installed by Debian packages."""
    seen: set[str] = set()
    chosen: list[Path] = []
    for root in DOC_ROOTS:
        for path in sorted(root.rglob("*")):
            if path.suffix == ".gz" or not path.is_file() or not _wanted(path, root):
                continue
            data = path.resolve().read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if not MIN_BYTES <= len(data) <= MAX_BYTES or digest in seen:
                continue
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            seen.add(digest)
            chosen.append(path)
            if len(chosen) == count:
                return chosen
    return chosen


def build_corpus(folder: Path, count: int) -> int:
    """Copy the guides and `count` distractors into `folder`; return the number of distractors."""
    folder.mkdir(parents=True)
    for guide in sorted((ROOT / "corpus").glob("*.md")):
        shutil.copy(guide, folder / guide.name)
    picked = distractors(count)
    for i, path in enumerate(picked):
        slug = re.sub(r"[^A-Za-z0-9]+", "-", str(path.relative_to(path.parents[1])))
        (folder / f"{i:04d}-{slug.strip('-')}.txt").write_bytes(path.resolve().read_bytes())
    return len(picked)


def settings_for(data: Path, corpus: Path) -> Any:
    """Return Settings for one corpus and data dir."""
    from bot.config import Settings

    return Settings(data_dir=data, corpus_dir=corpus)


def timed_ingest(settings: Any) -> tuple[float, Any]:
    """Ingest the corpus into the settings' index; return the seconds and the report."""
    from bot.ingest.embeddings import make_embeddings
    from bot.ingest.index import close, open_store
    from bot.ingest.sync import ingest

    store = open_store(settings, make_embeddings(settings))
    started = time.perf_counter()
    report = ingest(settings, store, show_progress=False)
    seconds = time.perf_counter() - started
    close(store)
    return seconds, report


@contextmanager
def server(settings: Any) -> Iterator[tuple[str, int, float]]:
    """Start `python app.py` on the settings' index; yield its URL, pid and start-up seconds."""
    started = time.perf_counter()
    corpus = {"BOT_CORPUS_DIR": str(settings.corpus_dir)}
    with run_server(settings.data_dir, corpus, timeout=900) as (url, pid):
        yield url, pid, time.perf_counter() - started


def http_load(url: str, count: int) -> int:
    """Send unique retrieve and chat requests; return the number of errors."""
    errors = 0
    with httpx.Client(base_url=url, timeout=120) as http:
        for i, question in zip(range(count), questions(2000), strict=False):
            route, body = (
                ("/api/chat", {"message": question})
                if i % 2
                else ("/api/retrieve", {"query": question, "k": 5})
            )
            errors += http.post(route, json=body).status_code != 200
    return errors


def latency(small: Any, large: Any, runs: int) -> tuple[Stat, Stat]:
    """Time retrieval on both corpora, interleaved, on unique questions with a cold query cache."""
    seconds: dict[str, list[float]] = {"small": [], "large": []}
    source = questions(100)
    for question, _ in zip(questions(900), range(5), strict=False):  # warm both
        small.retrieve(question, 5)
        large.retrieve(question, 5)
    for _ in range(runs):
        for name, coach in (("small", small), ("large", large)):
            question = next(source)
            coach.embeddings._cached.cache_clear()
            began = time.perf_counter()
            coach.retrieve(question, 5)
            seconds[name].append(time.perf_counter() - began)
    return Stat.of(seconds["small"]), Stat.of(seconds["large"])


def hit_rates(coach: Any) -> dict[str, float]:
    """Return the eval's hybrid retrieval hit rates (tuning and held-out sets, both budgets)."""
    from bot.evaluate import BUDGETS, DATA, hit, load_questions

    rates: dict[str, float] = {}
    for name, file in (("tuning", "eval_questions.yaml"), ("held-out", "eval_holdout.yaml")):
        rows = [q for q in load_questions(DATA / file)["questions"] if q.get("answer")]
        contexts = [[p.text for p in coach.retriever.retrieve(q["q"], 10, floor=0.0)] for q in rows]
        for budget in BUDGETS:
            hits = [hit(q["answer"], ctx, budget) for q, ctx in zip(rows, contexts, strict=True)]
            rates[f"{name} @{budget}"] = round(sum(hits) / len(rows), 3)
    return rates


def edit_one(corpus: Path) -> Path:
    """Change one distractor document (a paragraph added at its end)."""
    path = sorted(corpus.glob("0*.txt"))[len(list(corpus.glob("0*.txt"))) // 2]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n\nThis paragraph was added by the scale benchmark to change one file.\n")
    return path


@dataclass
class Figures:
    """Everything the scale benchmark measures."""

    docs: int
    chunks_small: int
    chunks_large: int
    sentences_large: int
    ingest_s: float
    reingest_s: float
    reingest_embedded: int
    reload_s: float
    startup_small_s: float
    startup_large_s: float
    retrieve_small: Stat
    retrieve_large: Stat
    rss: tuple[float, float]
    http_errors: int
    rates_small: dict[str, float]
    rates_large: dict[str, float]
    index_mib: float
    flagged: int
    built: str


def ok(passed: bool) -> str:
    """Return the check mark of a target."""
    return "✅" if passed else "❌"


def rows(f: Figures) -> list[list[str]]:
    """Return the figures as the rows of the Markdown table (measure, value, compared, target)."""
    ratio = f.retrieve_large.median / f.retrieve_small.median
    drop = max(f.rates_small[k] - f.rates_large[k] for k in f.rates_small)
    re_share = f.reingest_s / f.ingest_s
    rates = ", ".join(f"{k} {f.rates_small[k]:.2f} → {f.rates_large[k]:.2f}" for k in f.rates_small)
    table_rows = [
        (
            "Corpus",
            f"2 guides + {f.docs} documents: {f.chunks_large:,} chunks, "
            f"{f.sentences_large:,} sentence vectors",
            f"guides alone: {f.chunks_small} chunks",
            "",
        ),
        (
            "Full ingest",
            f"{f.ingest_s:.0f} s, {f.chunks_large / f.ingest_s:.1f} chunks/s",
            f"index {f.index_mib:.0f} MiB on disk; {f.flagged} sentences flagged for review; "
            f"ingested {f.built}",
            "reported",
        ),
        (
            "Re-ingest after one file changes",
            f"{f.reingest_s:.1f} s ({f.reingest_embedded} chunks embedded)",
            f"{re_share:.1%} of the full ingest",
            f"≤ {TARGETS['reingest']:.0%} {ok(re_share <= TARGETS['reingest'])}",
        ),
        (
            "Server start-up on the built index (to /healthz)",
            f"{f.startup_large_s:.1f} s",
            f"guides alone {f.startup_small_s:.1f} s; in-process load {f.reload_s:.1f} s",
            f"≤ {TARGETS['startup_s']:.0f} s {ok(f.startup_large_s <= TARGETS['startup_s'])}",
        ),
        (
            "Retrieval, hybrid (median / p95)",
            f"{f.retrieve_large.median:.1f} / {f.retrieve_large.p95:.1f} ms",
            f"{ratio:.2f}x the guides alone ({f.retrieve_small.median:.1f} / "
            f"{f.retrieve_small.p95:.1f} ms)",
            f"≤ {TARGETS['retrieve']}x {ok(ratio <= TARGETS['retrieve'])}",
        ),
        (
            "Server RSS after HTTP load (peak)",
            f"{f.rss[0]:.0f} MiB ({f.rss[1]:.0f} MiB)",
            f"{f.http_errors} errors",
            f"< {TARGETS['rss_gib']} GiB {ok(f.rss[1] / 1024 < TARGETS['rss_gib'])}",
        ),
        (
            "Eval retrieval hit rate, guides alone → with distractors",
            rates,
            f"largest drop {drop:+.3f}",
            f"drop ≤ {TARGETS['hit_drop']} {ok(round(drop, 3) <= TARGETS['hit_drop'])}",
        ),
    ]
    return [list(row) for row in table_rows]


def build_large(folder: Path, count: int) -> dict[str, Any]:
    """Build (or reuse) the large corpus and its index in `folder`; return the ingest figures.

    The figures of the full ingest are kept in `folder/ingest.json`, so a later run with the same
    `--index` folder reuses the built index (and reports the ingest measured when it was built).
    """
    record = folder / "ingest.json"
    if record.exists():
        print(f"reusing the corpus and index in {folder} (built {_built(record)})", flush=True)
        return dict(json.loads(record.read_text(encoding="utf-8")))
    docs = build_corpus(folder / "corpus", count)
    large = settings_for(folder / "data", folder / "corpus")
    print(f"corpus: 2 guides + {docs} documents; full ingest…", flush=True)
    seconds, report = timed_ingest(large)
    print(f"  {report.chunks} chunks in {seconds:.0f} s", flush=True)
    index_bytes = sum(p.stat().st_size for p in large.index_dir.rglob("*") if p.is_file())
    figures = {
        "docs": docs,
        "chunks": report.chunks,
        "seconds": seconds,
        "flagged": len(report.flagged),
        "index_mib": index_bytes / 2**20,
        "built": time.strftime("%Y-%m-%d %H:%M"),
    }
    record.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return figures


def _built(record: Path) -> str:
    return str(json.loads(record.read_text(encoding="utf-8")).get("built", "earlier"))


def measure(tmp: Path, folder: Path, count: int, runs: int, load: int) -> Figures:
    """Run every step of the scale benchmark (the large corpus and index in `folder`)."""
    from bot.coach import Coach

    small_corpus = tmp / "small-corpus"
    small_corpus.mkdir()
    for guide in sorted((ROOT / "corpus").glob("*.md")):
        shutil.copy(guide, small_corpus / guide.name)
    small = settings_for(tmp / "small-data", small_corpus)
    built = build_large(folder, count)
    large_corpus = folder / "corpus"
    large = settings_for(folder / "data", large_corpus)
    docs, ingest_s, index_mib = built["docs"], built["seconds"], built["index_mib"]
    print("ingesting the guides alone…", flush=True)
    _, small_report = timed_ingest(small)
    print("server start-up (guides alone, then the large index)…", flush=True)
    with server(small) as (_, _, startup_small):
        pass
    with server(large) as (url, pid, startup_large):
        errors = http_load(url, load)
        rss = rss_mib(pid)
    print("in-process retrieval on both corpora…", flush=True)
    small_coach = Coach(small)
    began = time.perf_counter()
    large_coach = Coach(large)
    reload_s = time.perf_counter() - began
    sentences = sum(len(m) for m in large_coach.retriever.sentence_rows.values())
    fast, slow = latency(small_coach, large_coach, runs)
    rates_small, rates_large = hit_rates(small_coach), hit_rates(large_coach)
    print("re-ingest after one file changes…", flush=True)
    edit_one(large_corpus)
    from bot.ingest.sync import ingest

    began = time.perf_counter()
    again = ingest(large, large_coach.store, show_progress=False)
    reingest_s = time.perf_counter() - began
    return Figures(
        docs=docs,
        chunks_small=small_report.chunks,
        chunks_large=built["chunks"],
        sentences_large=sentences,
        ingest_s=ingest_s,
        reingest_s=reingest_s,
        reingest_embedded=again.embedded,
        reload_s=reload_s,
        startup_small_s=startup_small,
        startup_large_s=startup_large,
        retrieve_small=fast,
        retrieve_large=slow,
        rss=rss,
        http_errors=errors,
        rates_small=rates_small,
        rates_large=rates_large,
        index_mib=index_mib,
        flagged=built["flagged"],
        built=str(built["built"]),
    )


def results(f: Figures, command: str) -> dict[str, Any]:
    """Return every measurement, and the table scripts/figures.py renders, as JSON."""
    raw = asdict(f) | {
        "retrieve_small": asdict(f.retrieve_small),
        "retrieve_large": asdict(f.retrieve_large),
    }
    caption = f"`.venv/bin/python {command}` ({environment()})"
    columns = ["Measure", "Value", "Compared with", "Target"]
    return {
        "command": command,
        "environment": environment(),
        "targets": TARGETS,
        "figures": raw,
        "tables": {"scale": {"columns": columns, "rows": rows(f), "caption": caption}},
    }


def main() -> None:
    """Run the scale benchmark; write benchmarks/results/scale.json and render the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=830, help="distractor documents (830)")
    parser.add_argument("--runs", type=int, default=60, help="retrievals per corpus (60)")
    parser.add_argument("--load", type=int, default=40, help="HTTP requests for the RSS (40)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scale.json")
    parser.add_argument(
        "--index",
        type=Path,
        help="keep the large corpus and its index here; a later run reuses them (and the "
        "full-ingest figures recorded when they were built)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dc-scale-") as tmp:
        folder = args.index or Path(tmp) / "large"
        folder.mkdir(parents=True, exist_ok=True)
        figures = measure(Path(tmp), folder, args.docs, args.runs, args.load)
    command = "benchmarks/scale.py" + (f" --docs {args.docs}" if args.docs != 830 else "")
    data = results(figures, command)
    args.out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for row in data["tables"]["scale"]["rows"]:
        print(" | ".join(row))
    print(f"\nwritten to {args.out}")
    if args.out.parent == ROOT / "benchmarks" / "results":
        subprocess.run([sys.executable, str(ROOT / "scripts" / "figures.py")], check=True)


if __name__ == "__main__":
    main()
