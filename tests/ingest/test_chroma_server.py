"""BOT_CHROMA_HOST/PORT switch the index to a real Chroma server."""

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.coach import Coach
from bot.ingest.embeddings import MiniLMEmbeddings
from tests.helpers import free_port

pytestmark = pytest.mark.slow  # a real server end to end; `make test-fast` skips it


@pytest.fixture
def chroma_port(tmp_path: Path) -> Iterator[int]:
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists() and shutil.which("chroma") is None:
        pytest.skip("the chroma server command is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [
            str(exe),
            "run",
            "--path",
            str(tmp_path / "chroma"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_coach_uses_a_chroma_server(
    make_settings, embeddings: MiniLMEmbeddings, chroma_port: int
) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(chroma_host="127.0.0.1", chroma_port=chroma_port)
    coach = Coach(settings, embeddings=embeddings)
    assert not (settings.data_dir / "index").exists()
    answer = coach.ask("What is the CPE credential?")
    assert answer.verdict == "answered" and "American Board" in answer.answer
    assert coach.ingest(show_progress=False).added == 0
