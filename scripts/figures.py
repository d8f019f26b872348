"""Render the measured figures in the docs from the committed results files; check they are current.

Every figure in README.md, docs/*.md and benchmarks/RESULTS.md comes from a JSON file in
`benchmarks/results/`, written by the tool that measures it:

| results file        | written by                                      | make target  |
| ------------------- | ----------------------------------------------- | ------------ |
| `eval.json`         | `python -m bot eval --json`                     | `make eval`  |
| `calibration.json`  | `benchmarks/calibration.py`                     | `make eval`  |
| `interview_practice.json` | `benchmarks/interview_practice.py`       | `make eval`  |
| `bench.json`        | `benchmarks/run.py`                             | `make bench` |
| `chunk_size.json`   | `benchmarks/chunk_size.py`                      | (by hand)    |
| `held_out.json`     | `scripts/held_out.py 7 8 9 10`                  | (by hand)    |

In a Markdown file a generated block sits between two markers; never edit inside them:

    <!-- figures: NAME -->
    ...
    <!-- /figures: NAME -->

`python scripts/figures.py` rewrites every block from the results; `--check` rewrites nothing
and exits 1 naming each stale block (tests/test_figures.py runs it in the test suite).

How to add a block:
- **A table the tool declares** (no change here): have the tool write
  `"tables": {"TABLE": {"columns": [...], "rows": [[...], ...], "caption": "optional"}}` into its
  results file `FILE.json`, and put markers named `FILE/TABLE` in the Markdown. Floats are shown
  with two decimals; pre-format a cell as a string to show it otherwise.
- **A custom block**: write `render_x(data) -> str` below (short: it only formats) and register
  it in BLOCKS as `"x": ("file.json", render_x)`; then put markers named `x` in the Markdown.
Standard library only, so the check is instant.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DOCS = ("README.md", "docs/*.md", "benchmarks/RESULTS.md")
BLOCK = re.compile(
    r"(?P<open><!-- figures: (?P<name>[\w./-]+) -->\n)(?P<body>.*?)"
    r"(?P<close><!-- /figures: (?P=name) -->)",
    re.S,
)

NUMBER = re.compile(r"\**-?\d+(\.\d+)?\**")
Data = dict[str, Any]


def table(columns: list[str], rows: list[list[Any]]) -> str:
    """Return a Markdown table; floats get two decimals, None an empty cell."""
    align = [
        "---:" if rows and _numeric(r[i] for r in rows) else "---" for i in range(len(columns))
    ]
    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _numeric(values: Any) -> bool:
    """Return whether every cell is a number or reads as one (`4.8`, `**4.58**`): right-align."""
    return all(
        NUMBER.fullmatch(str(v)) for v in values if v is not None and not isinstance(v, bool)
    )


def _f(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


# ------------------------------------------------------------------------- custom blocks


def render_eval(data: Data) -> str:
    """Quality table: retrieval against the naive baseline and answer quality, both sets."""
    sets = [
        (data["retrieval"], data["answers"]),
        (data["holdout_retrieval"], data["holdout_answers"]),
    ]
    head = ["measure"] + [
        f"{name} set ({a['answerable']} + {a['uncovered']} uncovered)"
        for name, (_, a) in zip(("tuning", "held-out"), sets, strict=True)
    ]
    rows: list[list[Any]] = [
        [f"retrieval hit rate @{b} chars, hybrid / naive"]
        + [f"**{_f(r[f'hybrid@{b}'])}** / {_f(r[f'naive@{b}'])}" for r, _ in sets]
        for b in (600, 1500)
    ]
    for label, key in (
        ("answerable questions answered", "answered_rate"),
        ("answers whose citations all resolve to real passages", "valid_citations"),
        ("answer contains the gold sentence", "gold_in_answer"),
        ("uncovered questions answered `no_answer`", "no_answer_rate_on_uncovered"),
    ):
        rows.append([label] + [_f(a[key]) for _, a in sets])
    follow = [
        f"{_f(a['followup_gold_in_answer'])} ({a['followups']} dialogues)" if a["followups"] else ""
        for _, a in sets
    ]
    rows.append(["follow-up turns answered with the earlier turn in mind", *follow])
    return table(head, rows)


def render_guard(data: Data) -> str:
    """Guard precision and recall per class on the labelled prompts."""
    guard = data["guard"]
    per_class = guard["per_class"]
    total = sum(m["support"] for m in per_class.values())
    rows = [
        [label, f"{m['precision']:.3f}", f"{m['recall']:.3f}", m["support"]]
        for label, m in per_class.items()
    ]
    caption = (
        f"{guard.get('folds', 5)}-fold cross-validated on {total} labelled prompts"
        f" (`prompts/guard_train.csv`): each prompt judged by a model fitted without it;"
        f" accuracy {guard['accuracy']:.3f}:"
    )
    return caption + "\n\n" + table(["class", "precision", "recall", "prompts"], rows)


def render_calibration(data: Data) -> str:
    """Interview calibration: mean overall score by competency and level."""
    levels = list(data["mean"])
    rows: list[list[Any]] = [
        [c, *(f"{by_level[level]:.1f}" for level in levels)]
        for c, by_level in data["by_competency"].items()
    ]
    rows.append(["**mean**", *(f"**{data['mean'][level]:.2f}**" for level in levels)])
    return table(["Competency", *(level.replace("_", " ").capitalize() for level in levels)], rows)


def render_bench_run(data: Data) -> str:
    """The command and machine the benchmark figures come from."""
    return f"`.venv/bin/python {data['command']}` ({data['environment']})"


def render_bench(data: Data) -> str:
    """Speed table: latency ratios, HTTP throughput, server memory and widget size."""
    lat, http, target = data["latency"], data["http"], data["targets"]
    embed, retrieve, chat = lat["embed"], lat["retrieve"], lat["chat"]
    one, many = http["one"], http["many"]
    r_ratio, c_ratio = retrieve["median"] / embed["median"], chat["median"] / retrieve["median"]
    spreads = [s["p95"] / s["median"] for s in (embed, retrieve, chat)]
    scaling = many["rps"] / one["rps"]
    rss, widget = data["rss_mib"], data["widget_bytes"]

    def ms(stat: Data) -> str:
        return f"{stat['median']:.1f} / {stat['p95']:.1f} ms"

    def ok(passed: bool) -> str:
        return "✅" if passed else "❌"

    rows = [
        ["Query embedding, bare MiniLM (median / p95)", ms(embed), "baseline", ""],
        [
            "Retrieval, hybrid (median / p95)",
            ms(retrieve),
            f"{r_ratio:.2f}x embed",
            f"≤ {target['retrieve']}x {ok(r_ratio <= target['retrieve'])}",
        ],
        [
            "Chat answer, grounded (median / p95)",
            ms(chat),
            f"{c_ratio:.2f}x retrieve",
            f"≤ {target['chat']}x {ok(c_ratio <= target['chat'])}",
        ],
        [
            "p95 / median (embed, retrieve, chat)",
            " / ".join(f"{s:.2f}" for s in spreads),
            "",
            f"≤ {target['p95']} {ok(all(s <= target['p95'] for s in spreads))}",
        ],
        [
            "HTTP /api/chat, 1 client",
            f"{one['rps']:.1f} req/s",
            f"median {one['median_ms']:.0f} ms, p95 {one['p95_ms']:.0f} ms",
            f"{one['requests']} requests, {one['errors']} errors",
        ],
        *_first_row(http, target),
        [
            "HTTP /api/chat, 16 clients",
            f"{many['rps']:.1f} req/s",
            f"{scaling:.2f}x 1 client",
            f"≥ {target['scaling']}x, 0 errors "
            f"{ok(scaling >= target['scaling'] and not many['errors'])}"
            f" ({many['requests']} requests, {many['errors']} errors)",
        ],
        [
            "Server RSS after the load (peak)",
            f"{rss['now']:.0f} MiB ({rss['peak']:.0f} MiB)",
            "",
            f"< {target['rss_gib']} GiB {ok(rss['peak'] / 1024 < target['rss_gib'])}",
        ],
        [
            "Widget `/widget.js`, gzipped (raw)",
            f"{widget['gzip'] / 1024:.1f} KB ({widget['raw'] / 1024:.1f} KB)",
            "AnythingLLM 658 KB, Onyx 100-150 KB",
            _widget_target(widget["gzip"], target.get("widget_gzip_kb")),
        ],
    ]
    lines = ["| Measure | Value | Compared with | Target |", "| --- | --- | --- | --- |"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _first_row(http: Data, target: Data) -> list[list[str]]:
    """The first question after start-up against the 1-client median (when measured)."""
    if "first_ms" not in http or "first" not in target:
        return []
    ratio = http["first_ms"] / http["one"]["median_ms"]
    passed = "✅" if ratio <= target["first"] else "❌"
    return [
        [
            "HTTP /api/chat, first question after start-up",
            f"{http['first_ms']:.0f} ms",
            f"{ratio:.2f}x the 1-client median",
            f"≤ {target['first']:g}x {passed}",
        ]
    ]


def _widget_target(gzip_bytes: int, limit_kb: float | None) -> str:
    if limit_kb is None:
        return ""
    return f"≤ {limit_kb:g} KB {'✅' if gzip_bytes / 1024 <= limit_kb else '❌'}"


def render_chunk_size(data: Data) -> str:
    """Retrieval hit rates by chunk size (both question sets)."""
    keys = ("hybrid@600", "hybrid@1500", "naive@600", "naive@1500")
    head = ["chunk size", "chunks", *(k.replace("@", " @") for k in keys)]
    rows = [[r["chunk_size"], r["chunks"], *(f"{r[k]:.3f}" for k in keys)] for r in data["sizes"]]
    return table(head, rows)


BLOCKS: dict[str, tuple[str, Callable[[Data], str]]] = {
    "eval": ("eval.json", render_eval),
    "guard": ("eval.json", render_guard),
    "calibration": ("calibration.json", render_calibration),
    "bench-run": ("bench.json", render_bench_run),
    "bench": ("bench.json", render_bench),
    "chunk-size": ("chunk_size.json", render_chunk_size),
}


# ------------------------------------------------------------------------- machinery


def load(name: str) -> Data:
    """Load one results file from benchmarks/results/."""
    return dict(json.loads((RESULTS / name).read_text(encoding="utf-8")))


def render(name: str) -> str:
    """Return the Markdown of block `name`: a registered block or `FILE/TABLE`."""
    if name in BLOCKS:
        source, function = BLOCKS[name]
        return function(load(source))
    source, _, key = name.partition("/")
    if not key:
        raise KeyError(f"unknown figures block {name!r}: register it in BLOCKS or name FILE/TABLE")
    spec = load(f"{source}.json")["tables"][key]
    body = table(list(spec["columns"]), [list(r) for r in spec["rows"]])
    return f"{spec['caption']}\n\n{body}" if spec.get("caption") else body


def documents() -> list[Path]:
    """Return the Markdown files that may hold blocks."""
    return sorted({p for pattern in DOCS for p in ROOT.glob(pattern)})


def refresh(text: str) -> str:
    """Return `text` with every block rendered from the results."""
    return BLOCK.sub(lambda m: f"{m['open']}{render(m['name'])}\n{m['close']}", text)


def main(argv: list[str] | None = None) -> int:
    """Rewrite the blocks, or with --check report stale ones and return 1; 2 when one fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    stale = 0
    for path in documents():
        text = path.read_text(encoding="utf-8")
        try:
            fresh = refresh(text)
        except (OSError, KeyError, ValueError) as exc:  # a missing results file or field
            print(f"{path.relative_to(ROOT)}: cannot render a block: {exc}", file=sys.stderr)
            return 2
        if fresh == text:
            continue
        where = path.relative_to(ROOT)
        if args.check:
            stale += 1
            diff = difflib.unified_diff(
                text.splitlines(), fresh.splitlines(), str(where), "rendered", lineterm=""
            )
            print("\n".join(diff))
        else:
            path.write_text(fresh, encoding="utf-8")
            print(f"updated {where}")
    if stale:
        print(
            f"\n{stale} file(s) have stale figures: run `python scripts/figures.py`.",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
