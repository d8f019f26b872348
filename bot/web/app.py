"""Web app: the JSON API, `/widget.js` and the Gradio UI on one FastAPI app, behind the guards."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import metrics
from bot.coach import Coach
from bot.config import Settings
from bot.web.api import create_app, error_response
from bot.web.security import BodyLimit, OriginGuard, RateLimit, RateLimiter, SecurityHeaders

WIDGET_FILE = Path(__file__).resolve().parent / "static" / "widget.js"


def route_label(scope: Scope, status: int, routes: Sequence[BaseRoute] = ()) -> str:
    """Return the route template of a request (never the raw path); "unmatched" when none."""
    route = scope.get("route") or _match(scope, routes)
    path = getattr(route, "path", None)
    if route is None or path is None or (isinstance(route, Mount) and status == 404):
        return "unmatched"
    return str(path) or "/"


def _match(scope: Scope, routes: Sequence[BaseRoute]) -> BaseRoute | None:
    """Find the route of a request that a guard answered before routing."""
    for route in routes:
        if not isinstance(route, Mount) and route.matches(scope)[0] != Match.NONE:
            return route
    return None


class RequestMetrics:
    """Observe request latency (until the last body byte) by route template, method, status."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute] = ()) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time one HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def timed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, timed)
        finally:
            label = route_label(scope, status, self.routes)
            metrics.REQUEST_SECONDS.labels(label, scope["method"], str(status)).observe(
                time.perf_counter() - started
            )


def add_widget_route(app: FastAPI, path: Path = WIDGET_FILE) -> None:
    """Serve the embeddable widget at `/widget.js` (public, cacheable, revalidated by ETag)."""
    body = path.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    headers = {"Cache-Control": "public, max-age=300", "ETag": etag}

    @app.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
    def widget(request: Request) -> Response:
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


def add_api_not_found(app: FastAPI) -> None:
    """Answer unknown `/api/...` paths with the JSON 404 (not the Gradio app mounted at `/`)."""

    @app.api_route("/api/{rest:path}", methods=_METHODS, include_in_schema=False)
    def api_not_found(rest: str) -> Response:
        return error_response("not_found", "No such API route.", 404)


_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]


def install_guards(app: FastAPI, settings: Settings, limiter: RateLimiter) -> None:
    """Wrap the app (outermost first): metrics, headers, host, cross-site, Gradio surface,
    origins, body size, valid text, rate limit. Refused requests never count against a limit.
    """
    from bot.web.hardening import CrossSiteGuard, GradioSurface, HostGuard, TextGuard

    trust = settings.trust_forwarded_for
    app.add_middleware(RateLimit, limiter=limiter, trust_forwarded_for=trust)
    app.add_middleware(TextGuard)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(OriginGuard, origins=settings.origins, trust_forwarded_for=trust)
    app.add_middleware(GradioSurface)
    app.add_middleware(CrossSiteGuard)
    app.add_middleware(HostGuard, hosts=settings.hosts, trust_forwarded_for=trust)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMetrics, routes=app.router.routes)


def create_web_app(coach: Coach, settings: Settings | None = None, *, ui: bool = True) -> FastAPI:
    """Create the full web app for one shared Coach: API, widget and (unless `ui=False`) Gradio.

    `settings` overrides the web settings (origins, limits); it defaults to the Coach's.
    """
    settings = settings or coach.settings
    limiter = RateLimiter(settings.rate_limit, settings.redis_url)
    app = create_app(coach, settings)
    add_widget_route(app)
    add_api_not_found(app)
    if ui:
        from bot.web.ui import mount_ui

        mount_ui(app, coach, limiter, settings)
    install_guards(app, settings, limiter)
    return app
