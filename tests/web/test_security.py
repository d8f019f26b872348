"""Tests of bot.web.security: limits, client keys, origins, body size, headers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI, Request

from bot.web.security import (
    BodyLimit,
    OriginGuard,
    RateLimit,
    RateLimiter,
    SecurityHeaders,
    client_key,
    parse_rate_limit,
    security_headers,
)
from tests.helpers import LiveServer, serve_app


@pytest.mark.parametrize(
    ("text", "amount", "seconds"),
    [("30/minute", 30, 60), ("3/second", 3, 1), ("100/hour", 100, 3600), (" 5 / MINUTE ", 5, 60)],
)
def test_rate_limit_formats(text: str, amount: int, seconds: int) -> None:
    item = parse_rate_limit(text)
    assert (item.amount, item.get_expiry()) == (amount, seconds)


@pytest.mark.parametrize(
    "text", ["", "30", "30/day", "0/minute", "-1/minute", "x/minute", "30 per"]
)
def test_bad_rate_limits_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="BOT_RATE_LIMIT"):
        parse_rate_limit(text)


def test_limiter_counts_per_client_and_scope() -> None:
    limiter = RateLimiter("2/minute")
    assert limiter.hit("a") is None
    assert limiter.hit("a") is None
    wait = limiter.hit("a")
    assert wait is not None and 1 <= wait <= 60
    assert limiter.hit("b") is None
    assert limiter.hit("a", "ui") is None


def _scope(client: str = "10.0.0.1", **headers: str) -> dict[str, object]:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "client": (client, 5000), "headers": raw}


def test_forwarded_for_is_used_only_when_trusted() -> None:
    scope = _scope(x_forwarded_for="1.1.1.1, 203.0.113.7")
    assert client_key(scope, trust_forwarded_for=False) == "10.0.0.1"
    assert client_key(scope, trust_forwarded_for=True) == "203.0.113.7"
    assert client_key(_scope(), trust_forwarded_for=True) == "10.0.0.1"
    assert client_key({"type": "http", "headers": []}, False) == "unknown"


def test_same_origin_compares_host() -> None:
    guard = OriginGuard(lambda *a: None, ["https://site.example/"])  # type: ignore[arg-type, return-value]
    scope = _scope(host="coach.example:7860")
    assert guard.same_origin("http://coach.example:7860", scope)
    assert not guard.same_origin("http://coach.example:7861", scope)
    assert not guard.same_origin("null", scope)
    assert guard.allowed("https://SITE.example")
    assert not guard.allowed("https://site.example.evil")


def test_header_sets_by_path() -> None:
    api = security_headers("/api/chat")
    assert api["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in api["content-security-policy"]
    assert api["cache-control"] == "no-store"
    page = security_headers("/")
    assert page["x-frame-options"] == "SAMEORIGIN"
    assert "script-src" not in page["content-security-policy"]  # Gradio needs its scripts
    widget = security_headers("/widget.js")
    assert widget["cross-origin-resource-policy"] == "cross-origin"


@pytest.fixture(scope="module")
def tiny() -> Iterator[LiveServer]:
    """A small app behind the same guards as the real one."""
    app = FastAPI()

    @app.get("/healthz")
    def ok() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @app.post("/api/chat")
    def chat() -> dict[str, str]:
        return {"answer": "hi"}

    app.add_middleware(RateLimit, limiter=RateLimiter("2/minute"))
    app.add_middleware(BodyLimit, max_bytes=1000)
    app.add_middleware(OriginGuard, origins=["http://allowed.test"])
    app.add_middleware(SecurityHeaders)
    with serve_app(app) as server:
        yield server


def test_declared_body_over_limit_is_413(tiny: LiveServer) -> None:
    small = httpx.post(tiny.url + "/api/echo", content=b"x" * 1000)
    assert small.status_code == 200 and small.json() == {"bytes": 1000}
    big = httpx.post(tiny.url + "/api/echo", content=b"x" * 1001)
    assert big.status_code == 413
    assert big.json()["error"]["code"] == "too_large"


def test_chunked_body_over_limit_is_413(tiny: LiveServer) -> None:
    def chunks(n: int) -> Iterator[bytes]:
        for _ in range(n):
            yield b"y" * 300

    ok = httpx.post(tiny.url + "/api/echo", content=chunks(3))
    assert ok.status_code == 200 and ok.json() == {"bytes": 900}
    big = httpx.post(tiny.url + "/api/echo", content=chunks(4))
    assert big.status_code == 413


def test_rate_limit_answers_429_with_retry_after() -> None:
    app = FastAPI()

    @app.post("/api/chat")
    @app.post("/api/echo")
    def chat() -> dict[str, str]:
        return {"answer": "hi"}

    @app.get("/api/session/x")
    def cheap() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(RateLimit, limiter=RateLimiter("2/minute"))
    with serve_app(app) as server:
        assert all(httpx.get(server.url + "/api/session/x").is_success for _ in range(5))
        codes = [httpx.post(server.url + path).status_code for path in ("/api/chat", "/api/echo")]
        assert codes == [200, 200]  # cheap GETs were not counted; every POST is
        refused = httpx.post(server.url + "/api/chat")
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert httpx.post(server.url + "/api/echo").status_code == 429


def test_origin_guard_on_tiny_app(tiny: LiveServer) -> None:
    denied = httpx.get(tiny.url + "/healthz", headers={"Origin": "http://evil.test"})
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "origin_not_allowed"
    allowed = httpx.get(tiny.url + "/healthz", headers={"Origin": "http://allowed.test"})
    assert allowed.headers["access-control-allow-origin"] == "http://allowed.test"
    assert "origin" in allowed.headers["vary"].lower()
