import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.helpers import ROOT

pytestmark = pytest.mark.slow  # each test builds an index through the real CLI


def _run(
    args: list[str], data: Path, corpus: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BOT_DATA_DIR=str(data), HF_HUB_OFFLINE="1")
    if corpus is not None:
        env["BOT_CORPUS_DIR"] = str(corpus)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_ingest_json_then_idempotent(tmp_path: Path, corpus_copy: Path) -> None:
    first = json.loads(_run(["ingest", "--json"], tmp_path, corpus_copy).stdout)
    assert first["added"] == 2 and first["chunks"] > 40
    second = json.loads(_run(["ingest", "--json"], tmp_path, corpus_copy).stdout)
    assert second == {
        "added": 0,
        "updated": 0,
        "removed": 0,
        "chunks": first["chunks"],
        "flagged": [],
    }


def test_ask_json_builds_the_index_on_first_use(tmp_path: Path) -> None:
    out = _run(["ask", "--json", "How long does it take to become a medical director?"], tmp_path)
    data = json.loads(out.stdout)
    assert data["verdict"] == "answered" and data["citations"]
    assert (tmp_path / "index").is_dir()


def test_bad_input_exits_cleanly(tmp_path: Path) -> None:
    out = _run(["ask", "   "], tmp_path)
    assert out.returncode == 2 and "error:" in out.stderr and "Traceback" not in out.stderr


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def test_text_answer_lists_sources(runner: CliRunner) -> None:
    out = runner.invoke(app, ["ask", "What is the CPE credential?"])
    assert out.exit_code == 0, out.output
    assert "Sources:" in out.output and "[1]" in out.output


def test_retrieve_json_and_chat(runner: CliRunner) -> None:
    out = runner.invoke(app, ["retrieve", "-k", "2", "--json", "mentorship"])
    assert len(json.loads(out.output)["passages"]) == 2
    chat = runner.invoke(app, ["chat"], input="What is the CPE credential?\nWho awards it?\n\n")
    assert chat.exit_code == 0
    assert (
        chat.output.count("coach>") == 2 and "American Board of Medical Management" in chat.output
    )


def test_prepare_a_pasted_interview_question(runner: CliRunner) -> None:
    question = "How would you reduce unnecessary imaging orders across our clinics?"
    out = runner.invoke(app, ["prepare", "--json", question])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["key_points"] and data["citations"] and data["pitfalls"]
    text = runner.invoke(app, ["prepare", question])
    assert "Pitfalls:" in text.output and "Sources:" in text.output
    bad = runner.invoke(app, ["prepare", "What is your favourite pizza?"])
    assert bad.exit_code == 2
