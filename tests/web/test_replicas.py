"""Two real app processes share one real redis-server (and, in a second run, a Chroma server).

Sessions, interviews and rate limits follow a client from replica A to replica B; B finishes an
interview after A is killed; a document ingested through A is retrieved through B.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.helpers import CORPUS, ROOT
from tests.services import AppProcess, app_env, app_process, redis_server

pytestmark = pytest.mark.slow

QUESTION = "How long does it take to become a medical director?"
FOLLOW_UP = "And which certification helps?"
ANSWER = (
    "As associate chief I led a readmission programme: I reviewed the data with finance, "
    "brought nursing and case management into a weekly huddle, and we cut readmissions from "
    "18% to 13% in a year while I reported to the board monthly."
)
TOKEN = "replica-admin-token-0123456789"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str
) -> Iterator[tuple[AppProcess, AppProcess]]:
    """Replicas A and B: each its own data folder (embedded index), both on one Redis."""
    shared = {
        "redis_url": redis_url,
        "corpus_dir": CORPUS,
        "rate_limit": "6/minute",
        "trust_forwarded_for": "true",
    }
    root = tmp_path_factory.mktemp("replicas")
    with (
        app_process(root / "a", data_dir=root / "a", **shared) as a,
        app_process(root / "b", data_dir=root / "b", **shared) as b,
    ):
        yield a, b


def _post(app: AppProcess, path: str, body: dict[str, Any], client: str) -> httpx.Response:
    return httpx.post(app.url + path, json=body, headers={"X-Forwarded-For": client}, timeout=60)


def test_a_conversation_and_an_interview_continue_on_the_other_replica(
    replicas: tuple[AppProcess, AppProcess],
) -> None:
    a, b = replicas
    first = _post(a, "/api/chat", {"message": QUESTION}, "198.51.100.1").json()
    sid = first["session_id"]
    second = _post(b, "/api/chat", {"message": FOLLOW_UP, "session_id": sid}, "198.51.100.1")
    assert second.status_code == 200 and second.json()["session_id"] == sid
    turns = httpx.get(f"{a.url}/api/session/{sid}").json()["turns"]
    assert [t["text"] for t in turns if t["role"] == "user"] == [QUESTION, FOLLOW_UP]

    start = {"session_id": sid, "questions": 2, "seed": 3}
    started = _post(b, "/api/interview/start", start, "198.51.100.1").json()
    interview = started["interview_id"]
    answered = _post(a, f"/api/interview/{interview}/answer", {"answer": ANSWER}, "198.51.100.1")
    assert answered.status_code == 200 and answered.json()["answered"] == 1
    card = httpx.get(f"{b.url}/api/interview/{interview}/scorecard")
    assert card.status_code == 200

    assert httpx.delete(f"{b.url}/api/session/{sid}").status_code == 200
    assert httpx.get(f"{a.url}/api/session/{sid}").status_code == 404
    assert httpx.get(f"{a.url}/api/interview/{interview}/scorecard").status_code == 404


def test_a_clients_rate_limit_is_shared_by_the_replicas(
    replicas: tuple[AppProcess, AppProcess],
) -> None:
    a, b = replicas
    client = "203.0.113.77"
    codes = [
        _post(app, "/api/retrieve", {"query": QUESTION, "k": 1}, client).status_code
        for app in (a, b) * 5
    ]
    assert codes.count(200) == 6 and codes[6:] == [429] * 4  # 6/minute across A and B
    assert _post(b, "/api/retrieve", {"query": QUESTION}, "203.0.113.78").status_code == 200


def test_b_finishes_an_interview_after_a_is_killed(
    replicas: tuple[AppProcess, AppProcess],
) -> None:
    a, b = replicas
    client = "192.0.2.10"
    started = _post(a, "/api/interview/start", {"questions": 3, "seed": 5}, client).json()
    interview = started["interview_id"]
    assert _post(a, f"/api/interview/{interview}/answer", {"answer": ANSWER}, client).is_success
    a.kill()
    for number in (2, 3):
        reply = _post(b, f"/api/interview/{interview}/answer", {"answer": ANSWER}, client)
        assert reply.status_code == 200 and reply.json()["answered"] == number
    assert reply.json()["done"] is True
    card = httpx.get(f"{b.url}/api/interview/{interview}/scorecard").json()
    assert "markdown" in card


def test_more_workers_need_redis() -> None:
    run = subprocess.run(
        [sys.executable, "app.py", "--workers", "2", "--port", "1"],
        cwd=ROOT,
        env=app_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --workers 2 needs BOT_REDIS_URL")
