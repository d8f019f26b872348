"""The Coach: the one Python API that the CLI, the HTTP API and the web UI all call."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from langchain_chroma import Chroma

from bot import metrics
from bot.answer import make_engine
from bot.answer.engine import Engine, StreamEvent
from bot.config import Settings
from bot.errors import NotFound
from bot.guard.scope import Guard, GuardDecision, make_guard
from bot.ingest.embeddings import MiniLMEmbeddings, make_embeddings
from bot.ingest.store import make_store
from bot.ingest.sync import IngestReport, ingest
from bot.retrieval.hybrid import HybridRetriever, make_retriever
from bot.schemas import Answer, Passage, Verdict
from bot.sessions import SessionStore
from bot.validate import check_k, check_session_id, clean_text

if TYPE_CHECKING:
    from bot.interview.service import InterviewService

log = logging.getLogger("bot")


class Coach:
    """Answer career questions from the guides, with citations, and run mock interviews."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embeddings: MiniLMEmbeddings | None = None,
        store: Chroma | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.embeddings = embeddings or make_embeddings(self.settings)
        self.store = store if store is not None else make_store(self.settings, self.embeddings)
        self.sessions = SessionStore(self.settings.db_path)
        self.guard: Guard = make_guard(self.settings, self.embeddings)
        self.engine: Engine = engine or make_engine(self.settings, self.embeddings)
        self._lock = threading.Lock()
        if not self.store.get(limit=1, include=[])["ids"]:
            self.ingest()
        self.retriever: HybridRetriever = make_retriever(self.settings, self.store, self.embeddings)

    def ingest(self, show_progress: bool | None = None) -> IngestReport:
        """Sync the index with the corpus folder and reload retrieval."""
        with self._lock:
            report = ingest(self.settings, self.store, show_progress)
            if "retriever" in self.__dict__:
                self.retriever.reload()
        return report

    def retrieve(self, query: object, k: object = 5) -> list[Passage]:
        """Return the passages hybrid retrieval finds for a query."""
        text = clean_text(query, self.settings.max_message_chars, "query")
        return self._timed_retrieve(text, check_k(k))

    def _timed_retrieve(self, query: str, k: int) -> list[Passage]:
        started = time.perf_counter()
        passages = self.retriever.retrieve(query, k)
        metrics.RETRIEVAL_SECONDS.observe(time.perf_counter() - started)
        return passages

    def _session(self, session_id: object) -> str:
        sid = check_session_id(session_id)
        if sid is None:
            return self.sessions.create_session()
        if not self.sessions.has_session(sid):
            raise NotFound("Unknown session_id; start a new conversation.", "unknown_session")
        return sid

    def _prepare(
        self, message: object, session_id: object
    ) -> tuple[str, str, list[dict[str, str]]]:
        text = clean_text(message, self.settings.max_message_chars)
        sid = self._session(session_id)
        return text, sid, self.sessions.turns(sid)

    def _declined(self, decision: GuardDecision) -> Answer:
        verdict: Verdict = "answered" if decision.label == "greeting" else "declined"
        return Answer(answer=decision.reply, verdict=verdict, reason=decision.reason)

    def _plan(
        self, text: str, history: list[dict[str, str]]
    ) -> tuple[GuardDecision, str, list[Passage]]:
        user_turns = [t["text"] for t in history if t["role"] == "user"]
        decision = self.guard.check(text, user_turns)
        if not decision.allowed:
            return decision, text, []
        previous = [t["query"] for t in history if t["role"] == "user" and t["query"]]
        query = self.engine.condense(text, previous, history)
        passages = self._timed_retrieve(query, self.settings.top_k + 2)
        return decision, query, passages

    def _finish(self, answer: Answer, sid: str, text: str, query: str) -> Answer:
        answer.session_id, answer.query = sid, query
        self.sessions.add_turn(sid, "user", text, query if answer.verdict != "declined" else "")
        self.sessions.add_turn(sid, "assistant", answer.answer)
        metrics.VERDICTS.labels(answer.verdict).inc()
        log.info(
            "answer",
            extra={
                "session": sid[:8],
                "verdict": answer.verdict,
                "reason": answer.reason,
                "citations": len(answer.citations),
                "chars": len(text),
            },
        )
        return answer

    def ask(self, message: object, session_id: object = None) -> Answer:
        """Answer one message in a session (a new session when `session_id` is None)."""
        text, sid, history = self._prepare(message, session_id)
        decision, query, passages = self._plan(text, history)
        if not decision.allowed:
            return self._finish(self._declined(decision), sid, text, query)
        answer = self.engine.answer(text, query, passages, history)
        return self._finish(answer, sid, text, query)

    def stream(self, message: object, session_id: object = None) -> Iterator[StreamEvent]:
        """Yield answer pieces, then the final Answer; bad input raises before any yield."""
        text, sid, history = self._prepare(message, session_id)
        return self._stream(text, sid, history)

    def _stream(self, text: str, sid: str, history: list[dict[str, str]]) -> Iterator[StreamEvent]:
        decision, query, passages = self._plan(text, history)
        if not decision.allowed:
            answer = self._declined(decision)
            yield answer.answer
            yield self._finish(answer, sid, text, query)
            return
        for event in self.engine.stream(text, query, passages, history):
            if isinstance(event, Answer):
                yield self._finish(event, sid, text, query)
            else:
                yield event

    def history(self, session_id: str) -> list[dict[str, str]]:
        """Return a session's turns."""
        return self.sessions.turns(self._session(session_id))

    def feedback(self, session_id: str, rating: int, message: str, answer: str) -> None:
        """Store a thumbs up (1) or down (-1) on an answer."""
        self.sessions.add_feedback(session_id, 1 if rating > 0 else -1, message, answer)

    @cached_property
    def interview(self) -> InterviewService:
        """Return the mock-interview service (shares embeddings and the session store)."""
        from bot.interview.service import InterviewService

        return InterviewService(self.settings, self.embeddings, self.sessions, **self._phraser())

    def _phraser(self) -> dict[str, Any]:
        phrase = getattr(self.engine, "phrase_feedback", None)
        return {"phraser": phrase} if phrase is not None else {}
