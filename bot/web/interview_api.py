"""HTTP routes of the mock interview: start, answer, scorecard, competencies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from bot.interview.plan import DEFAULT_QUESTIONS
from bot.interview.service import InterviewService


class StartBody(BaseModel):
    """Body of POST /api/interview/start."""

    model_config = ConfigDict(extra="forbid")

    session_id: str | None = None
    questions: int = Field(default=DEFAULT_QUESTIONS, strict=True)
    focus: list[str] | None = None
    setting: str | None = None
    seed: int | None = Field(default=None, strict=True)


class AnswerBody(BaseModel):
    """Body of POST /api/interview/{id}/answer."""

    model_config = ConfigDict(extra="forbid")

    answer: str


def make_router(get_service: Callable[[], InterviewService]) -> APIRouter:
    """Return the interview routes; errors are BotErrors for the app's exception handler."""
    router = APIRouter(prefix="/api/interview", tags=["interview"])

    @router.get("/competencies")
    def competencies() -> list[dict[str, Any]]:
        return get_service().competencies()

    @router.post("/start")
    def start(body: StartBody | None = None) -> dict[str, Any]:
        body = body or StartBody()
        return get_service().start(
            session_id=body.session_id,
            questions=body.questions,
            focus=body.focus,
            setting=body.setting,
            seed=body.seed,
        )

    @router.post("/{interview_id}/answer")
    def answer(interview_id: str, body: AnswerBody) -> dict[str, Any]:
        return get_service().answer(interview_id, body.answer)

    @router.get("/{interview_id}/scorecard")
    def scorecard(interview_id: str) -> dict[str, Any]:
        return get_service().scorecard(interview_id)

    return router
