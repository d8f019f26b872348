"""Embedding security: origin allow-list with CORS, rate limits, body size limit, headers.

Every guard is a small pure-ASGI middleware so streamed answers (SSE) pass through unbuffered.
Errors use the contract's JSON shape `{"error": {"code", "message"}}`.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterable
from typing import cast
from urllib.parse import urlsplit

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.api import error_response

log = logging.getLogger("bot.web.security")

WIDGET_PATH = "/widget.js"
API_PREFIXES = ("/api/", "/healthz", "/metrics")
# Counted: every POST/PUT/PATCH/DELETE under /api/, and GETs that do real work (admin report).
# Cheap GETs (health, metrics, competencies, a session's turns, a scorecard) are not counted.
LIMITED_PREFIXES = ("/api/",)
EXPENSIVE_GET_PREFIXES = ("/api/admin/",)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour)\s*$", re.IGNORECASE)

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_CSP = (
    "frame-ancestors 'self'; base-uri 'self'; object-src 'none'; form-action 'self'; "
    "img-src 'self' data: blob:"
)
COMMON_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def is_api_path(path: str) -> bool:
    """Return whether a path belongs to the JSON API (not the Gradio app or the widget)."""
    return path.startswith(API_PREFIXES)


def parse_rate_limit(text: str) -> RateLimitItem:
    """Parse `N/second`, `N/minute` or `N/hour`; raise ValueError for anything else."""
    match = _RATE.match(text or "")
    if not match or int(match.group(1)) < 1:
        raise ValueError(
            f"BOT_RATE_LIMIT must look like 30/minute (N/second, N/minute or N/hour); got {text!r}."
        )
    return parse(f"{int(match.group(1))}/{match.group(2).lower()}")


class RateLimiter:
    """Per-client moving-window limiter over the `limits` library.

    Counters live in process memory, or in Redis when `storage_uri` (BOT_REDIS_URL) is given so
    that every replica counts a client's requests as one. The API and the Gradio app share one
    bucket per client. If the shared storage fails, requests are allowed and one line is logged.
    """

    def __init__(self, rate: str, storage_uri: str | None = None) -> None:
        self.item = parse_rate_limit(rate)
        storage = cast(Storage, storage_from_string(storage_uri)) if storage_uri else None
        storage = storage or MemoryStorage()
        self._limiter = MovingWindowRateLimiter(storage)

    def hit(self, key: str, scope: str = "api") -> int | None:
        """Count one request; return None when allowed, else seconds until the next is allowed."""
        try:
            if self._limiter.hit(self.item, scope, key):
                return None
            stats = self._limiter.get_window_stats(self.item, scope, key)
        except Exception as exc:  # shared storage down: serve rather than refuse everyone
            log.error("rate limit storage failed: %s", type(exc).__name__)
            return None
        return max(1, math.ceil(stats.reset_time - time.time()))


def is_limited(scope: Scope) -> bool:
    """Return whether a request counts against the client's rate limit."""
    if scope["type"] != "http":
        return False
    path, method = scope.get("path", ""), scope["method"]
    if method in BODY_METHODS:
        return path.startswith(LIMITED_PREFIXES)
    return method == "GET" and path.startswith(EXPENSIVE_GET_PREFIXES)


def client_key(scope: Scope, trust_forwarded_for: bool) -> str:
    """Return the client address; use X-Forwarded-For's last hop only behind a trusted proxy."""
    if trust_forwarded_for:
        forwarded = Headers(scope=scope).get("x-forwarded-for", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _host_origin(scope: Scope, trust_forwarded_for: bool) -> str:
    headers = Headers(scope=scope)
    forwarded = headers.get("x-forwarded-host", "") if trust_forwarded_for else ""
    return (forwarded.split(",")[0].strip() or headers.get("host", "")).lower()


class OriginGuard:
    """Deny browser origins not in the allow-list; add CORS headers and answer preflights."""

    def __init__(self, app: ASGIApp, origins: Iterable[str], trust_forwarded_for: bool = False):
        self.app = app
        self.origins = {o.strip().rstrip("/").lower() for o in origins if o.strip()}
        self.trust_forwarded_for = trust_forwarded_for

    def allowed(self, origin: str) -> bool:
        """Return whether a listed origin sent the request."""
        return origin.rstrip("/").lower() in self.origins

    def same_origin(self, origin: str, scope: Scope) -> bool:
        """Return whether the Origin is this server itself (the Gradio page)."""
        netloc = urlsplit(origin).netloc.lower()
        return bool(netloc) and netloc == _host_origin(scope, self.trust_forwarded_for)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the Origin header of HTTP requests."""
        origin = Headers(scope=scope).get("origin") if scope["type"] == "http" else None
        path = scope.get("path", "")
        if origin is None or path == WIDGET_PATH or self.same_origin(origin, scope):
            await self.app(scope, receive, send)
            return
        if not self.allowed(origin):
            message = "This site is not allowed to use the coach. Ask the operator to list it."
            await error_response("origin_not_allowed", message, 403)(scope, receive, send)
            return
        if not is_api_path(path):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in Headers(scope=scope):
            await self._preflight(origin, scope, receive, send)
            return
        await self.app(scope, receive, _with_cors(send, origin))

    async def _preflight(self, origin: str, scope: Scope, receive: Receive, send: Send) -> None:
        headers = cors_headers(origin) | {
            "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
            "access-control-allow-headers": "Content-Type",
            "access-control-max-age": "600",
        }
        await Response(status_code=204, headers=headers)(scope, receive, send)


def cors_headers(origin: str) -> dict[str, str]:
    """Return the CORS headers for an allowed origin (no credentials: the widget uses none)."""
    return {
        "access-control-allow-origin": origin,
        "access-control-expose-headers": "Retry-After",
        "vary": "Origin",
    }


def _with_cors(send: Send, origin: str) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in cors_headers(origin).items():
                headers[name] = value
        await send(message)

    return wrapped


class RateLimit:
    """Limit API writes and expensive reads per client; 429 JSON with Retry-After when over."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, trust_forwarded_for: bool = False):
        self.app = app
        self.limiter = limiter
        self.trust_forwarded_for = trust_forwarded_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count limited requests and refuse those over the limit."""
        if is_limited(scope):
            wait = self.limiter.hit(client_key(scope, self.trust_forwarded_for))
            if wait is not None:
                message = f"Too many requests. Please wait {wait} seconds and try again."
                response = error_response("rate_limited", message, 429)
                response.headers["Retry-After"] = str(wait)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413 JSON (declared or streamed chunked)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check Content-Length, or buffer a chunked body up to the limit."""
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) <= self.max_bytes:
            await self.app(scope, receive, send)
            return
        try:
            if length is not None:
                raise _TooLarge
            messages = await self._buffer(receive)
        except _TooLarge:
            limit = f"{self.max_bytes:,}"
            message = f"The request is too large; the limit is {limit} bytes."
            await error_response("too_large", message, 413)(scope, receive, send)
            return
        await self.app(scope, _replay(messages, receive), send)

    async def _buffer(self, receive: Receive) -> list[Message]:
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                raise _TooLarge
            if message["type"] != "http.request" or not message.get("more_body", False):
                return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


def security_headers(path: str) -> dict[str, str]:
    """Return the security headers for a response to `path`."""
    if path == WIDGET_PATH:
        return COMMON_HEADERS | {
            "content-security-policy": API_CSP,
            "cross-origin-resource-policy": "cross-origin",
            "access-control-allow-origin": "*",
        }
    if is_api_path(path):
        return COMMON_HEADERS | {
            "content-security-policy": API_CSP,
            "x-frame-options": "DENY",
            "cache-control": "no-store",
        }
    return COMMON_HEADERS | {"content-security-policy": PAGE_CSP, "x-frame-options": "SAMEORIGIN"}


class SecurityHeaders:
    """Add nosniff, referrer, CSP and framing headers without overriding the app's own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to every HTTP response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = security_headers(scope.get("path", ""))

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in wanted.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, wrapped)
