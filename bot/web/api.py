"""HTTP API: FastAPI routes of the public contract over one shared Coach."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot import __version__
from bot.coach import Coach
from bot.config import Settings
from bot.errors import BotError
from bot.schemas import Answer

log = logging.getLogger("bot.web.api")


class RetrieveIn(BaseModel):
    """Body of POST /api/retrieve."""

    model_config = ConfigDict(extra="ignore")
    query: StrictStr
    k: StrictInt = 5


class ChatIn(BaseModel):
    """Body of POST /api/chat and /api/chat/stream."""

    model_config = ConfigDict(extra="ignore")
    message: StrictStr
    session_id: StrictStr | None = None


class FeedbackIn(BaseModel):
    """Body of POST /api/feedback: a thumbs up (1) or down (-1) on an answer."""

    session_id: Annotated[StrictStr, Field(max_length=64)]
    rating: StrictInt
    message: Annotated[StrictStr, Field(max_length=8000)] = ""
    answer: Annotated[StrictStr, Field(max_length=20000)] = ""


# Fields whose wrong type gets the same code as their own check in `bot.validate`.
OWN_CODES = frozenset({"message", "query", "k", "session_id", "answer"})


def error_response(code: str, message: str, status: int) -> JSONResponse:
    """Return the contract's JSON error."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _describe(exc: RequestValidationError) -> tuple[str, str]:
    first = exc.errors()[0] if exc.errors() else {}
    kind = str(first.get("type", ""))
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    if kind.startswith("json") or where == "body":
        return "invalid_json", "The request body must be a JSON object encoded as UTF-8."
    if kind == "missing":
        return "missing_field", f"The field '{where}' is required."
    if where in OWN_CODES:
        return f"invalid_{where}", f"The field '{where}' is invalid: {first.get('msg', '')}."
    return "invalid_field", f"The field '{where}' is invalid: {first.get('msg', 'wrong type')}."


def install_error_handlers(app: FastAPI) -> None:
    """Turn every error into `{"error": {"code", "message"}}`; never a stack trace."""

    @app.exception_handler(BotError)
    async def _bot_error(_: Request, exc: BotError) -> JSONResponse:
        return error_response(exc.code, exc.message, exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(*_describe(exc), 400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(code, str(exc.detail), exc.status_code)

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error: %s", type(exc).__name__)
        return error_response(
            "internal", "Something went wrong on our side. Please try again.", 500
        )


def sse(event: str, data: Any) -> str:
    """Format one Server-Sent Event with JSON data."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _events(stream: Iterator[str | Answer]) -> Iterator[str]:
    try:
        for event in stream:
            if isinstance(event, Answer):
                yield sse("done", event.public())
            else:
                yield sse("token", {"text": event})
    except BotError as exc:
        yield sse("error", exc.public())
    except Exception as exc:
        log.error("stream failed: %s", type(exc).__name__)
        yield sse("error", {"error": {"code": "internal", "message": "The answer failed."}})


def make_router(coach: Coach) -> APIRouter:
    """Create the JSON API routes of the contract."""
    router = APIRouter()

    @router.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/metrics")
    def prometheus(request: Request) -> Response:
        from bot.web.admin_api import admin_denied

        denied = admin_denied(request, getattr(request.app.state, "admin_token", ""))
        if denied is not None:
            return denied
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @router.post("/api/retrieve")
    def retrieve(body: RetrieveIn) -> dict[str, Any]:
        return {"passages": [p.public() for p in coach.retrieve(body.query, body.k)]}

    @router.post("/api/chat")
    def chat(body: ChatIn) -> dict[str, Any]:
        return coach.ask(body.message, body.session_id).public()

    @router.post("/api/chat/stream")
    def chat_stream(body: ChatIn) -> StreamingResponse:
        stream = coach.stream(body.message, body.session_id)
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(_events(stream), media_type="text/event-stream", headers=headers)

    @router.post("/api/feedback")
    def feedback(body: FeedbackIn) -> dict[str, str]:
        coach.feedback(body.session_id, body.rating, body.message, body.answer)
        return {"status": "ok"}

    @router.get("/api/session/{session_id}")
    def session(session_id: str) -> dict[str, Any]:
        return {"session_id": session_id, "turns": coach.history(session_id)}

    @router.delete("/api/session/{session_id}")
    def delete_session(session_id: str) -> dict[str, str]:
        coach.delete_session(session_id)
        return {"status": "deleted", "session_id": session_id}

    return router


def create_app(coach: Coach, settings: Settings | None = None) -> FastAPI:
    """Create the FastAPI app: JSON API, interview routes and error handling.

    `settings` overrides the web settings (the admin token); it defaults to the Coach's.
    """
    token = (settings or coach.settings).admin_token
    # The schema is served for tools; docs/api.md is the human guide (no CDN-hosted docs page).
    app = FastAPI(
        title="Director Coach",
        version=__version__,
        description="Grounded career coaching and mock interviews; guide: docs/api.md.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.admin_token = token
    install_error_handlers(app)
    app.include_router(make_router(coach))
    from bot.web.interview_api import make_router as make_interview_router

    app.include_router(make_interview_router(lambda: coach.interview))
    if token:  # without BOT_ADMIN_TOKEN the admin routes do not exist
        from bot.web.admin_api import make_router as make_admin_router

        app.include_router(make_admin_router(coach, token))
    app.state.coach = coach
    return app
