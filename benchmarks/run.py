"""Speed benchmarks: latency ratios, HTTP throughput, server memory and widget size.

Run from the repository root:  .venv/bin/python benchmarks/run.py [--quick]

1. In process, on one Coach: the bare query embedding (uncached MiniLM forward pass), hybrid
   retrieval and a full chat answer, each on unique questions with the embedding cache cleared
   before every call (real users rarely repeat a question word for word).
2. Over HTTP, against `python app.py` (a real uvicorn on 127.0.0.1, its own data dir): POST
   /api/chat with 1 client, then 16 concurrent clients, a bounded number of requests each.
3. The server's resident memory (RSS now and peak) and the gzipped size of /widget.js.

The measurements are written to benchmarks/results/bench.json; scripts/figures.py renders them
into benchmarks/RESULTS.md and the README (their figure blocks), and prints the table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

QUESTIONS = [
    "what does a medical director do",
    "which skills should I build before applying for a medical director role",
    "how do I prepare for a medical director interview",
    "should I get an MBA or MHA to move into leadership",
    "how much clinical experience do I need to become a medical director",
    "how do medical directors handle budgets and finance",
    "what compliance knowledge does a medical director need",
    "how do I tailor my resume for a medical director position",
    "how do I lead quality improvement as a medical director",
    "what are the rewards of becoming a medical director",
    "how do I handle conflict between physicians as a leader",
    "how do I measure success as a medical director",
    "what leadership certificates help physicians move into management",
    "how do I balance clinical work and administrative duties",
    "how do medical directors work with hospital executives",
    "what does networking look like for aspiring medical directors",
]
PREFIXES = [
    "",
    "Could you tell me ",
    "As a hospitalist, ",
    "I am a family physician: ",
    "Quick question, ",
    "As an internist, ",
    "Please explain ",
    "From an ED physician: ",
    "As a pediatrician, ",
    "I work in primary care; ",
    "Honestly, ",
    "As a surgeon, ",
]
TARGETS = {
    "retrieve": 2.5,  # median retrieve / median embed
    "chat": 2.0,  # median chat / median retrieve
    "p95": 3.0,  # p95 / median, each stage
    "scaling": 0.9,  # 16-client throughput / 1-client throughput
    "rss_gib": 1.5,
    # first /api/chat after start-up / median of the 1-client run: the first request still pays
    # the HTTP stack's first call (5-10x); embedding the labelled questions lazily cost ~300x
    "first": 10.0,
    "widget_gzip_kb": 15,  # one script tag, no build step
}


def questions(start: int = 0) -> Iterator[str]:
    """Yield distinct, on-topic questions forever (prefix x question), from `start`."""
    i = start
    while True:
        prefix = PREFIXES[(i // len(QUESTIONS)) % len(PREFIXES)]
        yield f"{prefix}{QUESTIONS[i % len(QUESTIONS)]}?"
        i += 1


@dataclass
class Stat:
    """Latency summary of one stage, in milliseconds."""

    median: float
    p95: float

    @classmethod
    def of(cls, seconds: list[float]) -> Stat:
        """Summarise timings (seconds) as median and 95th percentile in ms."""
        ms = sorted(s * 1000 for s in seconds)
        p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
        return cls(statistics.median(ms), p95)


def interleaved(stages: dict[str, Callable[[str], object]], runs: int) -> dict[str, Stat]:
    """Time each stage `runs` times on unique questions, round-robin across stages.

    Round-robin keeps the ratios fair when other processes share the CPU: a busy spell slows
    every stage alike.
    """
    seconds: dict[str, list[float]] = {name: [] for name in stages}
    source = questions()
    for _ in range(runs):
        for name, call in stages.items():
            question = next(source)
            started = time.perf_counter()
            call(question)
            seconds[name].append(time.perf_counter() - started)
    return {name: Stat.of(values) for name, values in seconds.items()}


def in_process(runs: int, data_dir: Path) -> dict[str, Stat]:
    """Measure bare embedding, retrieval and chat latency on one Coach."""
    from bot.coach import Coach
    from bot.config import Settings

    coach = Coach(Settings(data_dir=data_dir))
    emb = coach.embeddings
    for question, _ in zip(questions(500), range(5), strict=False):  # warm up every stage
        coach.ask(question)

    def cold(call: Callable[[str], object]) -> Callable[[str], object]:
        """Clear the query-embedding cache first (microseconds): unique questions, cold path."""

        def run(question: str) -> object:
            emb._cached.cache_clear()
            return call(question)

        return run

    stages = {
        "embed": cold(lambda q: emb._encode([q])),
        "retrieve": cold(lambda q: coach.retrieve(q, 5)),
        "chat": cold(coach.ask),
    }
    return interleaved(stages, runs)


@contextmanager
def server(
    data_dir: Path, extra_env: dict[str, str] | None = None, timeout: float = 300
) -> Iterator[tuple[str, int]]:
    """Run `python app.py` on a free port; yield its URL and process id once it is healthy."""
    from tests.helpers import free_port

    port = free_port()
    env = os.environ | {"BOT_DATA_DIR": str(data_dir), "BOT_RATE_LIMIT": "100000/minute"}
    env |= extra_env or {}
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, proc, timeout)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _wait(url: str, proc: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError("the server did not start")


@dataclass
class Load:
    """Throughput of one HTTP run."""

    clients: int
    requests: int
    seconds: float
    errors: int
    latency: Stat

    @property
    def rps(self) -> float:
        """Return requests per second."""
        return self.requests / self.seconds


def load(url: str, clients: int, total: int, start: int) -> Load:
    """POST `total` unique chat requests to /api/chat from `clients` concurrent clients."""
    items = [q for q, _ in zip(questions(start), range(total), strict=False)]
    shards = [items[i::clients] for i in range(clients)]

    def client(shard: list[str]) -> tuple[list[float], int]:
        seconds, errors = [], 0
        with httpx.Client(base_url=url, timeout=120) as http:
            for q in shard:
                began = time.perf_counter()
                response = http.post("/api/chat", json={"message": q})
                seconds.append(time.perf_counter() - began)
                errors += response.status_code != 200
        return seconds, errors

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(client, shards))
    elapsed = time.perf_counter() - started
    seconds = [s for got, _ in results for s in got]
    return Load(clients, total, elapsed, sum(e for _, e in results), Stat.of(seconds))


def rss_mib(pid: int) -> tuple[float, float]:
    """Return a process's resident memory now and at its peak, in MiB (Linux /proc)."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def widget_size() -> tuple[int, int]:
    """Return the widget's raw and gzipped (level 9) size in bytes."""
    raw = (ROOT / "bot" / "web" / "static" / "widget.js").read_bytes()
    return len(raw), len(gzip.compress(raw, 9))


def results(lat: dict[str, Stat], one: Load, many: Load, rss: tuple[float, float]) -> dict:
    """Return every measurement as the JSON that scripts/figures.py renders."""
    raw, gz = widget_size()

    def http(run: Load) -> dict[str, float]:
        return {
            "clients": run.clients,
            "requests": run.requests,
            "errors": run.errors,
            "rps": round(run.rps, 2),
            "median_ms": round(run.latency.median, 1),
            "p95_ms": round(run.latency.p95, 1),
        }

    return {
        "latency": {
            name: {"median": round(s.median, 2), "p95": round(s.p95, 2)} for name, s in lat.items()
        },
        "http": {"one": http(one), "many": http(many)},
        "rss_mib": {"now": round(rss[0]), "peak": round(rss[1])},
        "widget_bytes": {"raw": raw, "gzip": gz},
        "targets": TARGETS,
    }


def environment() -> str:
    """Describe the machine the figures come from."""
    import torch

    cpus = os.cpu_count()
    load = os.getloadavg()[0]
    return (
        f"{date.today().isoformat()}, Python {platform.python_version()}, {platform.system()} "
        f"{platform.machine()}, {cpus} CPUs (load average {load:.1f} at the end), "
        f"torch {torch.get_num_threads()} intra-op threads, grounded engine (default), "
        "MiniLM on CPU"
    )


def update_widget(out: Path) -> None:
    """Re-measure the widget's size into `out`, keeping the timed figures of the last full run."""
    raw, gz = widget_size()
    data = json.loads(out.read_text("utf-8"))
    data["widget_bytes"] = {"raw": raw, "gzip": gz}
    data["targets"] = TARGETS
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"widget: {gz / 1024:.1f} KB gzipped ({raw / 1024:.1f} KB raw), written to {out}")
    if out == ROOT / "benchmarks" / "results" / "bench.json":
        from scripts import figures

        figures.main([])


def main() -> None:
    """Run every benchmark, write benchmarks/results/bench.json and render the figure blocks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke test)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench.json")
    parser.add_argument(
        "--threads", type=int, help="torch intra-op threads (OMP_NUM_THREADS) for both processes"
    )
    parser.add_argument(
        "--widget-only",
        action="store_true",
        help="re-measure only the widget size (deterministic) into the existing results",
    )
    args = parser.parse_args()
    if args.widget_only:
        update_widget(args.out)
        return
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # before torch loads, here and in app.py
    runs, seq, conc = (15, 16, 32) if args.quick else (60, 40, 96)
    with tempfile.TemporaryDirectory(prefix="dc-bench-") as tmp:
        print("measuring latency in process…", flush=True)
        lat = in_process(runs, Path(tmp) / "inproc")
        print("starting the server (python app.py)…", flush=True)
        with server(Path(tmp) / "server") as (url, pid):
            first = load(url, 1, 1, 2000)  # the first question after start-up
            load(url, 4, 16, 1000)  # warm-up
            print("HTTP load: 1 client…", flush=True)
            one = load(url, 1, seq, 0)
            print("HTTP load: 16 clients…", flush=True)
            many = load(url, 16, conc, seq)
            rss = rss_mib(pid)
    command = "benchmarks/run.py" + (f" --threads {args.threads}" if args.threads else "")
    data = {"command": command, "environment": environment()} | results(lat, one, many, rss)
    data["http"]["first_ms"] = round(first.latency.median, 1)
    args.out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {args.out}")
    if args.out == ROOT / "benchmarks" / "results" / "bench.json":
        from scripts import figures

        print(figures.render("bench"))
        figures.main([])


if __name__ == "__main__":
    main()
