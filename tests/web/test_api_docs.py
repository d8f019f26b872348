"""docs/api.md documents every route and every error code; the OpenAPI schema is served."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from bot.web.api import create_app
from tests.helpers import ROOT, web_server

GUIDE = ROOT / "docs" / "api.md"
# Where error codes are raised: BotError("code", ...), NotFound/Conflict(..., "code"),
# code="...", error_response("code", ...), _refuse(..., "code", ...) and {"code": "..."}.
CODE_PATTERNS = (
    r'BotError\(\s*"([a-z_]+)"',
    r'error_response\(\s*"([a-z_]+)"',
    r'\bcode="([a-z_]+)"',
    r'"code":\s*"([a-z_]+)"',
    r'(?:NotFound|Conflict)\((?:[^()]|\([^()]*\))*?,\s*"([a-z_]+)"\s*\)',
    r'_refuse\([^()"]*?"([a-z_]+)"',
)


def raised_codes() -> set[str]:
    """Return every literal error code in the package's source."""
    codes: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in CODE_PATTERNS:
            codes.update(re.findall(pattern, text, re.S))
    return codes


@pytest.fixture(scope="module")
def schema(coach: Any) -> dict[str, Any]:
    settings = coach.settings.model_copy(update={"admin_token": "docs-token"})
    return dict(create_app(coach, settings).openapi())


def test_every_route_is_in_the_guide(schema: dict[str, Any]) -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    routes = [f"{m.upper()} {path}" for path, ops in schema["paths"].items() for m in ops]
    assert len(routes) >= 10
    assert [r for r in routes if f"`{r}" not in guide] == []


def test_every_error_code_is_in_the_guide() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    codes = raised_codes()
    assert {"unknown_session", "rate_limited", "invalid_session_id"} <= codes
    assert sorted(c for c in codes if f"`{c}`" not in guide) == []


def test_the_guide_links_only_inside_the_repository() -> None:
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        links = re.findall(r"\]\(([^)#]+)", doc.read_text(encoding="utf-8"))
        local = [link for link in links if not link.startswith(("http://", "https://"))]
        missing = [link for link in local if not (doc.parent / link).resolve().exists()]
        assert missing == [], (doc.name, missing)
        assert all((doc.parent / link).resolve().is_relative_to(ROOT) for link in local), doc


@pytest.mark.slow
def test_openapi_schema_is_served(coach: Any) -> None:
    with web_server(coach, ui=False) as server:
        reply = httpx.get(server.url + "/openapi.json", timeout=30)
    assert reply.status_code == 200
    paths = reply.json()["paths"]
    assert {"/api/chat", "/api/chat/stream", "/api/interview/start"} <= set(paths)
