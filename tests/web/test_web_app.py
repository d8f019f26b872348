"""The full web app on a real uvicorn: routes, origins, CORS, rate limits, body limit, headers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.helpers import LiveServer, web_server

pytestmark = pytest.mark.slow  # a real server end to end; `make test-fast` skips it

ALLOWED = "https://network.example"
SECRET = "sk-test-do-not-leak-0123456789"
QUESTION = {"message": "What does a medical director do?"}


@pytest.fixture(scope="module")
def server(coach: Any) -> Iterator[LiveServer]:
    """API + widget + Gradio with one allowed origin and a generous rate limit."""
    overrides: dict[str, Any] = {
        "allowed_origins": ALLOWED,
        "rate_limit": "1000/minute",
        "llm_api_key": SECRET,
    }
    with web_server(coach, **overrides) as live:
        yield live


@pytest.fixture(scope="module")
def limited(coach: Any) -> Iterator[LiveServer]:
    """API only, 3 requests a minute per client, X-Forwarded-For trusted (to separate clients)."""
    with web_server(coach, ui=False, rate_limit="3/minute", trust_forwarded_for=True) as live:
        yield live


def test_health_widget_and_page_share_one_server(server: LiveServer) -> None:
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    widget = httpx.get(server.url + "/widget.js")
    assert widget.status_code == 200
    assert widget.headers["content-type"].startswith("text/javascript")
    assert "attachShadow" in widget.text
    page = httpx.get(server.url + "/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert httpx.get(server.url + "/gradio_api/info").status_code in {200, 404}


def test_widget_is_public_and_revalidates(server: LiveServer) -> None:
    foreign = httpx.get(server.url + "/widget.js", headers={"Origin": "https://anyone.example"})
    assert foreign.status_code == 200
    assert foreign.headers["cross-origin-resource-policy"] == "cross-origin"
    etag = foreign.headers["etag"]
    again = httpx.get(server.url + "/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_foreign_origin_is_refused(server: LiveServer) -> None:
    for path in ("/api/chat", "/api/retrieve", "/api/interview/start"):
        response = httpx.post(
            server.url + path, json={}, headers={"Origin": "https://evil.example"}
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "origin_not_allowed"
        assert "access-control-allow-origin" not in response.headers


def test_allowed_origin_gets_cors_headers(server: LiveServer) -> None:
    response = httpx.post(server.url + "/api/chat", json=QUESTION, headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "retry-after" in response.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


def test_requests_without_origin_and_same_origin_are_allowed(server: LiveServer) -> None:
    plain = httpx.post(server.url + "/api/retrieve", json={"query": "leadership skills", "k": 2})
    assert plain.status_code == 200 and len(plain.json()["passages"]) == 2
    same = httpx.post(
        server.url + "/api/retrieve",
        json={"query": "budget", "k": 1},
        headers={"Origin": server.url},
    )
    assert same.status_code == 200
    assert "access-control-allow-origin" not in same.headers


def test_preflight(server: LiveServer) -> None:
    ask = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    ok = httpx.options(server.url + "/api/chat/stream", headers={"Origin": ALLOWED, **ask})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in ok.headers["access-control-allow-methods"]
    assert "content-type" in ok.headers["access-control-allow-headers"].lower()
    bad = httpx.options(
        server.url + "/api/chat/stream", headers={"Origin": "https://x.example", **ask}
    )
    assert bad.status_code == 403


def test_stream_through_the_guards(server: LiveServer) -> None:
    with httpx.stream(
        "POST", server.url + "/api/chat/stream", json=QUESTION, headers={"Origin": ALLOWED}
    ) as response:
        assert response.headers["access-control-allow-origin"] == ALLOWED
        assert response.headers["content-type"].startswith("text/event-stream")
        body = response.read().decode()
    events = [block for block in body.split("\n\n") if block.strip()]
    assert events[0].startswith("event: token")
    done = events[-1]
    assert done.startswith("event: done")
    answer = json.loads(done.split("data: ", 1)[1])
    assert answer["verdict"] == "answered" and answer["citations"]


def test_security_headers(server: LiveServer) -> None:
    api = httpx.post(server.url + "/api/retrieve", json={"query": "finance", "k": 1})
    assert api.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in api.headers["content-security-policy"]
    assert api.headers["referrer-policy"] == "no-referrer"
    assert api.headers["cache-control"] == "no-store"
    page = httpx.get(server.url + "/")
    assert page.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


def test_errors_are_json_everywhere(server: LiveServer) -> None:
    big = httpx.post(server.url + "/api/chat", content=b"{" + b" " * 70_000 + b"}")
    assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    missing = httpx.get(server.url + "/api/nope")
    assert missing.status_code == 404 and "error" in missing.json()


def test_no_secret_in_the_page(server: LiveServer) -> None:
    for path in ("/", "/config", "/gradio_api/info", "/widget.js"):
        assert SECRET not in httpx.get(server.url + path).text


def test_gradio_is_hardened(server: LiveServer) -> None:
    config = httpx.get(server.url + "/config").json()
    assert config.get("run_history") is False
    assert config.get("footer_links") == []
    assert not config.get("share_url")
    assert config.get("analytics_enabled") is False
    assert httpx.get(server.url + "/gradio_api/runs").status_code >= 400


def test_metrics_use_route_templates(server: LiveServer, coach: Any) -> None:
    interview = coach.interview.start(questions=1)
    httpx.get(server.url + f"/api/interview/{interview['interview_id']}/scorecard")
    text = httpx.get(server.url + "/metrics").text
    assert 'route="/api/interview/{interview_id}/scorecard"' in text
    assert interview["interview_id"] not in text
    assert 'route="/healthz"' in text


def _chat(live: LiveServer, client: str) -> httpx.Response:
    return httpx.post(live.url + "/api/chat", json=QUESTION, headers={"X-Forwarded-For": client})


def test_rate_limit_on_chat(limited: LiveServer) -> None:
    codes = [_chat(limited, "198.51.100.1").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    refused = _chat(limited, "198.51.100.1")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert _chat(limited, "198.51.100.2").status_code == 200  # another client


def test_rate_limit_on_interview_but_not_health(limited: LiveServer) -> None:
    headers = {"X-Forwarded-For": "198.51.100.3"}
    for _ in range(3):
        response = httpx.post(limited.url + "/api/interview/start", json={}, headers=headers)
        assert response.status_code == 200
    assert (
        httpx.post(limited.url + "/api/interview/start", json={}, headers=headers).status_code
        == 429
    )
    assert httpx.get(limited.url + "/healthz", headers=headers).status_code == 200


def test_forwarded_for_ignored_unless_trusted(coach: Any) -> None:
    with web_server(coach, ui=False, rate_limit="2/minute") as live:
        codes = [_chat(live, f"203.0.113.{i}").status_code for i in range(3)]
    assert codes == [200, 200, 429]


def test_bad_rate_limit_setting_fails_at_start(coach: Any) -> None:
    from bot.web.app import create_web_app

    with pytest.raises(ValueError, match="BOT_RATE_LIMIT"):
        create_web_app(coach, coach.settings.model_copy(update={"rate_limit": "lots"}), ui=False)
