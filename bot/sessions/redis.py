"""Redis backend of the session store: several app processes (replicas) share every session.

Keys (all under `dc:`): `s:{sid}` hash (created, last, seq counter), `s:{sid}:turns` list of
JSON turns, `s:{sid}:fb` hash seq -> JSON vote, `s:{sid}:iv` set of interview ids,
`iv:{id}` JSON {session_id, updated, state}, `practice:{pid}` sorted set of interview ids,
and the sorted sets `sessions` (by last activity) and `interviews` (by last save).
"""

from __future__ import annotations

import json
import time
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import redis

from bot.errors import BotError
from bot.sessions.base import ASSISTANT, USER, Activity, Purged, new_id

PREFIX = "dc:"
SESSIONS = PREFIX + "sessions"
INTERVIEWS = PREFIX + "interviews"
INDEX_VERSION = PREFIX + "index:version"


def _session(sid: str) -> str:
    return f"{PREFIX}s:{sid}"


def _interview(iid: str) -> str:
    return f"{PREFIX}iv:{iid}"


def _practice(pid: str) -> str:
    return f"{PREFIX}practice:{pid}"


def safe_url(url: str) -> str:
    """Return the URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class RedisSessionStore:
    """Session store in Redis, shared by every process that uses the same URL."""

    def __init__(self, client: redis.Redis) -> None:
        self._r = client

    @classmethod
    def from_url(cls, url: str) -> RedisSessionStore:
        """Connect to Redis at `url`; raise a BotError with one clear line when it is down."""
        client = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5
        )
        try:
            client.ping()
        except (redis.RedisError, ValueError) as exc:
            raise BotError(
                "redis_unavailable",
                f"Cannot reach Redis at BOT_REDIS_URL={safe_url(url)} ({type(exc).__name__}).",
                503,
            ) from None
        return cls(client)

    def create_session(self) -> str:
        """Create a session and return its id."""
        sid, now = new_id(), time.time()
        pipe = self._r.pipeline()
        pipe.hset(_session(sid), mapping={"created": now, "last": now, "seq": -1})
        pipe.zadd(SESSIONS, {sid: now})
        pipe.execute()
        return sid

    def has_session(self, session_id: str) -> bool:
        """Return whether the session exists."""
        return bool(self._r.exists(_session(session_id)))

    def add_turn(
        self,
        session_id: str,
        role: str,
        text: str,
        query: str = "",
        citations: list[dict[str, Any]] | None = None,
        *,
        verdict: str = "",
        reason: str = "",
    ) -> int:
        """Append a turn and return its sequence number in the session."""
        key, now = _session(session_id), time.time()
        seq = int(cast(int, self._r.hincrby(key, "seq", 1)))
        turn = {
            "seq": seq,
            "role": role,
            "text": text,
            "query": query,
            "citations": citations or [],
            "verdict": verdict,
            "reason": reason,
            "created": now,
        }
        pipe = self._r.pipeline()
        pipe.rpush(key + ":turns", json.dumps(turn, ensure_ascii=False))
        pipe.hset(key, "last", now)
        pipe.zadd(SESSIONS, {session_id: now})
        pipe.execute()
        return seq

    def _all_turns(self, session_id: str, start: int = 0) -> list[dict[str, Any]]:
        rows = cast(list[str], self._r.lrange(_session(session_id) + ":turns", start, -1))
        return [json.loads(r) | {"session_id": session_id} for r in rows]

    def turns(self, session_id: str, limit: int = 20) -> list[dict[str, Any]]:
        """Return the last `limit` turns, oldest first: role, text, query, citations, verdict..."""
        return self._all_turns(session_id, -limit) if limit > 0 else []

    def clear(self, session_id: str) -> None:
        """Forget a session's turns (the session itself stays)."""
        self._r.delete(_session(session_id) + ":turns")

    def delete_session(self, session_id: str) -> bool:
        """Remove a session with its turns, interviews and feedback; return whether it existed."""
        return self._delete_sessions([session_id]) > 0

    def _delete_sessions(self, ids: list[str]) -> int:
        gone = 0
        for sid in ids:
            key = _session(sid)
            for iid in cast(set[str], self._r.smembers(key + ":iv")):
                self._delete_interview(iid)
            pipe = self._r.pipeline()
            pipe.delete(key, key + ":turns", key + ":fb", key + ":iv")
            pipe.zrem(SESSIONS, sid)
            gone += int(pipe.execute()[0] > 0)
        return gone

    def _delete_interview(self, iid: str) -> int:
        raw = cast(str | None, self._r.get(_interview(iid)))
        pipe = self._r.pipeline()
        if raw is not None:
            record = json.loads(raw)
            practice = record["state"].get("practice_id")
            if practice:
                pipe.zrem(_practice(str(practice)), iid)
            if record.get("session_id"):
                pipe.srem(_session(record["session_id"]) + ":iv", iid)
        pipe.delete(_interview(iid))
        pipe.zrem(INTERVIEWS, iid)
        return int(pipe.execute()[-2] > 0)

    def save_interview(
        self, interview_id: str, state: dict[str, Any], session_id: str = ""
    ) -> None:
        """Store an interview's whole state as JSON (activity for its session too)."""
        now = time.time()
        record = {"session_id": session_id, "updated": now, "state": state}
        pipe = self._r.pipeline()
        pipe.set(_interview(interview_id), json.dumps(record, ensure_ascii=False))
        pipe.zadd(INTERVIEWS, {interview_id: now})
        if session_id and self.has_session(session_id):
            pipe.sadd(_session(session_id) + ":iv", interview_id)
            pipe.hset(_session(session_id), "last", now)
            pipe.zadd(SESSIONS, {session_id: now})
        if state.get("practice_id"):
            pipe.zadd(_practice(str(state["practice_id"])), {interview_id: now})
        pipe.execute()

    def load_interview(self, interview_id: str) -> dict[str, Any] | None:
        """Return an interview's state, or None when unknown."""
        raw = cast(str | None, self._r.get(_interview(interview_id)))
        return None if raw is None else dict(json.loads(raw)["state"])

    def _states(self, ids: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        raws = cast(list[str | None], self._r.mget([_interview(i) for i in ids]))
        return [dict(json.loads(r)["state"]) for r in raws if r is not None]

    def interviews_for_practice(self, practice_id: str) -> list[dict[str, Any]]:
        """Return the states of the interviews whose state has this `practice_id`, oldest first."""
        return self._states(cast(list[str], self._r.zrange(_practice(practice_id), 0, -1)))

    def find_answer(self, session_id: str, answer: str) -> tuple[int, str] | None:
        """Return the latest assistant turn with this text: its seq and the question before it."""
        turns = self._all_turns(session_id)
        for i in range(len(turns) - 1, -1, -1):
            if turns[i]["role"] == ASSISTANT and turns[i]["text"] == answer:
                question = next((t["text"] for t in reversed(turns[:i]) if t["role"] == USER), "")
                return int(turns[i]["seq"]), question
        return None

    def add_feedback(
        self, session_id: str, seq: int, rating: int, question: str, answer: str
    ) -> None:
        """Record a thumbs up (1) or down (-1) on the answer at `seq`; a new vote replaces one."""
        vote = {"rating": rating, "question": question, "answer": answer, "created": time.time()}
        self._r.hset(_session(session_id) + ":fb", str(seq), json.dumps(vote, ensure_ascii=False))

    def _votes(self, session_id: str) -> list[dict[str, Any]]:
        rows = cast(dict[str, str], self._r.hgetall(_session(session_id) + ":fb"))
        return [json.loads(v) | {"session_id": session_id, "seq": int(k)} for k, v in rows.items()]

    def feedback_count(self) -> int:
        """Return how many feedback votes are stored."""
        ids = cast(list[str], self._r.zrange(SESSIONS, 0, -1))
        return sum(int(cast(int, self._r.hlen(_session(s) + ":fb"))) for s in ids)

    def purge(self, before: float, *, whole_sessions: bool = False) -> Purged:
        """Remove what is older than `before`; see `SessionStore.purge`."""
        done = Purged()
        idle = cast(list[str], self._r.zrangebyscore(SESSIONS, "-inf", f"({before}"))
        done.sessions = self._delete_sessions(idle)
        old = cast(list[str], self._r.zrangebyscore(INTERVIEWS, "-inf", f"({before}"))
        done.interviews = sum(self._delete_interview(i) for i in old)
        if not whole_sessions:
            for sid in cast(list[str], self._r.zrange(SESSIONS, 0, -1)):
                done.turns += self._trim_turns(sid, before)
                done.feedback += self._drop_votes(sid, before)
        return done

    def _trim_turns(self, session_id: str, before: float) -> int:
        """Drop a session's leading turns older than `before` (turns are appended in order)."""
        old = sum(1 for t in self._all_turns(session_id) if t["created"] < before)
        if old:
            self._r.ltrim(_session(session_id) + ":turns", old, -1)
        return old

    def _drop_votes(self, session_id: str, before: float) -> int:
        old = [str(v["seq"]) for v in self._votes(session_id) if v["created"] < before]
        return int(cast(int, self._r.hdel(_session(session_id) + ":fb", *old))) if old else 0

    def activity(self, since: float) -> Activity:
        """Return the turns, feedback and interviews stored since `since`."""
        found = Activity()
        for sid in cast(list[str], self._r.zrangebyscore(SESSIONS, since, "+inf")):
            found.turns += [t for t in self._all_turns(sid) if t["created"] >= since]
            found.feedback += [v for v in self._votes(sid) if v["created"] >= since]
        found.turns.sort(key=lambda t: (t["created"], t["seq"]))
        found.feedback.sort(key=lambda v: v["created"])
        ids = cast(list[str], self._r.zrangebyscore(INTERVIEWS, since, "+inf"))
        found.interviews = self._states(ids)
        return found

    def index_version(self) -> int:
        """Return the shared index version."""
        return int(cast(str | None, self._r.get(INDEX_VERSION)) or 0)

    def bump_index_version(self) -> int:
        """Increase the shared index version and return it."""
        return int(cast(int, self._r.incr(INDEX_VERSION)))

    def lock(self, name: str, timeout: float = 600.0) -> Any:
        """Return a Redis lock shared by every process (released after `timeout` at worst)."""
        return self._r.lock(f"{PREFIX}lock:{name}", timeout=timeout, blocking_timeout=timeout)

    def close(self) -> None:
        """Close the connection pool."""
        self._r.close()
