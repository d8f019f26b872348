"""The web app as physicians use it: laptop and phone layout, sources to follow, axe audit."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import CHROMIUM, LiveServer, screenshot_dir, web_server
from tests.web.axe_audit import assert_accessible

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed"),
]

ANSWER = (
    "As medical director of a 250-bed hospital I led a readmissions project with the CNO, the CFO "
    "and case management. I reviewed our data, set a target, and reported monthly to the board; "
    "30-day readmissions fell from 17% to 13% in nine months, saving about $900,000."
)
SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture(scope="module")
def server(coach: Any) -> Iterator[LiveServer]:
    """The whole app: API, widget and the Gradio UI at `/`."""
    with web_server(coach, rate_limit="1000/minute") as live:
        yield live


def _open(browser: Any, server: LiveServer, size: str) -> Any:
    page = browser.new_context(**SIZES[size]).new_page()
    page.goto(server.url + "/")
    page.get_by_role("textbox", name="Message").wait_for(timeout=60_000)
    return page


def _ask(page: Any, question: str) -> Any:
    page.get_by_role("textbox", name="Message").fill(question)
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator(".dc-sources details").first.wait_for(timeout=60_000)
    _settled(page)
    return page.locator(".dc-chat [data-testid='bot']").last


def _settled(page: Any) -> None:
    """Wait until Gradio has no pending output (it dims those) and our scroll has run."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=status-tracker]:not(.hide)')",
        timeout=30_000,
    )
    page.wait_for_timeout(300)


def _in_view(page: Any, box: dict[str, float] | None) -> bool:
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + 20 <= height


def _start_one_question(page: Any) -> None:
    page.get_by_role("tab", name="Mock interview").click()
    page.get_by_role("spinbutton", name="Number of questions").fill("1")
    page.get_by_role("spinbutton", name="Number of questions").press("Enter")
    page.get_by_role("button", name="Start interview").click()
    page.get_by_text("Question 1 of 1").wait_for(timeout=30_000)
    _settled(page)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_accessibility_audit_of_both_tabs(browser: Any, server: LiveServer, size: str) -> None:
    page = _open(browser, server, size)
    assert_accessible(page, f"{size}, Ask tab empty")
    _ask(page, "Which skills should I build before applying for a medical director role?")
    assert_accessible(page, f"{size}, Ask tab after an answer")
    shots = screenshot_dir()
    if shots and size == "phone":
        page.screenshot(path=str(shots / "gradio-phone.png"))
    _start_one_question(page)
    assert_accessible(page, f"{size}, interview tab with a question")
    if shots and size == "phone":
        page.screenshot(path=str(shots / "gradio-interview-phone.png"))
    page.get_by_role("textbox", name="Your answer").fill(ANSWER)
    page.get_by_role("button", name="Submit answer").click()
    page.get_by_role("link", name="Download scorecard (Markdown)").wait_for(timeout=30_000)
    _settled(page)
    assert_accessible(page, f"{size}, interview tab with a scorecard")
    page.context.close()


def test_phone_shows_the_answer_start_with_its_sources(browser: Any, server: LiveServer) -> None:
    page = _open(browser, server, "phone")
    _ask(page, "How do I prepare for a medical director interview?")
    question = page.locator(".dc-chat [data-testid='user']").last
    answer = page.locator(".dc-chat [data-testid='bot']").last
    assert _in_view(page, question.bounding_box())
    assert _in_view(page, answer.bounding_box())  # its first line, not its end
    sources = page.get_by_role("heading", name="Sources")
    assert _in_view(page, sources.bounding_box())  # right under the answer
    message = page.get_by_role("textbox", name="Message").bounding_box()
    assert message is not None and message["y"] > sources.bounding_box()["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 392
    page.context.close()


def test_phone_interview_question_is_in_view_after_start(browser: Any, server: LiveServer) -> None:
    page = _open(browser, server, "phone")
    _start_one_question(page)
    assert _in_view(page, page.get_by_text("Question 1 of 1").bounding_box())
    page.get_by_role("textbox", name="Your answer").fill(ANSWER)
    page.get_by_role("button", name="Submit answer").click()
    page.get_by_role("link", name="Download scorecard (Markdown)").wait_for(timeout=30_000)
    _settled(page)
    chat = page.locator(".dc-chat").last
    mine = chat.locator("[data-testid='user']").last.bounding_box()
    view = chat.bounding_box()
    assert mine is not None and view is not None
    assert view["y"] <= mine["y"] <= view["y"] + view["height"]  # the answer, then its feedback
    page.context.close()


def test_laptop_fits_the_message_box_and_the_notice_collapses(
    browser: Any, server: LiveServer
) -> None:
    page = _open(browser, server, "desktop")
    notice = page.locator("details.dc-notice")
    assert notice.get_attribute("open") is not None  # first visit: the whole notice
    for name in ("Message",):
        box = page.get_by_role("textbox", name=name).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 800, box
    send = page.get_by_role("button", name="Send", exact=True).bounding_box()
    assert send is not None and send["y"] + send["height"] <= 800
    page.reload()
    page.get_by_role("textbox", name="Message").wait_for(timeout=60_000)
    assert notice.get_attribute("open") is None  # later visits: one line, still readable
    assert page.get_by_text("not medical advice").is_visible()
    notice.locator("summary").click()
    assert page.get_by_text("Do not enter patient information").is_visible()
    header = page.locator("#dc-header").bounding_box()
    assert header is not None and header["height"] < 60
    page.context.close()


def test_citation_marker_opens_and_highlights_its_source(browser: Any, server: LiveServer) -> None:
    page = _open(browser, server, "desktop")
    answer = _ask(page, "What does a medical director do?")
    marker = answer.get_by_role("button", name="Source 1").first
    source = page.locator(".dc-sources li[value='1']")
    assert source.locator("blockquote").is_hidden()
    marker.click()
    assert source.locator("blockquote").is_visible()
    assert "dc-hl" in (source.get_attribute("class") or "")
    assert page.evaluate("document.activeElement.localName") == "summary"
    marker.focus()
    page.keyboard.press("Enter")  # keyboard too
    assert source.locator("blockquote").is_visible()
    _ask(page, "Do I need an MBA?")  # older answers' markers no longer point at the panel
    assert (
        page.locator(".dc-chat [data-testid='bot']")
        .first.get_by_role("button")
        .filter(has_text="[1]")
        .count()
        == 0
    )
    page.context.close()
