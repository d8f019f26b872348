"""The package installs anywhere: build the wheel, install it in a fresh venv, run it elsewhere.

The fresh venv reuses the test environment's third-party packages through a `.pth` file (torch,
Chroma and the packaged MiniLM are not downloaded again) but not its editable install of this
project, so `bot`, its prompts, question bank and default guides come from the wheel alone. The
CLI runs from an empty temporary directory: nothing may be found relative to the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow

NOT_SHIPPED = (".git", ".venv", ".data", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from a copy of the checkout and install it; return the venv's bin dir."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"  # a copy, so the build writes nothing into the working tree
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    built = _run(
        [*build, "--no-index", "-q", "-w", str(tmp / "dist"), str(source)], tmp, {**os.environ}
    )
    assert built.returncode == 0, built.stderr
    wheel = next((tmp / "dist").glob("director_coach-*.whl"))

    venv = tmp / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp, {**os.environ})
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp, {}
    )
    shared = sysconfig.get_paths()["purelib"]  # third-party packages only: its .pth files don't run
    Path(site.stdout.strip(), "_shared_site.pth").write_text(shared + "\n", encoding="utf-8")
    pip = [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)]
    done = _run(pip, tmp, {**os.environ})
    assert done.returncode == 0, done.stderr
    return venv / "bin"


@pytest.fixture
def elsewhere(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """An empty working directory and an environment with only a private BOT_DATA_DIR."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_") and k != "PYTHONPATH"}
    env["BOT_DATA_DIR"] = str(tmp_path / "data")
    work = tmp_path / "work"
    work.mkdir()
    return work, env


def test_the_wheel_ships_the_data(installed: Path, elsewhere: tuple[Path, dict[str, str]]) -> None:
    work, env = elsewhere
    code = (
        "import json, bot, bot.resources as r; "
        "print(json.dumps([bot.__file__, str(r.prompts_dir()), str(r.corpus_dir())]))"
    )
    shown = _run([str(installed / "python"), "-c", code], work, env)
    assert shown.returncode == 0, shown.stderr
    module, prompts, corpus = (Path(p) for p in json.loads(shown.stdout))
    venv = installed.parent
    assert all(p.is_relative_to(venv) for p in (module, prompts, corpus)), (module, prompts)
    shipped = {p.name for p in prompts.iterdir() if p.is_file()}
    assert {p.name for p in (ROOT / "prompts").glob("*.*") if p.suffix != ".pyc"} <= shipped
    assert sorted(p.name for p in corpus.glob("*.md")) == sorted(
        p.name for p in (ROOT / "corpus").glob("*.md")
    )


def test_ask_from_another_directory(
    installed: Path, elsewhere: tuple[Path, dict[str, str]]
) -> None:
    work, env = elsewhere
    question = "How long does it take to become a medical director?"
    result = _run([str(installed / "director-coach"), "ask", question, "--json"], work, env)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["verdict"] == "answered", answer
    assert answer["citations"] and "[1]" in answer["answer"]
    assert {c["source"] for c in answer["citations"]} <= {
        p.name for p in (ROOT / "corpus").glob("*")
    }
    assert (Path(env["BOT_DATA_DIR"]) / "index").is_dir()
    assert not (work / ".data").exists()


def test_interview_bank_loads_from_the_wheel(
    installed: Path, elsewhere: tuple[Path, dict[str, str]]
) -> None:
    work, env = elsewhere
    answers = work / "answers.txt"
    answers.write_text(
        "In 2022 I led a readmission project with our CFO; readmissions fell from 18% to 12%.\n"
        "I would listen to both physicians, then agree on a measurable plan within a month.\n",
        encoding="utf-8",
    )
    command = [str(installed / "python"), "-m", "bot", "interview", "--answers", str(answers)]
    result = _run([*command, "--questions", "2", "--json"], work, env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["transcript"]) == 2
    assert all(1 <= s <= 5 for entry in report["transcript"] for s in entry["scores"].values())
    assert report["scorecard"]["markdown"].strip()
