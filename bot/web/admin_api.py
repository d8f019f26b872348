"""Admin routes (only when BOT_ADMIN_TOKEN is set): the insights report and a re-ingest.

Every admin request needs `Authorization: Bearer <BOT_ADMIN_TOKEN>`; a missing or wrong token
gets 401 JSON. Without the setting these routes do not exist (the usual 404).
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.coach import Coach
from bot.errors import BotError
from bot.insights import build_report, check_days


def admin_denied(request: Request, token: str) -> JSONResponse | None:
    """Return a 401 response unless the request carries the admin token (None: allowed)."""
    if not token:
        return None
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return None
    return JSONResponse(
        {"error": {"code": "unauthorized", "message": "A valid admin Bearer token is required."}},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="director-coach"'},
    )


def _days(request: Request) -> int:
    raw = request.query_params.get("days", "30")
    try:
        days = int(raw)
    except ValueError:
        raise BotError("invalid_days", "days must be a whole number from 1 to 3650.") from None
    return check_days(days)


def make_router(coach: Coach, token: str) -> APIRouter:
    """Return the admin routes guarded by `token`."""
    router = APIRouter(prefix="/api/admin")

    @router.get("/insights", response_model=None)
    def insights(request: Request) -> dict[str, Any] | JSONResponse:
        denied = admin_denied(request, token)
        if denied is not None:
            return denied
        names = {c["id"]: c["name"] for c in coach.interview.competencies()}
        return build_report(coach.sessions, coach.embeddings, _days(request), names)

    @router.post("/ingest", response_model=None)
    def reingest(request: Request) -> dict[str, Any] | JSONResponse:
        denied = admin_denied(request, token)
        if denied is not None:
            return denied
        return dict(coach.ingest(show_progress=False).public())

    return router
