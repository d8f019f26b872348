"""The figures in the docs are generated from the committed results and are current."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scripts import figures
from tests.helpers import ROOT


def test_every_block_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/figures.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_block_renders_and_the_docs_use_them() -> None:
    used = {m["name"] for p in figures.documents() for m in figures.BLOCK.finditer(p.read_text())}
    assert {"eval", "guard", "calibration", "bench", "chunk-size"} <= used
    for name in used:
        assert figures.render(name).strip(), name


def test_a_stale_block_is_found_and_rewritten() -> None:
    text = "intro\n<!-- figures: calibration -->\n| old |\n<!-- /figures: calibration -->\nend\n"
    fresh = figures.refresh(text)
    assert fresh != text and "| old |" not in fresh
    assert fresh.startswith("intro\n<!-- figures: calibration -->\n| Competency |")
    assert fresh.endswith("<!-- /figures: calibration -->\nend\n")
    assert figures.refresh(fresh) == fresh


def test_tables_declared_by_a_results_file_render_without_code(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    spec = {"columns": ["set", "score"], "rows": [["test", 0.9], ["dev", 0.875]], "caption": "Hi"}
    (tmp_path / "demo.json").write_text(json.dumps({"tables": {"main": spec}}))
    monkeypatch.setattr(figures, "RESULTS", tmp_path)
    assert figures.render("demo/main") == (
        "Hi\n\n| set | score |\n| --- | ---: |\n| test | 0.90 |\n| dev | 0.88 |"
    )
    with pytest.raises(KeyError):
        figures.render("nonesuch")
