"""Privacy on a real server: deletion, redaction, feedback limits, retention, metrics, admin."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.coach import Coach
from bot.config import Settings
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.sessions.retention import PurgeSchedule
from bot.web import ui_handlers as h
from bot.web.security import RateLimiter
from tests.helpers import CORPUS, LiveServer, web_server

pytestmark = pytest.mark.slow  # a real server end to end; `make test-fast` skips it

pytestmark = pytest.mark.slow  # a private Coach and real servers

TOKEN = "test-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
QUESTION = "How long does it take to become a medical director?"


@pytest.fixture(scope="module")
def coach(tmp_path_factory: pytest.TempPathFactory, embeddings: MiniLMEmbeddings) -> Coach:
    data = tmp_path_factory.mktemp("privacy")
    return Coach(Settings(data_dir=data, corpus_dir=CORPUS), embeddings=embeddings)


@pytest.fixture(scope="module")
def server(coach: Coach) -> Iterator[LiveServer]:
    with web_server(coach, ui=False, admin_token=TOKEN, rate_limit="1000/minute") as live:
        yield live


def _chat(server: LiveServer, message: str, sid: str | None = None) -> dict[str, Any]:
    reply = httpx.post(
        server.url + "/api/chat", json={"message": message, "session_id": sid}, timeout=60
    )
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_delete_removes_the_conversation_and_its_interviews(server: LiveServer) -> None:
    first = _chat(server, QUESTION)
    sid = first["session_id"]
    vote = {"session_id": sid, "rating": 1, "answer": first["answer"]}
    assert httpx.post(server.url + "/api/feedback", json=vote).status_code == 200
    started = httpx.post(
        server.url + "/api/interview/start", json={"session_id": sid, "questions": 1}
    ).json()
    interview = started["interview_id"]
    assert httpx.get(f"{server.url}/api/interview/{interview}/scorecard").status_code == 200

    deleted = httpx.delete(f"{server.url}/api/session/{sid}")
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
    for later in (
        httpx.get(f"{server.url}/api/session/{sid}"),
        httpx.delete(f"{server.url}/api/session/{sid}"),
        httpx.post(server.url + "/api/chat", json={"message": QUESTION, "session_id": sid}),
        httpx.post(server.url + "/api/feedback", json=vote),
    ):
        assert later.status_code == 404
        assert later.json()["error"]["code"] == "unknown_session"
    gone = httpx.get(f"{server.url}/api/interview/{interview}/scorecard")
    assert gone.status_code == 404
    bad = httpx.delete(f"{server.url}/api/session/not%20an%20id")
    assert bad.status_code in (400, 404) and "error" in bad.json()


def test_patient_details_are_redacted_before_storage(server: LiveServer) -> None:
    message = (
        "My patient John Smith (DOB 03/12/1961, MRN 00482913, phone 617-555-0143, "
        "john.smith@example.com) inspired me: how do I become a medical director?"
    )
    reply = _chat(server, message)
    stored = httpx.get(f"{server.url}/api/session/{reply['session_id']}").json()["turns"]
    text = stored[0]["text"]
    for secret in ("John", "Smith", "1961", "00482913", "555-0143", "example.com"):
        assert secret not in text
    assert "[NAME]" in text and "[DATE]" in text and "[RECORD]" in text
    assert "[PHONE]" in text and "[EMAIL]" in text


def test_feedback_only_for_a_real_answer_once(server: LiveServer, coach: Coach) -> None:
    first = _chat(server, QUESTION)
    sid, answer = first["session_id"], first["answer"]
    post = lambda body: httpx.post(server.url + "/api/feedback", json=body)  # noqa: E731
    unknown = post({"session_id": "0" * 32, "rating": 1, "answer": answer})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_session"
    invented = post({"session_id": sid, "rating": -1, "answer": "x" * 19_000})
    assert invented.status_code == 404 and invented.json()["error"]["code"] == "unknown_answer"
    before = coach.sessions.feedback_count()
    for rating in (1, -1, -1):
        assert post({"session_id": sid, "rating": rating, "answer": answer}).status_code == 200
    assert coach.sessions.feedback_count() == before + 1
    vote = next(v for v in coach.sessions.activity(0).feedback if v["session_id"] == sid)
    assert vote["rating"] == -1 and vote["question"] == QUESTION


def test_metrics_need_the_token_and_carry_no_text(server: LiveServer) -> None:
    reply = _chat(server, "What does a medical director do day to day?")
    assert httpx.get(f"{server.url}/api/session/{reply['session_id']}").status_code == 200
    assert httpx.get(server.url + "/metrics").status_code == 401
    wrong = httpx.get(server.url + "/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
    metrics = httpx.get(server.url + "/metrics", headers=AUTH)
    assert metrics.status_code == 200 and "bot_answers_total" in metrics.text
    for text in ("day to day", "medical director", reply["session_id"], "John"):
        assert text not in metrics.text
    assert "/api/session/{session_id}" in metrics.text  # route templates, never raw paths


def test_admin_routes_need_the_token_or_do_not_exist(server: LiveServer, coach: Coach) -> None:
    url = server.url + "/api/admin/insights"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.get(url, headers={"Authorization": TOKEN}).status_code == 401
    bad = httpx.get(url + "?days=0", headers=AUTH)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_days"
    assert httpx.get(url + "?days=ten", headers=AUTH).json()["error"]["code"] == "invalid_days"
    with web_server(coach, ui=False, admin_token="") as open_server:
        absent = httpx.get(open_server.url + "/api/admin/insights", headers=AUTH)
        assert absent.status_code == 404 and absent.json()["error"]["code"] == "not_found"
        assert httpx.get(open_server.url + "/metrics").status_code == 200


def test_every_post_route_is_limited_and_cheap_gets_are_not(coach: Coach) -> None:
    with web_server(coach, ui=False, rate_limit="3/minute") as live:
        for _ in range(6):
            assert httpx.get(live.url + "/api/interview/competencies").status_code == 200
        codes = [
            httpx.post(live.url + "/api/retrieve", json={"query": QUESTION}).status_code,
            httpx.post(
                live.url + "/api/feedback", json={"session_id": "x", "rating": 1}
            ).status_code,
            httpx.delete(live.url + "/api/session/abc").status_code,
            httpx.post(live.url + "/api/retrieve", json={"query": QUESTION}).status_code,
        ]
        assert codes == [200, 404, 404, 429]


def test_the_web_app_and_the_api_share_one_bucket(coach: Coach) -> None:
    limiter = RateLimiter("2/minute")
    assert limiter.hit("10.1.2.3") is None and limiter.hit("10.1.2.3") is None  # two API calls
    view = list(h.ask(coach, QUESTION, h.new_chat_state(), "10.1.2.3", limiter))[-1]
    assert "wait" in view.messages[-1]["content"] and view.state["session_id"] is None
    other = list(h.ask(coach, QUESTION, h.new_chat_state(), "10.9.9.9", limiter))[-1]
    assert other.state["session_id"]


def test_clear_conversation_deletes_it_on_the_server(coach: Coach) -> None:
    final = list(h.ask(coach, QUESTION, h.new_chat_state()))[-1]
    sid = final.state["session_id"]
    coach.interview.start(session_id=sid, questions=1)
    assert h.clear(coach, final.state).state == h.new_chat_state()
    assert not coach.sessions.has_session(sid)
    assert h.clear(coach, final.state).messages == []  # clearing twice is harmless


def test_retention_zero_forgets_a_session_once_it_ends(coach: Coach, tmp_path: Path) -> None:
    settings = coach.settings.model_copy(
        update={"data_dir": tmp_path, "retention_days": 0, "session_idle_minutes": 0.05}
    )
    quick = Coach(settings, embeddings=coach.embeddings, store=coach.store)
    schedule = PurgeSchedule(quick.sessions, settings).start()
    try:
        with web_server(quick, ui=False) as live:
            sid = _chat(live, QUESTION)["session_id"]
            assert httpx.get(f"{live.url}/api/session/{sid}").status_code == 200
            deadline = time.monotonic() + 30
            while httpx.get(f"{live.url}/api/session/{sid}").status_code == 200:
                assert time.monotonic() < deadline, "the idle session was not purged"
                time.sleep(0.5)
            assert httpx.get(f"{live.url}/api/session/{sid}").json()["error"]["code"] == (
                "unknown_session"
            )
    finally:
        schedule.stop()


def test_old_records_are_purged_at_start_up(coach: Coach, tmp_path: Path) -> None:
    settings = coach.settings.model_copy(update={"data_dir": tmp_path, "retention_days": 30})
    first = Coach(settings, embeddings=coach.embeddings, store=coach.store)
    old, recent = first.ask(QUESTION).session_id, first.ask(QUESTION).session_id
    first.sessions.close()
    month_ago = time.time() - 31 * 86_400
    with sqlite3.connect(settings.db_path) as db:
        db.execute("UPDATE sessions SET created=?, last=? WHERE id=?", (month_ago, month_ago, old))
        db.execute("UPDATE turns SET created=? WHERE session_id=?", (month_ago, old))
    again = Coach(settings, embeddings=coach.embeddings, store=coach.store)
    assert not again.sessions.has_session(old) and again.sessions.turns(old) == []
    assert again.sessions.has_session(recent) and len(again.sessions.turns(recent)) == 2
