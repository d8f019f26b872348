"""The widget in a real Chromium, embedded by one script tag on a page from another origin."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.web.app import WIDGET_FILE
from tests.helpers import (
    CHROMIUM,
    LiveServer,
    host_page,
    screenshot_dir,
    static_site,
    web_server,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed"),
]


@dataclass
class Site:
    """A static host site on its own port: a different origin than the coach."""

    url: str
    folder: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The host site, served by python's http.server."""
    folder = tmp_path_factory.mktemp("site")
    with static_site(folder) as url:
        yield Site(url, folder)


@pytest.fixture(scope="module")
def coach_server(coach: Any, site: Site) -> Iterator[LiveServer]:
    """The coach, allowing the host site's origin (API only: the widget needs no Gradio)."""
    with web_server(coach, ui=False, allowed_origins=site.url, rate_limit="1000/minute") as live:
        yield live


def _page(browser: Any, site: Site, src: str, attrs: str = "", head: str = "", **ctx: Any) -> Any:
    host_page(site.folder, src, attrs, head)
    page = browser.new_context(**ctx).new_page()
    page.goto(site.url + "/index.html")
    return page


def _ask(page: Any, question: str) -> Any:
    page.get_by_role("button", name="Open chat").click()
    box = page.get_by_role("textbox", name="Message")
    assert box.evaluate("el => el.getRootNode().activeElement === el")  # focus moved in
    box.fill(question)
    page.get_by_role("button", name="Send").click()
    return page.get_by_role("log")


def test_widget_answers_with_sources(browser: Any, site: Site, coach_server: LiveServer) -> None:
    page = _page(browser, site, coach_server.url + "/widget.js", 'data-title="Career coach"')
    log = _ask(page, "What does a medical director do?")
    sources = log.get_by_role("listitem")
    sources.first.wait_for(timeout=30_000)
    assert "[1]" in sources.first.inner_text()
    assert "medical director" in log.inner_text().lower()
    assert page.evaluate("sessionStorage.length") == 1
    assert page.get_by_role("dialog", name="Career coach").is_visible()
    shots = screenshot_dir()
    if shots:
        page.screenshot(path=str(shots / "widget-open.png"))
    page.keyboard.press("Escape")
    assert page.get_by_role("button", name="Open chat").is_visible()
    page.context.close()


def test_widget_keyboard_and_follow_up(browser: Any, site: Site, coach_server: LiveServer) -> None:
    page = _page(browser, site, coach_server.url + "/widget.js")
    page.get_by_role("button", name="Open chat").focus()
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Message")
    box.press_sequentially("Which skills matter most?")
    box.press("Enter")
    log = page.get_by_role("log")
    log.get_by_role("listitem").first.wait_for(timeout=30_000)
    first_sid = page.evaluate("Object.values(sessionStorage)[0]")
    page.evaluate("sessionStorage.setItem(sessionStorage.key(0), 'expired-session-1')")
    box.fill("How do I prepare for a medical director interview?")
    box.press("Enter")
    log.get_by_role("list").nth(1).wait_for(timeout=30_000)  # answered despite the stale id
    assert page.evaluate("Object.values(sessionStorage)[0]") not in {first_sid, "expired-session-1"}
    assert "could not" not in log.inner_text().lower()
    page.context.close()


def test_widget_phone_and_options(browser: Any, site: Site, coach_server: LiveServer) -> None:
    attrs = 'data-position="left" data-accent="#0f766e" data-greeting="Welcome, doctor."'
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    page = _page(browser, site, coach_server.url + "/widget.js", attrs, **phone)
    launcher = page.get_by_role("button", name="Open chat")
    box = launcher.bounding_box()
    assert box is not None and box["x"] < 100  # left side
    launcher.click()
    assert "Welcome, doctor." in page.get_by_role("log").inner_text()
    dialog = page.get_by_role("dialog").bounding_box()
    assert dialog is not None and dialog["width"] >= 389  # full screen on a phone
    log = _ask_open(page, "How do I prepare for a medical director interview?")
    log.get_by_role("listitem").first.wait_for(timeout=30_000)
    shots = screenshot_dir()
    if shots:
        page.screenshot(path=str(shots / "widget-phone.png"))
    page.context.close()


def _ask_open(page: Any, question: str) -> Any:
    page.get_by_role("textbox", name="Message").fill(question)
    page.get_by_role("button", name="Send").click()
    return page.get_by_role("log")


def test_widget_shows_errors_kindly(browser: Any, site: Site, coach: Any) -> None:
    with web_server(coach, ui=False, allowed_origins=site.url, rate_limit="1/minute") as live:
        page = _page(browser, site, live.url + "/widget.js")
        log = _ask(page, "What does a medical director do?")
        log.get_by_role("listitem").first.wait_for(timeout=30_000)
        _ask_open(page, "And the salary?")
        page.get_by_text("Please wait").wait_for(timeout=10_000)
        page.context.close()
    with web_server(coach, ui=False, allowed_origins="", rate_limit="10/minute") as live:
        page = _page(browser, site, live.url + "/widget.js")
        warnings: list[str] = []
        page.on("console", lambda msg: warnings.append(msg.text))
        _ask(page, "What does a medical director do?")  # the browser blocks the refused origin
        page.get_by_text("not available right now").wait_for(timeout=10_000)
        assert any("BOT_ALLOWED_ORIGINS" in text for text in warnings)
        page.context.close()


def test_widget_works_under_a_strict_host_csp(
    browser: Any, site: Site, coach_server: LiveServer
) -> None:
    policy = (
        f"default-src 'none'; script-src {coach_server.url}; connect-src {coach_server.url}; "
        "style-src 'unsafe-inline'"  # for the host page's own <style> only
    )
    strict = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    page = _page(browser, site, coach_server.url + "/widget.js", head=strict)
    launcher = page.get_by_role("button", name="Open chat")
    assert launcher.evaluate("el => getComputedStyle(el).position") == "fixed"
    assert launcher.evaluate("el => getComputedStyle(el).fontFamily").startswith("system-ui")
    log = _ask(page, "What does a medical director do?")
    log.get_by_role("listitem").first.wait_for(timeout=30_000)
    page.context.close()


def test_widget_is_small() -> None:
    size = len(gzip.compress(WIDGET_FILE.read_bytes(), 9))
    assert size < 8_000, size
