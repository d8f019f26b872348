"""GET /api/session/{id}: a conversation's turns with each answer's citations, to show it again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from bot.sessions import SqliteSessionStore
from tests.helpers import LiveServer


def test_session_returns_turns_with_citations(api_server: LiveServer) -> None:
    first = httpx.post(
        api_server.url + "/api/chat", json={"message": "What is the CPE credential?"}, timeout=60
    ).json()
    sid = first["session_id"]
    httpx.post(
        api_server.url + "/api/chat",
        json={"message": "What dose of metoprolol should I give?", "session_id": sid},
        timeout=60,
    )
    data = httpx.get(f"{api_server.url}/api/session/{sid}", timeout=30).json()
    assert data["session_id"] == sid
    assert [t["role"] for t in data["turns"]] == ["user", "assistant"] * 2
    assert data["turns"][0] == {
        "role": "user",
        "text": "What is the CPE credential?",
        "citations": [],
    }
    answer = data["turns"][1]
    assert answer["text"] == first["answer"]
    assert answer["citations"] == first["citations"] and answer["citations"]
    assert data["turns"][3]["citations"] == []  # a declined clinical question cites nothing


def test_unknown_and_malformed_sessions_are_json_errors(api_server: LiveServer) -> None:
    unknown = httpx.get(api_server.url + "/api/session/" + "a" * 32, timeout=30)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown_session"
    bad = httpx.get(api_server.url + "/api/session/%3Cscript%3E", timeout=30)
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_session_id"


def test_a_store_from_before_citations_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE turns (session_id TEXT NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL,"
        " text TEXT NOT NULL, query TEXT NOT NULL DEFAULT '', created REAL NOT NULL,"
        " PRIMARY KEY (session_id, seq))"
    )
    old.execute("INSERT INTO turns VALUES ('s1', 0, 'user', 'Hi', '', 0)")
    old.commit()
    old.close()
    store = SqliteSessionStore(path)
    store.add_turn("s1", "assistant", "Hello [1]", citations=[{"n": 1, "text": "x"}])
    assert [t["citations"] for t in store.turns("s1")] == [[], [{"n": 1, "text": "x"}]]
    store.close()
