"""The Coach: the one Python API that the CLI, the HTTP API and the web UI all call."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_chroma import Chroma

from bot import metrics
from bot.answer import make_engine
from bot.answer.answerability import Answerability, Judgement, make_answerability
from bot.answer.compose import combine, personal_patterns
from bot.answer.engine import Brief, Engine, StreamEvent, pieces
from bot.answer.ranking import Precedents, make_precedents
from bot.config import Settings
from bot.errors import NotFound
from bot.guard.scope import Guard, GuardDecision, make_guard
from bot.heal import private_umask, reason_of, secure_tree
from bot.ingest.embeddings import MiniLMEmbeddings, make_embeddings
from bot.ingest.index import index_lock, is_index_failure, is_stale, open_store, quarantine
from bot.ingest.sync import IngestReport, ingest
from bot.markup import strip_links
from bot.retrieval.condense import points_back
from bot.retrieval.hybrid import HybridRetriever, make_retriever
from bot.schemas import Answer, Citation, Passage, Verdict
from bot.sessions import make_session_store
from bot.sessions.redact import redact
from bot.sessions.retention import purge_expired
from bot.understand import Context, Understander, Understanding, make_understander
from bot.validate import check_k, check_session_id, clean_text

PRECEDENT_SLOT = 4  # a lent passage takes this place at most (the grounded answer draws on 4)
CONTEXT_DEPTH = 12  # how deep the question's retrieval is searched for a passage on its context

if TYPE_CHECKING:
    from bot.interview.service import InterviewService

log = logging.getLogger("bot")
WARM_QUESTION = "How long does it take to become a medical director?"


@dataclass(frozen=True)
class Part:
    """One question of a message, ready for the engine: its query, passages and brief."""

    asked: str  # the question in the person's own words
    question: str  # normalised
    query: str  # standalone retrieval query
    passages: list[Passage]
    brief: Brief


@dataclass(frozen=True)
class Plan:
    """What the stages before the engine decided about one message."""

    decision: GuardDecision
    understanding: Understanding | None = None
    parts: list[Part] = field(default_factory=list)
    prepare: str | None = None  # an interview question to prepare instead of answering

    @property
    def query(self) -> str:
        """Return the standalone query stored with the turn (for later follow-ups)."""
        return " ".join(p.query for p in self.parts)


class Coach:
    """Answer career questions from the guides, with citations, and run mock interviews.

    The one Python API every surface (CLI, HTTP, Gradio, widget) calls. One instance is shared
    by every user: per-user state lives in the session store, keyed by `session_id`. The index is
    built from `settings.corpus_dir` on first use and re-synced when the corpus changes.

    Args:
        settings: every knob (default: `Settings()`, i.e. BOT_* environment variables).
        embeddings: MiniLM embeddings to share (default: loaded from `settings`).
        store: a LangChain Chroma store to use instead of opening the configured one.
        engine: the answer engine (default: `make_engine(settings, ...)`, grounded or LLM).

    Example:
        >>> coach = Coach()
        >>> first = coach.ask("Do I need an MBA to become a medical director?")
        >>> first.verdict, [c.source for c in first.citations][:1]
        ('answered', ['becoming-a-medical-director.md'])
        >>> coach.ask("What about an MHA?", first.session_id).verdict  # a follow-up
        'answered'
        >>> coach.interview.start(questions=3)["question"]["text"]
        'Tell me about a time you delegated an important project. ...'
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embeddings: MiniLMEmbeddings | None = None,
        store: Chroma | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings or Settings()
        private_umask()  # what this process writes is its user's only (data dir 0700, files 0600)
        secure_tree(self.settings.data_dir)
        self.embeddings = embeddings or make_embeddings(self.settings)
        self.sessions = make_session_store(self.settings)
        purge_expired(self.sessions, self.settings)
        self._index_version = self.sessions.index_version()
        self.guard: Guard = make_guard(self.settings, self.embeddings)
        self.engine: Engine = engine or make_engine(self.settings, self.embeddings)
        self._speaks_to = personal_patterns(self.settings.prompts_dir)
        self._lock = threading.Lock()
        with index_lock(self.settings):
            self._open_index(store)

    def _open_index(self, store: Chroma | None) -> None:
        """Open the index, sync it with the corpus when stale, load retrieval; heal once if broken.

        An embedded index that fails while being read or synced is moved aside and rebuilt.
        """
        for attempt in range(2):
            self.store = store if store is not None else open_store(self.settings, self.embeddings)
            try:
                if is_stale(self.settings, self.store):
                    self.ingest()
                self.retriever: HybridRetriever = make_retriever(
                    self.settings, self.store, self.embeddings
                )
                self._attach_corpus()
                return
            except BaseException as exc:
                if (
                    store is not None
                    or self.settings.chroma_host
                    or attempt
                    or not (is_index_failure(exc))
                ):
                    raise
                quarantine(self.settings, self.store, reason_of(exc))

    def ingest(self, show_progress: bool | None = None) -> IngestReport:
        """Sync the index with the corpus folder and reload retrieval."""
        with self._lock, self.sessions.lock("ingest"):
            report = ingest(self.settings, self.store, show_progress)
            if report.added or report.updated or report.removed:
                self._index_version = self.sessions.bump_index_version()
            if "retriever" in self.__dict__:
                self.retriever.reload()
                self._attach_corpus()
        return report

    def _attach_corpus(self) -> None:
        """Give the corpus-aware stages (understanding, guard, answerability) the guides."""
        rows = list(self.retriever.sentence_rows.values())
        known = self.embeddings.vocabulary()
        self.guard.set_corpus(
            np.concatenate(rows) if rows else np.zeros((0, 1), np.float32),
            {w.lower() for w in known} | set(self.retriever.vocabulary),
            set(self.retriever.vocabulary),
        )
        self.understander: Understander = make_understander(
            self.settings, self.retriever.vocabulary, known
        )
        self.answerability: Answerability = make_answerability(
            self.embeddings, self.retriever, self.settings.prompts_dir
        )
        self.precedents: Precedents = make_precedents(self.embeddings, self.settings.prompts_dir)

    def warm(self) -> None:
        """Embed the labelled questions the judging stages compare with and fit chat routing.

        Done lazily otherwise, this costs the first question a few seconds. One question then
        goes through the stages that judge it (guard, understanding, retrieval, answerability;
        no engine call, nothing stored), so the model's first forward pass is not a user's
        either. The server runs it before it opens its port; the terminal chat in the background.
        """
        self.answerability.warm()
        self.precedents.warm()
        ranker = getattr(getattr(self.engine, "composer", None), "ranker", None)
        if ranker is not None:
            ranker.warm()
        _ = self.interview.intent
        self._plan(WARM_QUESTION, [])

    def warm_in_background(self) -> threading.Thread:
        """Start `warm` on a daemon thread (a failure is logged; the stages stay lazy)."""

        def run() -> None:
            try:
                self.warm()
            except Exception:
                log.warning("warm_failed", exc_info=True)

        thread = threading.Thread(target=run, name="coach-warm", daemon=True)
        thread.start()
        return thread

    def _follow_index(self) -> None:
        """Reload retrieval when another process (replica, CLI) changed the shared index."""
        version = self.sessions.index_version()
        if version == self._index_version:
            return
        with self._lock:
            if version != self._index_version:
                self.retriever.reload()
                self._attach_corpus()
                self._index_version = version

    def retrieve(self, query: object, k: object = 5) -> list[Passage]:
        """Return the passages hybrid retrieval finds for a query."""
        text = clean_text(query, self.settings.max_message_chars, "query")
        return self._timed_retrieve(text, check_k(k))

    def _timed_retrieve(self, query: str, k: int, floor: float | None = None) -> list[Passage]:
        self._follow_index()
        started = time.perf_counter()
        passages = self.retriever.retrieve(query, k, floor=floor)
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

    def _plan(self, text: str, history: list[dict[str, Any]]) -> Plan:
        """Understand the message, check its scope, then retrieve and judge each question."""
        understanding = self.understander.understand(text)
        user_turns = [str(t["text"]) for t in history if t["role"] == "user"]
        decision = self.guard.check(text, user_turns, list(understanding.bare))
        if not decision.allowed:
            return Plan(decision, understanding)
        explicit = self.interview.practice_question(text)  # "How should I answer: ..."
        if explicit is not None:
            return Plan(decision, understanding, prepare=explicit)
        context = self.context(user_turns).merged(understanding.context)
        previous = [str(t["query"]) for t in history if t["role"] == "user" and t.get("query")]
        parts = []
        borrowed = understanding.borrowed or ("",) * len(understanding.questions)
        for i, (asked, question, fallback) in enumerate(
            zip(understanding.asked, understanding.questions, borrowed, strict=True)
        ):
            # A later question of the same message leans on the earlier one only by a pronoun.
            standalone = i > 0 and not points_back(question)
            query, passages, judgement = self._judged(question, standalone, previous, history)
            if fallback:
                # The question is read alone and with the topic words of what the person said
                # before it. The second reading wins when it is answered and either points back
                # ("I keep hearing directors need financial acumen. What does that mean?") or
                # answerability (a fitted model) trusts it more than the question alone.
                alternative = self._judged(fallback, standalone, previous, history)
                better = alternative[2].probability > judgement.probability
                if alternative[2].answerable and (better or points_back(question)):
                    query, passages, judgement = alternative
            if judgement.answerable:
                passages = self._with_context(query, self._with_precedent(query, passages), context)
            parts.append(Part(asked, question, query, passages, Brief(context, judgement, asked)))
            previous = [*previous, query]
        return Plan(decision, understanding, parts, self._bare_interview_question(text, parts))

    def _judged(
        self, question: str, standalone: bool, previous: list[str], history: list[dict[str, Any]]
    ) -> tuple[str, list[Passage], Judgement]:
        """Return a question's retrieval query, its passages and whether they answer it."""
        query = question if standalone else self.engine.condense(question, previous, history)
        # No floor here: answerability (a fitted model) decides what the passages answer.
        passages = self._timed_retrieve(query, self.settings.top_k + 2, floor=0.0)
        return query, passages, self.answerability.judge(query, passages)

    def _with_precedent(self, query: str, passages: list[Passage]) -> list[Passage]:
        """Bring in the passage that answered a near-identical labelled question, if any.

        It takes the last place the answer may draw on (`PRECEDENT_SLOT`); the ranker still
        decides whether its sentence leads. The verdict was already judged without it.
        """
        spans = self.precedents.nearest(np.asarray(self.embeddings.embed_query(query)))
        lent = self.retriever.holding(query, spans)[:1]
        if not lent or any(p.chunk_id == lent[0].chunk_id for p in passages[:PRECEDENT_SLOT]):
            return passages
        rest = [p for p in passages if p.chunk_id != lent[0].chunk_id]
        return [*rest[: PRECEDENT_SLOT - 1], lent[0], *rest[PRECEDENT_SLOT - 1 :]]

    def _with_context(self, query: str, passages: list[Passage], context: Context) -> list[Passage]:
        """Add, after every passage, one that speaks to what the person said about themselves.

        "Ortho surgeon, 12 yrs in": the guides' "5-10 years of clinical practice". It is looked
        for only in the question's own deeper retrieval (CONTEXT_DEPTH), so it stays on topic, and
        it comes last, so it feeds the personal line alone: the verdict and the lead never see it.
        """
        given = {
            "years": context.years is not None,
            "specialty": bool(context.specialty),
            "setting": bool(context.setting),
        }
        wanted = [p for name, p in self._speaks_to.items() if given.get(name)]
        missing = [p for p in wanted if not any(p.search(x.text) for x in passages)]
        if not missing:
            return passages
        have = {p.chunk_id for p in passages}
        deeper = self._timed_retrieve(query, CONTEXT_DEPTH, floor=0.0)
        extra = [p for p in deeper if p.chunk_id not in have]
        found = next((p for p in extra if any(m.search(p.text) for m in missing)), None)
        return passages if found is None else [*passages, found]

    def _bare_interview_question(self, text: str, parts: list[Part]) -> str | None:
        """Return the message's question when it reads as a panel's interview question.

        Issue 9: a pasted panel question gets preparation instead of `no_answer`; one the
        guides answer as a career question needs a surer detector, so polite career questions
        ("Could you tell me ...") keep their ordinary answers. A message the understanding split
        in two ("Describe a project that failed and what you learned") is judged whole.
        The detector reads the words as typed: a panel's question is pasted as written, while
        "how do u build trust w the nurses" is the person's own, and its "u" is anyone
        (normalised to "you", it read as a panel addressing the candidate).
        """
        judged = [p.brief.judgement for p in parts]
        if not parts or any(j is None for j in judged):
            return None
        answered = any(j.answerable for j in judged if j is not None)
        # As typed: one more embedding, only when normalising changed the words.
        question = parts[0].asked if len(parts) == 1 else text
        if self.interview.practice_question(question, answered=answered) is None:
            return None
        return question

    def route(self, message: object) -> str | None:
        """Return the interview question chat would prepare for a message, else None.

        The same decision `ask` makes (guard, explicit lead-in, or a bare panel question the
        detector is sure enough of), without answering or storing anything.
        """
        plan = self._plan(clean_text(message, self.settings.max_message_chars), [])
        return plan.prepare if plan.decision.allowed else None

    def context(self, user_turns: list[str]) -> Context:
        """Return what the person said about themselves in earlier turns (latest wins).

        The context is read back from the session's stored (redacted) turns, so it follows
        the session's retention and deletion with no store of its own.
        """
        found = Context()
        for turn in user_turns[-8:]:
            found = found.merged(self.understander.understand(turn).context)
        return found

    def _finish(self, answer: Answer, sid: str, text: str, query: str) -> Answer:
        answer.session_id, answer.query = sid, query
        answer.answer = strip_links(answer.answer)  # quoted guide text never carries live links
        verdict, reason = answer.verdict, answer.reason  # kept for insights; text is redacted
        asked = redact(query) if verdict != "declined" else ""
        self.sessions.add_turn(sid, "user", redact(text), asked, verdict=verdict, reason=reason)
        cited = answer.public()["citations"]
        self.sessions.add_turn(
            sid, "assistant", redact(answer.answer), citations=cited, verdict=verdict, reason=reason
        )
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
        plan = self._plan(text, history)
        if not plan.decision.allowed:
            return self._finish(self._declined(plan.decision), sid, text, plan.query)
        if plan.prepare is not None:
            prepared = self._interview_preparation(plan.prepare)
            return self._finish(prepared, sid, text, plan.query)
        return self._finish(self._answer_parts(plan, history), sid, text, plan.query)

    def _answer_parts(self, plan: Plan, history: list[dict[str, Any]]) -> Answer:
        """Answer each question of a message; a later one does not repeat an earlier answer."""
        answers: list[tuple[str, Answer]] = []
        for p in plan.parts:
            brief = replace(p.brief, avoid=tuple(a.answer for _, a in answers))
            answers.append(
                (p.asked, self.engine.answer(p.question, p.query, p.passages, history, brief))
            )
        return combine(answers)

    def stream(self, message: object, session_id: object = None) -> Iterator[StreamEvent]:
        """Yield answer pieces, then the final Answer; bad input raises before any yield."""
        text, sid, history = self._prepare(message, session_id)
        return self._stream(text, sid, history)

    def _stream(self, text: str, sid: str, history: list[dict[str, Any]]) -> Iterator[StreamEvent]:
        plan = self._plan(text, history)
        if not plan.decision.allowed:
            answer = self._declined(plan.decision)
            yield answer.answer
            yield self._finish(answer, sid, text, plan.query)
            return
        if plan.prepare is not None:
            prepared = self._interview_preparation(plan.prepare)
            yield from pieces(prepared.answer)
            yield self._finish(prepared, sid, text, plan.query)
            return
        if len(plan.parts) > 1:
            answer = self._answer_parts(plan, history)
            yield from pieces(answer.answer)
            yield self._finish(answer, sid, text, plan.query)
            return
        part = plan.parts[0]
        for event in self.engine.stream(
            part.question, part.query, part.passages, history, part.brief
        ):
            if isinstance(event, Answer):
                yield self._finish(event, sid, text, plan.query)
            else:
                yield event

    def history(self, session_id: object, limit: int = 100) -> list[dict[str, Any]]:
        """Return a session's last turns, oldest first: role, text and (answers) citations."""
        turns = self.sessions.turns(self._session_or_404(session_id), limit)
        return [{k: t[k] for k in ("role", "text", "citations")} for t in turns]

    def _session_or_404(self, session_id: object) -> str:
        sid = check_session_id(session_id)
        if sid is None or not self.sessions.has_session(sid):
            raise NotFound("Unknown session_id; start a new conversation.", "unknown_session")
        return sid

    def feedback(self, session_id: object, rating: int, message: str, answer: str) -> None:
        """Store a thumbs up (1) or down (-1) on an answer of this session (one vote per answer).

        The question and answer stored are the session's own (redacted) turns, not the request's
        text; `message` is accepted for older clients and ignored.
        """
        sid = self._session_or_404(session_id)
        found = self.sessions.find_answer(sid, redact(answer if isinstance(answer, str) else ""))
        if found is None:
            raise NotFound(
                "No such answer in this conversation; feedback is for the coach's answers.",
                "unknown_answer",
            )
        seq, question = found
        self.sessions.add_feedback(sid, seq, 1 if rating > 0 else -1, question, redact(answer))

    def delete_session(self, session_id: object) -> None:
        """Remove a session's turns, interviews and feedback; the id is unknown afterwards."""
        self.sessions.delete_session(self._session_or_404(session_id))

    @cached_property
    def interview(self) -> InterviewService:
        """Return the mock-interview service (shares embeddings, retrieval and sessions)."""
        from bot.interview.service import InterviewService

        return InterviewService(
            self.settings,
            self.embeddings,
            self.sessions,
            retrieve=lambda query, k: self._timed_retrieve(query, k),
            **self._phraser(),
        )

    def _interview_preparation(self, question: str) -> Answer:
        """Answer "How should I answer: <interview question>" with cited preparation (issue 9).

        Runs after the guard allowed the message, and the guard checks the extracted question
        too (a lead-in must not smuggle a clinical question past it). Detection is learned
        (bot/interview/intent.py, one detector); the answer offers to practise the question.
        """
        decision = self.guard.check(question)
        if not decision.allowed:
            return self._declined(decision)
        prepared = self.interview.prepare(question)
        return Answer(
            answer=prepared["text"],
            citations=[Citation(**c) for c in prepared["citations"]],
            verdict="answered",
            reason="interview_preparation",
            practice={"question_text": question, "competency": prepared["competency"]},
        )

    def _phraser(self) -> dict[str, Any]:
        phrase = getattr(self.engine, "phrase_feedback", None)
        return {"phraser": phrase} if phrase is not None else {}
