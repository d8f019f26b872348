"""Hardening guards: host allow-list, cross-site no-CORS requests, the Gradio surface, bad text.

Pure-ASGI middleware like the others in `bot.web.security`, answering with the contract's JSON
error. Each closes one finding of a security probe on loopback:

- `HostGuard`: a Host header outside BOT_PUBLIC_HOSTS gets 400 (DNS rebinding).
- `CrossSiteGuard`: `Sec-Fetch-Site: cross-site` requests that are not CORS get 403, so a
  foreign page's `<img>` GETs cannot spend a visitor's rate limit (the widget script and
  navigations to the app's pages stay allowed).
- `GradioSurface`: Gradio's deep links and uploads are off (404) and `?deep_link=` is ignored.
- `TextGuard`: a JSON body with a lone surrogate (`"\\ud800"`) gets 400 before any handler.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.api import OWN_CODES, error_response
from bot.web.security import BODY_METHODS, WIDGET_PATH, is_api_path

HEALTH_PATH = "/healthz"  # load balancers probe it by address: no host check
GRADIO_OFF = ("/gradio_api/deep_link", "/gradio_api/upload", "/gradio_api/upload_progress")
IGNORED_PARAMS = frozenset({"deep_link"})


def host_name(host: str) -> str:
    """Return a Host header's name without the port or IPv6 brackets, lowercased."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host: str, patterns: Iterable[str]) -> bool:
    """Return whether a host name matches the allow-list (`name`, `*.domain` or `*`)."""
    name = host_name(host)
    for pattern in patterns:
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


async def _refuse(scope: Scope, receive: Receive, send: Send, code: str, text: str, status: int):  # type: ignore[no-untyped-def]
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    await error_response(code, text, status)(scope, receive, send)


class HostGuard:
    """Answer only to the listed host names (X-Forwarded-Host behind a trusted proxy)."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str], trust_forwarded_for: bool = False):
        self.app = app
        self.hosts = [h for h in hosts if h]
        self.trust_forwarded_for = trust_forwarded_for

    def host(self, scope: Scope) -> str:
        """Return the host name the client asked for."""
        headers = Headers(scope=scope)
        forwarded = headers.get("x-forwarded-host", "") if self.trust_forwarded_for else ""
        return forwarded.split(",")[0].strip() or headers.get("host", "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse requests for a host that is not listed."""
        if scope["type"] not in ("http", "websocket") or scope.get("path") == HEALTH_PATH:
            await self.app(scope, receive, send)
            return
        if host_allowed(self.host(scope), self.hosts):
            await self.app(scope, receive, send)
            return
        message = "This server does not answer to that host name. The operator can list it in "
        await _refuse(scope, receive, send, "host_not_allowed", message + "BOT_PUBLIC_HOSTS.", 400)


def cross_site_refused(scope: Scope) -> bool:
    """Return whether a request comes from another site without CORS (an image, a frame...)."""
    headers = Headers(scope=scope)
    if headers.get("sec-fetch-site") != "cross-site":
        return False
    mode = headers.get("sec-fetch-mode", "")
    path = scope.get("path", "")
    if mode == "cors" or path == WIDGET_PATH:
        return False
    return not (mode == "navigate" and scope["type"] == "http" and not is_api_path(path))


class CrossSiteGuard:
    """Refuse cross-site requests that are not CORS; the widget script and page visits pass."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the browser's Sec-Fetch headers."""
        if scope["type"] in ("http", "websocket") and cross_site_refused(scope):
            message = "Requests from other sites must use CORS from an allowed origin."
            await _refuse(scope, receive, send, "cross_site", message, 403)
            return
        await self.app(scope, receive, send)


class GradioSurface:
    """Close the Gradio routes the app does not use: deep links and file uploads."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 404 for closed routes and drop `deep_link` from query strings."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "").rstrip("/")
        if any(path == p or path.startswith(p + "/") for p in GRADIO_OFF):
            await _refuse(scope, receive, send, "not_found", "No such route.", 404)
            return
        query = scope.get("query_string", b"")
        if b"deep_link" in query:
            pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            kept = urlencode([(k, v) for k, v in pairs if k not in IGNORED_PARAMS])
            scope = dict(scope, query_string=kept.encode("latin-1"))
        await self.app(scope, receive, send)


def bad_text_field(value: Any, field: str = "body") -> str | None:
    """Return the top-level field holding a string that is not valid Unicode, or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return field
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if bad_text_field(key):
                return field
            found = bad_text_field(item, field if field != "body" else str(key))
            if found:
                return found
    if isinstance(value, list):
        for item in value:
            found = bad_text_field(item, field)
            if found:
                return found
    return None


class TextGuard:
    """Refuse JSON bodies whose text is not valid Unicode (a lone surrogate) with 400."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read a JSON body once, check its strings, then replay it to the app."""
        content_type = (
            Headers(scope=scope).get("content-type", "") if scope["type"] == "http" else ""
        )
        if (
            scope["type"] != "http"
            or scope["method"] not in BODY_METHODS
            or "json" not in content_type
        ):
            await self.app(scope, receive, send)
            return
        messages, body = await _read(receive)
        try:
            field = bad_text_field(json.loads(body)) if body else None
        except (ValueError, RecursionError):
            field = None  # not JSON: the route answers with its own error
        if field is not None:
            code = f"invalid_{field}" if field in OWN_CODES else "invalid_text"
            message = (
                f"The field '{field}' is not valid text: it holds an unpaired surrogate "
                "(such as \\ud800). Please send plain UTF-8 text."
            )
            await error_response(code, message, 400)(scope, receive, send)
            return
        await self.app(scope, _replay(messages, receive), send)


async def _read(receive: Receive) -> tuple[list[Message], bytes]:
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    return messages, b"".join(m.get("body", b"") for m in messages)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
