"""HTTP routes of the mock interview: prepare, start, answer, retry, scorecard, progress, guides."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from bot.errors import NotFound
from bot.interview.plan import DEFAULT_QUESTIONS
from bot.interview.scorecard import slug
from bot.interview.service import InterviewService

# HTML pages (printable scorecard, guide sections): inline styles only, no scripts, no framing.
HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
HTML_HEADERS = {"Content-Security-Policy": HTML_CSP, "Cache-Control": "no-store"}
GUIDES_PATH = "/guides"


class StartBody(BaseModel):
    """Body of POST /api/interview/start."""

    model_config = ConfigDict(extra="forbid")

    session_id: str | None = None
    questions: int = Field(default=DEFAULT_QUESTIONS, strict=True)
    focus: list[str] | None = None
    setting: str | None = None
    seed: int | None = Field(default=None, strict=True)
    question_text: Any = None  # checked by bot.validate.clean_text (invalid_question_text...)
    practice_id: Any = None  # checked by bot.validate.check_practice_id


class AnswerBody(BaseModel):
    """Body of POST /api/interview/{id}/answer."""

    model_config = ConfigDict(extra="forbid")

    answer: str


class PrepareBody(BaseModel):
    """Body of POST /api/interview/prepare."""

    model_config = ConfigDict(extra="forbid")

    question_text: Any = None


def _html(body: str) -> HTMLResponse:
    return HTMLResponse(body, headers=HTML_HEADERS)


def guide_page(service: InterviewService, source: str) -> str:
    """Return one guide as an HTML page whose sections have anchors (reading-list targets)."""
    sections = [s for s in service.guides().sections if s.source == source]
    if not sections:
        raise NotFound("No guide with that name.")
    title = html.escape(sections[0].title)
    body = "".join(
        f'<section id="{slug(s.heading)}"><h2>{html.escape(s.heading)}</h2>'
        + "".join(f"<p>{html.escape(p)}</p>" for p in s.paragraphs)
        + "</section>"
        for s in sections
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>body{{max-width:46rem;margin:0 auto;padding:1rem;"
        "font:17px/1.6 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1f2937}"
        "section:target{background:#fef9c3;outline:4px solid #fef9c3}"
        f"h1{{font-size:1.5rem}}h2{{font-size:1.15rem}}</style></head><body><h1>{title}</h1>"
        f"{body}</body></html>"
    )


def make_router(get_service: Callable[[], InterviewService]) -> APIRouter:
    """Return the interview routes; errors are BotErrors for the app's exception handler."""
    outer = APIRouter(tags=["interview"])
    router = APIRouter(prefix="/api/interview")

    @router.get("/competencies")
    def competencies() -> list[dict[str, Any]]:
        return get_service().competencies()

    @router.post("/prepare")
    def prepare(body: PrepareBody) -> dict[str, Any]:
        return get_service().prepare(body.question_text)

    @router.post("/start")
    def start(body: StartBody | None = None) -> dict[str, Any]:
        body = body or StartBody()
        return get_service().start(
            session_id=body.session_id,
            questions=body.questions,
            focus=body.focus,
            setting=body.setting,
            seed=body.seed,
            question_text=body.question_text,
            practice_id=body.practice_id,
        )

    @router.post("/{interview_id}/answer")
    def answer(interview_id: str, body: AnswerBody) -> dict[str, Any]:
        return get_service().answer(interview_id, body.answer)

    @router.post("/{interview_id}/retry")
    def retry(interview_id: str) -> dict[str, Any]:
        return get_service().retry(interview_id)

    @router.get("/{interview_id}/scorecard")
    def scorecard(interview_id: str) -> dict[str, Any]:
        return get_service().scorecard(interview_id)

    @router.get("/{interview_id}/scorecard.html", response_class=HTMLResponse)
    def scorecard_html(interview_id: str, request: Request) -> HTMLResponse:
        base = str(request.base_url).rstrip("/") + GUIDES_PATH
        return _html(get_service().scorecard_html(interview_id, base))

    @outer.get("/api/practice/{practice_id}/progress")
    def progress(practice_id: str) -> dict[str, Any]:
        return get_service().progress(practice_id)

    @outer.get(GUIDES_PATH + "/{source}", response_class=HTMLResponse)
    def guide(source: str) -> HTMLResponse:
        return _html(guide_page(get_service(), source))

    outer.include_router(router)
    return outer
