"""Interview service: start an interview, score answers, build the scorecard; state in SQLite."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bot import resources
from bot.config import Settings
from bot.errors import BotError, Conflict, NotFound
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.interview import inputs, practice
from bot.interview.bank import Bank, BankError, Question, load_bank, validate_bank
from bot.interview.custom import QuestionMapper, Retrieve, from_dict, to_dict
from bot.interview.feedback import PROBES_FILE, Feedback, compose_feedback
from bot.interview.guides import Guides, load_guides
from bot.interview.insights import insights
from bot.interview.intent import IntentDetector
from bot.interview.plan import DEFAULT_QUESTIONS, make_plan
from bot.interview.prepare import preparation
from bot.interview.rubric import Score, make_reference, score_answer
from bot.interview.scorecard import build_scorecard, render_html
from bot.prompts import load_data
from bot.sessions import SessionStore, new_id
from bot.sessions.redact import redact
from bot.validate import check_interview_id, check_practice_id, check_session_id, clean_text

STATE_VERSION = 1


def load_checked(settings: Settings) -> tuple[Bank, Guides]:
    """Load the bank and the guides it cites; fall back to the packaged guides if needed."""
    bank = load_bank(settings.prompts_dir)
    problems: list[str] = []
    for folder in dict.fromkeys([settings.corpus_dir, resources.corpus_dir()]):
        guides = load_guides(folder)
        problems = validate_bank(bank, guides)
        if not problems:
            return bank, guides
    raise BankError("question bank does not match the guides: " + "; ".join(problems[:5]))


class InterviewService:
    """Mock medical-director interviews, shared by every user; all state lives in the store.

    Loads the question bank from `settings.prompts_dir` and checks every key-point quote against
    the guides (falling back to the packaged guides when `settings.corpus_dir` lacks them).

    Args:
        settings: prompts folder, corpus folder and input limits.
        embeddings: MiniLM embeddings for the rubric's relevance and coverage scores.
        store: the session store that keeps each interview's state.
        phraser: optional `(text, findings) -> text` that rephrases feedback (an LLM engine's
            `phrase_feedback`); scores never depend on it.
        retrieve: optional `(query, k) -> passages` (the Coach's hybrid retrieval) that finds
            guide sentences for pasted questions; without it the guides are searched directly.

    Example:
        >>> service = Coach().interview  # or InterviewService(settings, embeddings, store)
        >>> started = service.start(questions=2, focus=["finance"], seed=7)
        >>> result = service.answer(started["interview_id"], "In 2022 I led ...")
        >>> sorted(result["scores"]), result["next_question"]["number"]
        (['leadership', 'outcome', 'relevance', 'specificity', 'structure'], 2)
        >>> service.scorecard(started["interview_id"])["answered"]
        1
    """

    def __init__(
        self,
        settings: Settings,
        embeddings: MiniLMEmbeddings,
        store: SessionStore,
        phraser: Callable[[str, dict[str, Any]], str] | None = None,
        retrieve: Retrieve | None = None,
    ) -> None:
        self._settings = settings
        self._embeddings = embeddings
        self._store = store
        self._phraser = phraser
        self._bank, self._guides = load_checked(settings)
        self._reference = make_reference(self._bank, self._guides)
        probes = load_data(PROBES_FILE, settings.prompts_dir)
        self._mapper = QuestionMapper(self._bank, self._guides, embeddings, probes, retrieve)
        self._names = {c.id: c.name for c in self._bank.competencies}
        self._dimensions = {d.id: d.name for d in self._bank.dimensions}
        self._intent: IntentDetector | None = None
        self._lock = threading.Lock()

    def competencies(self) -> list[dict[str, Any]]:
        """List the competencies for UIs: id, name, question count and what to read."""
        return [
            {
                "id": c.id,
                "name": c.name,
                "questions": len(self._bank.for_competency(c.id)),
                "read": [{"source": p.source, "section": p.section} for p in c.read],
            }
            for c in self._bank.competencies
        ]

    def prepare(self, question_text: object) -> dict[str, Any]:
        """Return cited preparation for a pasted interview question."""
        mapped = self._mapper.map(self._pasted(question_text))
        return preparation(
            mapped, self._guides, self._settings.prompts_dir, self._reference, self._names
        )

    @property
    def intent(self) -> IntentDetector:
        """Return the chat-routing detector (fitted on first use)."""
        if self._intent is None:  # a race builds two equal detectors; one is kept
            self._intent = IntentDetector(self._embeddings, self._bank, self._settings.prompts_dir)
        return self._intent

    def practice_question(self, message: str, answered: bool | None = None) -> str | None:
        """Return the interview question a chat message asks help answering, or None.

        An explicit lead-in ("How should I answer: ...") is always looked for. A bare question
        is considered only when `answered` is given (the guides' verdict on it as a career
        question): a question they answer needs a surer detector than one they do not.
        """
        question = self.intent.explicit(message)
        if question is None and answered is not None:
            text = message.strip()
            question = text if self.intent.is_panel_question(text, answered) else None
        if question is None or self._mapper.related(question) < self._mapper.threshold:
            return None
        return question

    def _pasted(self, question_text: object) -> str:
        text = clean_text(question_text, self._settings.max_message_chars, "question_text")
        if self._mapper.related(text) < self._mapper.threshold:
            raise BotError(
                "not_an_interview_question",
                "That does not look like a medical-director interview question. Paste the "
                "question as the panel would ask it, for example: How would you reduce "
                "readmissions on our medical wards?",
            )
        return text

    def start(
        self,
        session_id: str | None = None,
        questions: int = DEFAULT_QUESTIONS,
        focus: list[str] | None = None,
        setting: str | None = None,
        *,
        seed: int | None = None,
        question_text: object = None,
        practice_id: object = None,
    ) -> dict[str, Any]:
        """Plan an interview and return its id, first question, number of questions, practice id.

        With `question_text`, the interview is that one pasted question (count, focus and setting
        are then ignored). `practice_id` links interviews for progress; a new one is created
        when it is missing.
        """
        practice_id = check_practice_id(practice_id) or new_id()
        session = check_session_id(session_id) or ""
        custom: dict[str, Any] = {}
        if question_text is not None:
            question = self._mapper.map(self._pasted(question_text)).question
            custom, plan, count, chosen, where = (
                {question.id: to_dict(question)},
                [question.id],
                1,
                None,
                None,
            )
            seed = 0 if seed is None else int(seed)
        else:
            count = inputs.check_questions(questions)
            chosen = inputs.check_focus(focus)
            where = inputs.check_setting(setting)
            seed = secrets.randbelow(2**31) if seed is None else int(seed)
            plan = make_plan(self._bank, count, chosen, where, seed)
        if len(plan) < count:
            raise BotError(
                "not_enough_questions",
                f"Only {len(plan)} questions are available for {', '.join(chosen or [])}; "
                f"ask for {len(plan)} or fewer, or add competencies to the focus.",
            )
        interview_id = new_id()
        state: dict[str, Any] = {
            "version": STATE_VERSION,
            "id": interview_id,
            "session_id": session,
            "practice_id": practice_id,
            "seed": seed,
            "focus": chosen or [],
            "setting": where,
            "questions": plan,
            "custom": custom,
            "retries": {},
            "answers": [],
            "done": False,
            "created": time.time(),
        }
        self._store.save_interview(interview_id, state, session)
        first = self._question(state, plan[0]).public() | {"number": 1}
        return {
            "interview_id": interview_id,
            "question": first,
            "total": count,
            "practice_id": practice_id,
        }

    def retry(self, interview_id: str) -> dict[str, Any]:
        """Ask the last answered question again; the next answer is compared with the last one."""
        with self._locked(interview_id):
            state = self._load(interview_id)
            if not state["answers"]:
                raise Conflict(
                    "Answer a question first; then you can try it again.", code="nothing_to_retry"
                )
            index = len(state["answers"])
            retries: dict[str, int] = state.setdefault("retries", {})
            if str(index) not in retries or index >= len(state["questions"]):
                last = index - 1
                state["questions"].insert(index, state["answers"][last]["question"])
                retries[str(index)] = last
                state["done"] = False
                self._store.save_interview(state["id"], state, state.get("session_id", ""))
            previous = state["answers"][retries[str(index)]]
        question = self._question(state, state["questions"][index]).public()
        return {
            "interview_id": state["id"],
            "question": question | {"number": index + 1, "retry": True},
            "total": len(state["questions"]),
            "practice_id": state.get("practice_id"),
            "previous": {"scores": dict(previous["scores"]), "overall": previous["overall"]},
        }

    def progress(self, practice_id: object) -> dict[str, Any]:
        """Return past interviews of a practice id with dates and scores, by competency, weakest."""
        checked = check_practice_id(practice_id)
        if checked is None:
            raise BotError("invalid_practice_id", "practice_id is missing.")
        states = self._store.interviews_for_practice(checked)
        valid = [s for s in states if s.get("version") == STATE_VERSION]
        return {"practice_id": checked} | practice.progress(valid, self._names)

    @contextmanager
    def _locked(self, interview_id: str) -> Iterator[None]:
        """Hold this process's lock and the store's (shared by replicas) for one interview."""
        key = check_interview_id(interview_id)
        with self._lock, self._store.lock(f"interview:{key}", timeout=60):
            yield

    def answer(self, interview_id: str, answer: str) -> dict[str, Any]:
        """Score an answer to the current question; return scores, feedback and what is next."""
        with self._locked(interview_id):
            state = self._load(interview_id)
            if state["done"]:
                raise Conflict(
                    "This interview has finished. Get the scorecard or start a new interview.",
                    code="interview_finished",
                )
            text = clean_text(answer, self._settings.max_message_chars, "answer")
            index = len(state["answers"])
            question = self._question(state, state["questions"][index])
            score = score_answer(question, text, self._embeddings, reference=self._reference)
            feedback = compose_feedback(
                question,
                score,
                self._guides,
                self._settings.prompts_dir,
                self._phraser,
                answer=text,
            )
            record = _record(question, text, score, feedback)
            record["insights"] = insights(question, text, score.covered())
            retry_of = state.get("retries", {}).get(str(index))
            if retry_of is not None:
                record["retry_of"] = int(retry_of)
            state["answers"].append(record)
            state["done"] = index + 1 >= len(state["questions"])
            self._store.save_interview(state["id"], state, state.get("session_id", ""))
        result = self._result(state, score, feedback)
        if retry_of is not None:
            result |= practice.compare(state["answers"][int(retry_of)], record)
        return result

    def scorecard(self, interview_id: str) -> dict[str, Any]:
        """Return the scorecard so far: scores, strengths, development areas and Markdown."""
        state = self._load(interview_id)
        return build_scorecard(state, self._bank, self._guides, self._settings.prompts_dir)

    def scorecard_html(self, interview_id: str, guide_url: str = "", fragment: bool = False) -> str:
        """Return the HTML scorecard (printable page, or a fragment for the web app).

        Reading-list sections link to `guide_url`/<guide>#<section>.
        """
        state = self._load(interview_id)
        card = build_scorecard(state, self._bank, self._guides, self._settings.prompts_dir)
        folder = self._settings.prompts_dir
        return render_html(card, state, self._bank, folder, guide_url, fragment)

    def guides(self) -> Guides:
        """Return the guides the bank cites (for the reading-list links)."""
        return self._guides

    def state(self, interview_id: str) -> dict[str, Any]:
        """Return the stored state of an interview (for transcripts and UIs)."""
        return self._load(interview_id)

    def _load(self, interview_id: str) -> dict[str, Any]:
        state = self._store.load_interview(check_interview_id(interview_id))
        if state is None or state.get("version") != STATE_VERSION:
            raise NotFound("No interview with that id. Start a new interview.")
        return state

    def _question(self, state: dict[str, Any], question_id: str) -> Question:
        custom = state.get("custom") or {}
        if question_id in custom:
            return from_dict(custom[question_id])
        try:
            return self._bank.question(question_id)
        except KeyError:
            raise Conflict(
                "The question bank changed since this interview started; start a new one.",
                code="interview_outdated",
            ) from None

    def _result(self, state: dict[str, Any], score: Score, feedback: Feedback) -> dict[str, Any]:
        answered = len(state["answers"])
        upcoming = None
        if not state["done"]:
            upcoming = self._question(state, state["questions"][answered]).public()
            upcoming["number"] = answered + 1
            if str(answered) in state.get("retries", {}):
                upcoming["retry"] = True
        return {
            "question_id": state["answers"][-1]["question"],
            "scores": dict(score.scores),
            "overall": score.overall,
            "score_line": practice.score_line(score.scores, score.overall, self._dimensions),
            "feedback": feedback.text,
            "citations": feedback.citations,
            "strengths": feedback.strengths,
            "missing": feedback.missing,
            "outline": feedback.outline,
            "follow_up": feedback.follow_up,
            "insights": state["answers"][-1]["insights"],
            "next_question": upcoming,
            "done": bool(state["done"]),
            "answered": answered,
            "total": len(state["questions"]),
        }


def _record(question: Question, answer: str, score: Score, feedback: Feedback) -> dict[str, Any]:
    return {
        "question": question.id,
        "question_text": question.text,
        "competency": question.competency,
        "answer": redact(answer),  # stored without likely patient identifiers
        "scores": dict(score.scores),
        "overall": score.overall,
        "caps": list(score.caps),
        "missing": [
            {k: p[k] for k in ("id", "text", "source", "section")} for p in feedback.missing
        ],
        "follow_up": feedback.follow_up,
        "feedback": feedback.text,
        "citations": feedback.citations,
    }
