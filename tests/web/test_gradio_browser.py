"""The Gradio app in a real Chromium: ask with citations, the interview tab, phone layout."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import CHROMIUM, DECLINE, EXAMPLES, LiveServer, screenshot_dir, web_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed"),
]

ANSWER = (
    "As medical director of a 250-bed hospital I led a readmissions project with the CNO, the CFO "
    "and case management. I reviewed our data, set a target, and reported monthly to the board; "
    "30-day readmissions fell from 17% to 13% in nine months, saving about $900,000."
)


@pytest.fixture(scope="module")
def server(coach: Any) -> Iterator[LiveServer]:
    """The whole app: API, widget and the Gradio UI at `/`."""
    with web_server(coach, rate_limit="1000/minute") as live:
        yield live


def _open(browser: Any, server: LiveServer, **context: Any) -> tuple[Any, list[str]]:
    page = browser.new_context(**context).new_page()
    foreign: list[str] = []
    page.on(
        "request", lambda r: foreign.append(r.url) if not r.url.startswith(server.url) else None
    )
    page.goto(server.url + "/")
    page.get_by_role("textbox", name="Message").wait_for(timeout=60_000)
    return page, foreign


def _ask(page: Any, question: str) -> None:
    page.get_by_role("textbox", name="Message").fill(question)
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator(".dc-sources details").first.wait_for(timeout=60_000)


def test_ask_tab_answers_with_citations(browser: Any, server: LiveServer) -> None:
    page, foreign = _open(browser, server, viewport={"width": 1280, "height": 800})
    assert page.get_by_text("not medical advice").is_visible()
    _ask(page, "What does a medical director do?")
    sources = page.get_by_role("region", name="Sources")
    assert "[1]" in sources.inner_text()
    page.locator(".dc-sources summary").first.click()
    assert page.locator(".dc-sources blockquote").first.is_visible()
    bot = page.locator(".dc-chat [data-testid='bot']").last
    assert "[1]" in bot.inner_text()
    assert page.get_by_role("textbox", name="Message").input_value() == ""
    assert not foreign, foreign  # no fonts, analytics or CDNs
    shots = screenshot_dir()
    if shots:
        page.screenshot(path=str(shots / "gradio-ask.png"), full_page=True)
    page.get_by_role("button", name="Clear conversation").click()
    page.get_by_text("Sources for the latest answer appear here").wait_for(timeout=10_000)
    page.context.close()


def test_interview_tab(browser: Any, server: LiveServer) -> None:
    page, _ = _open(browser, server, viewport={"width": 1280, "height": 800})
    page.get_by_role("tab", name="Mock interview").click()
    page.get_by_role("button", name="Start interview").click()
    page.get_by_text("Question 1 of 5").wait_for(timeout=30_000)
    page.get_by_role("textbox", name="Your answer").fill(ANSWER)
    page.get_by_role("button", name="Submit answer").click()
    page.get_by_text("Question 2 of 5").wait_for(timeout=30_000)
    assert "Overall " in page.locator(".dc-chat").last.inner_text()  # the one score line
    assert "[1]" in page.get_by_role("region", name="Sources").last.inner_text()
    shots = screenshot_dir()
    if shots:
        page.screenshot(path=str(shots / "gradio-interview.png"), full_page=True)
    page.get_by_role("spinbutton", name="Number of questions").fill("1")
    page.get_by_role("spinbutton", name="Number of questions").press("Enter")
    page.get_by_role("button", name="Start interview").click()
    page.get_by_text("Question 1 of 1").wait_for(timeout=30_000)
    page.get_by_role("textbox", name="Your answer").fill(ANSWER)
    page.get_by_role("button", name="Submit answer").click()
    link = page.get_by_role("link", name="Download scorecard (Markdown)")
    link.wait_for(timeout=30_000)
    assert (link.get_attribute("href") or "").startswith("data:text/markdown")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "director-coach-scorecard.md"
    assert page.get_by_role("heading", name="Scores by competency").is_visible()
    if shots:
        page.screenshot(path=str(shots / "gradio-scorecard.png"), full_page=True)
    page.context.close()


def test_phone_layout(browser: Any, server: LiveServer) -> None:
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    page, _ = _open(browser, server, **phone)
    box = page.get_by_role("textbox", name="Message")
    box.focus()
    page.keyboard.type("How do I prepare for a medical director interview?")
    page.keyboard.press("Enter")  # keyboard only
    page.locator(".dc-sources details").first.wait_for(timeout=60_000)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, width  # no sideways scrolling
    page.context.close()


def test_ask_tab_answers_in_the_askers_own_words(browser: Any, server: LiveServer) -> None:
    page, _ = _open(browser, server, viewport={"width": 1280, "height": 800})
    for question, expected in EXAMPLES:
        page.get_by_role("textbox", name="Message").fill(question)
        page.get_by_role("button", name="Send", exact=True).click()
        page.locator(".dc-chat [data-testid='bot']").last.get_by_text(expected).wait_for(
            timeout=60_000
        )
    assert DECLINE not in page.locator(".dc-chat").inner_text()
    page.context.close()
