"""Interview service: start an interview, score answers, build the scorecard; state in SQLite."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from bot.config import REPO_ROOT, Settings
from bot.errors import BotError, Conflict, NotFound
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.interview import inputs
from bot.interview.bank import Bank, BankError, Question, load_bank, validate_bank
from bot.interview.feedback import Feedback, compose_feedback
from bot.interview.guides import Guides, load_guides
from bot.interview.plan import DEFAULT_QUESTIONS, make_plan
from bot.interview.rubric import Score, score_answer
from bot.interview.scorecard import build_scorecard
from bot.sessions import SessionStore, new_id
from bot.validate import check_interview_id, check_session_id, clean_text

STATE_VERSION = 1


def load_checked(settings: Settings) -> tuple[Bank, Guides]:
    """Load the bank and the guides it cites; fall back to the packaged corpus if needed."""
    bank = load_bank(settings.prompts_dir)
    problems: list[str] = []
    for folder in dict.fromkeys([settings.corpus_dir, REPO_ROOT / "corpus"]):
        guides = load_guides(folder)
        problems = validate_bank(bank, guides)
        if not problems:
            return bank, guides
    raise BankError("question bank does not match the guides: " + "; ".join(problems[:5]))


class InterviewService:
    """Mock medical-director interviews, shared by every user; all state lives in the store."""

    def __init__(
        self,
        settings: Settings,
        embeddings: MiniLMEmbeddings,
        store: SessionStore,
        phraser: Callable[[str, dict[str, Any]], str] | None = None,
    ) -> None:
        self._settings = settings
        self._embeddings = embeddings
        self._store = store
        self._phraser = phraser
        self._bank, self._guides = load_checked(settings)
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

    def start(
        self,
        session_id: str | None = None,
        questions: int = DEFAULT_QUESTIONS,
        focus: list[str] | None = None,
        setting: str | None = None,
        *,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """Plan an interview and return its id, first question and number of questions."""
        count = inputs.check_questions(questions)
        chosen = inputs.check_focus(focus)
        where = inputs.check_setting(setting)
        session = check_session_id(session_id) or ""
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
            "seed": seed,
            "focus": chosen or [],
            "setting": where,
            "questions": plan,
            "answers": [],
            "done": False,
            "created": time.time(),
        }
        self._store.save_interview(interview_id, state, session)
        first = self._question(plan[0]).public() | {"number": 1}
        return {"interview_id": interview_id, "question": first, "total": count}

    def answer(self, interview_id: str, answer: str) -> dict[str, Any]:
        """Score an answer to the current question; return scores, feedback and what is next."""
        with self._lock:
            state = self._load(interview_id)
            if state["done"]:
                raise Conflict(
                    "This interview has finished. Get the scorecard or start a new interview.",
                    code="interview_finished",
                )
            text = clean_text(answer, self._settings.max_message_chars, "answer")
            index = len(state["answers"])
            question = self._question(state["questions"][index])
            score = score_answer(question, text, self._embeddings)
            feedback = compose_feedback(
                question, score, self._guides, self._settings.prompts_dir, self._phraser
            )
            state["answers"].append(_record(question, text, score, feedback))
            state["done"] = index + 1 >= len(state["questions"])
            self._store.save_interview(state["id"], state, state.get("session_id", ""))
        return self._result(state, score, feedback)

    def scorecard(self, interview_id: str) -> dict[str, Any]:
        """Return the scorecard so far: scores, strengths, development areas and Markdown."""
        state = self._load(interview_id)
        return build_scorecard(state, self._bank, self._guides, self._settings.prompts_dir)

    def state(self, interview_id: str) -> dict[str, Any]:
        """Return the stored state of an interview (for transcripts and UIs)."""
        return self._load(interview_id)

    def _load(self, interview_id: str) -> dict[str, Any]:
        state = self._store.load_interview(check_interview_id(interview_id))
        if state is None or state.get("version") != STATE_VERSION:
            raise NotFound("No interview with that id. Start a new interview.")
        return state

    def _question(self, question_id: str) -> Question:
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
            upcoming = self._question(state["questions"][answered]).public()
            upcoming["number"] = answered + 1
        return {
            "question_id": state["answers"][-1]["question"],
            "scores": dict(score.scores),
            "overall": score.overall,
            "feedback": feedback.text,
            "citations": feedback.citations,
            "strengths": feedback.strengths,
            "missing": feedback.missing,
            "outline": feedback.outline,
            "follow_up": feedback.follow_up,
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
        "answer": answer,
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
