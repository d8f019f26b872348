"""Both session-store backends (SQLite and a real redis-server) keep the same promises."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import BotError
from bot.sessions import SessionStore, SqliteSessionStore, make_session_store
from bot.sessions.retention import purge_expired
from tests.services import redis_server


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    if request.param == "sqlite":
        made: SessionStore = make_session_store(Settings(data_dir=tmp_path))
    else:
        url = request.getfixturevalue("redis_url")
        import redis

        redis.Redis.from_url(url).flushdb()
        made = make_session_store(Settings(data_dir=tmp_path, redis_url=url))
    yield made
    made.close()


def _conversation(store: SessionStore) -> str:
    sid = store.create_session()
    store.add_turn(sid, "user", "How long does it take?", "time to director", verdict="answered")
    store.add_turn(sid, "assistant", "Five to ten years [1].", citations=[{"n": 1, "text": "x"}])
    return sid


def test_turns_keep_every_field_in_order(store: SessionStore) -> None:
    sid = _conversation(store)
    assert store.has_session(sid) and not store.has_session("nope")
    assert store.add_turn(sid, "user", "And then?", verdict="no_answer", reason="not covered") == 2
    turns = store.turns(sid)
    assert [t["role"] for t in turns] == ["user", "assistant", "user"]
    assert turns[0]["query"] == "time to director" and turns[0]["verdict"] == "answered"
    assert turns[1]["citations"] == [{"n": 1, "text": "x"}]
    assert turns[2]["reason"] == "not covered"
    assert [t["text"] for t in store.turns(sid, limit=2)] == ["Five to ten years [1].", "And then?"]


def test_delete_removes_turns_interviews_and_feedback(store: SessionStore) -> None:
    sid, other = _conversation(store), _conversation(store)
    store.save_interview("iv1", {"id": "iv1", "practice_id": "p1"}, sid)
    store.save_interview("iv2", {"id": "iv2", "practice_id": "p1"}, other)
    seq, question = store.find_answer(sid, "Five to ten years [1].") or (-1, "")
    store.add_feedback(sid, seq, 1, question, "Five to ten years [1].")
    store.add_feedback(other, seq, -1, question, "Five to ten years [1].")
    assert store.delete_session(sid) is True
    assert not store.has_session(sid) and store.turns(sid) == []
    assert store.load_interview("iv1") is None and store.load_interview("iv2") is not None
    assert [s["id"] for s in store.interviews_for_practice("p1")] == ["iv2"]
    assert store.feedback_count() == 1
    assert store.delete_session(sid) is False
    assert store.has_session(other) and len(store.turns(other)) == 2


def test_feedback_is_one_vote_per_stored_answer(store: SessionStore) -> None:
    sid = _conversation(store)
    assert store.find_answer(sid, "Something the coach never said") is None
    found = store.find_answer(sid, "Five to ten years [1].")
    assert found == (1, "How long does it take?")
    store.add_feedback(sid, 1, 1, found[1], "Five to ten years [1].")
    store.add_feedback(sid, 1, -1, found[1], "Five to ten years [1].")
    assert store.feedback_count() == 1
    votes = store.activity(0).feedback
    assert [(v["rating"], v["question"]) for v in votes] == [(-1, "How long does it take?")]


def test_purge_drops_old_records_and_idle_sessions(store: SessionStore) -> None:
    idle = _conversation(store)
    active = _conversation(store)
    store.save_interview("old", {"id": "old", "created": 0}, "")
    time.sleep(0.05)
    cut = time.time()
    time.sleep(0.05)
    store.add_turn(active, "user", "Still here")
    kept = store.purge(cut, whole_sessions=True)
    assert kept.sessions == 1 and kept.interviews == 1 and kept.turns == 0
    assert not store.has_session(idle) and len(store.turns(active)) == 3
    assert store.load_interview("old") is None
    done = store.purge(cut)
    assert done.turns == 2 and [t["text"] for t in store.turns(active)] == ["Still here"]


def test_activity_and_index_version(store: SessionStore) -> None:
    sid = _conversation(store)
    store.save_interview("iv", {"id": "iv", "answers": []}, sid)
    found = store.activity(time.time() - 60)
    assert [t["text"] for t in found.turns][:1] == ["How long does it take?"]
    assert {t["session_id"] for t in found.turns} == {sid}
    assert [s["id"] for s in found.interviews] == ["iv"]
    assert store.activity(time.time() + 60).turns == []
    start = store.index_version()
    assert store.bump_index_version() == start + 1 == store.index_version()
    with store.lock("ingest", timeout=5):
        pass


def test_retention_days_and_zero(store: SessionStore) -> None:
    sid = _conversation(store)
    month = Settings(retention_days=30)
    assert purge_expired(store, month).total() == 0
    assert purge_expired(store, month, now=time.time() + 29 * 86_400).total() == 0
    assert purge_expired(store, month, now=time.time() + 31 * 86_400).sessions == 1
    sid = _conversation(store)
    zero = Settings(retention_days=0, session_idle_minutes=30)
    assert purge_expired(store, zero, now=time.time() + 60).total() == 0  # session still active
    assert purge_expired(store, zero, now=time.time() + 31 * 60).sessions == 1
    assert not store.has_session(sid)


def test_an_older_sqlite_store_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE turns (session_id TEXT NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL,"
        " text TEXT NOT NULL, query TEXT NOT NULL DEFAULT '', created REAL NOT NULL,"
        " PRIMARY KEY (session_id, seq));"
        "CREATE TABLE sessions (id TEXT PRIMARY KEY, created REAL NOT NULL);"
        "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT,"
        " rating INTEGER NOT NULL, message TEXT NOT NULL, answer TEXT NOT NULL,"
        " created REAL NOT NULL);"
        "INSERT INTO sessions VALUES ('s1', 1.0);"
        "INSERT INTO turns VALUES ('s1', 0, 'user', 'Hi', '', 1.0);"
        "INSERT INTO feedback (session_id, rating, message, answer, created)"
        " VALUES ('s1', 1, 'q', 'a', 1.0);"
    )
    old.commit()
    old.close()
    store = SqliteSessionStore(path)
    assert store.turns("s1")[0]["verdict"] == "" and store.feedback_count() == 1
    assert store.add_turn("s1", "assistant", "Hello", verdict="answered") == 1
    assert store.purge(time.time()).sessions == 1 and store.feedback_count() == 0
    store.close()


def test_redis_down_is_one_clear_line(tmp_path: Path) -> None:
    from tests.helpers import free_port

    url = f"redis://:secret@127.0.0.1:{free_port()}/0"
    with pytest.raises(BotError) as caught:
        make_session_store(Settings(data_dir=tmp_path, redis_url=url))
    assert "Cannot reach Redis" in caught.value.message and "secret" not in caught.value.message
