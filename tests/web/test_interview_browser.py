"""The interview tab in a real Chromium: progress over two sessions, retry, the end of it.

A "session" is a fresh page load in the same browser profile: the practice id lives in the
browser's local storage (gr.BrowserState), so the second visit's chart shows both interviews.
"""

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

STRONG = (
    "In 2022 I was medical director of a 250-bed hospital where 30-day readmissions were 17%. "
    "I led a project with the CNO, the CFO and case management: first I reviewed 60 charts, then "
    "I decided on pharmacist medication reconciliation and a follow-up visit within seven days. "
    "I reported the data monthly to the board. As a result readmissions fell from 17% to 13% in "
    "nine months, saving about $900,000, and the bundle became standard on every unit."
)
WEAK = "I would do my best and work hard with everyone."
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def server(coach: Any) -> Iterator[LiveServer]:
    """The whole app: API, widget and the Gradio UI at `/`."""
    with web_server(coach, rate_limit="1000/minute") as live:
        yield live


def _open_tab(context: Any, server: LiveServer) -> Any:
    page = context.new_page()
    page.goto(server.url + "/")
    page.get_by_role("tab", name="Mock interview").click()
    page.get_by_role("button", name="Start interview").wait_for(timeout=60_000)
    return page


def _settled(page: Any) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=status-tracker]:not(.hide)')",
        timeout=60_000,
    )
    page.wait_for_timeout(300)


def _one_question_interview(page: Any, answer: str) -> None:
    page.get_by_role("spinbutton", name="Number of questions").fill("1")
    page.get_by_role("spinbutton", name="Number of questions").press("Enter")
    page.get_by_role("button", name="Start interview").click()
    page.get_by_text("Question 1 of 1").wait_for(timeout=60_000)
    page.get_by_role("textbox", name="Your answer").fill(answer)
    page.get_by_role("button", name="Submit answer").click()
    page.get_by_text("Interview complete").wait_for(timeout=60_000)
    _settled(page)


def _chart_lines(page: Any) -> int:
    """Return how many line marks the progress chart draws (Vega's SVG)."""
    marks = page.locator(".dc-progress [aria-roledescription='line mark']")
    marks.first.wait_for(state="attached", timeout=30_000)  # a flat line has no height
    return int(marks.count())


def test_progress_chart_across_two_sessions(browser: Any, server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    first = _open_tab(context, server)
    _one_question_interview(first, WEAK)
    first.get_by_text("1 interview on this device").wait_for(timeout=30_000)
    stored = first.evaluate("() => Object.keys(localStorage)")
    assert "director-coach-practice" in stored  # the practice id, no personal data
    first.close()

    second = _open_tab(context, server)  # a new visit: the chart comes back from local storage
    second.get_by_text("1 interview on this device").wait_for(timeout=30_000)
    _one_question_interview(second, STRONG)
    second.get_by_text("2 interviews on this device").wait_for(timeout=30_000)
    assert _chart_lines(second) >= 1  # the overall score over the two visits
    chart = second.locator(".dc-progress")
    assert chart.get_by_role("button", name="Drill my weakest area").is_visible()
    shots = screenshot_dir()
    if shots:
        second.wait_for_timeout(1500)
        chart.screenshot(path=str(shots / "gradio-progress.png"))
    second.get_by_role("button", name="Drill my weakest area").click()
    second.get_by_text("Drilling your weakest area").wait_for(timeout=60_000)
    second.get_by_text("Previous interview scorecard").wait_for(timeout=30_000)  # not discarded
    context.close()


def test_end_of_interview_retry_and_printable_scorecard(browser: Any, server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = _open_tab(context, server)
    _one_question_interview(page, WEAK)
    card = page.locator("#dc-scorecard")
    assert card.is_visible()
    for name in (
        "Try the last question again",
        "Answer the follow-up",
        "Start again with the same settings",
    ):
        assert page.get_by_role("button", name=name).is_visible()
    printable = page.get_by_role("link", name="Printable scorecard (save as PDF)")
    href = printable.get_attribute("href") or ""
    assert href.endswith("/scorecard.html")
    page.get_by_role("button", name="Try the last question again").click()
    page.get_by_text("Try it again: your last answer scored").wait_for(timeout=60_000)
    page.get_by_role("textbox", name="Your answer").fill(STRONG)
    page.get_by_role("button", name="Submit answer").click()
    page.get_by_text("Interview complete").last.wait_for(timeout=60_000)
    table = page.locator(".dc-chat table").last
    assert "Before" in table.inner_text() and "After" in table.inner_text()
    shots = screenshot_dir()
    if shots:
        page.screenshot(path=str(shots / "gradio-interview-retry.png"), full_page=True)
    view = context.new_page()
    view.goto(server.url + href)
    assert view.get_by_role(
        "heading", name="Mock interview scorecard: medical director"
    ).is_visible()
    assert view.get_by_role("heading", name="Retries").is_visible()
    context.close()


def test_phone_scorecard_reads_without_sideways_scrolling(browser: Any, server: LiveServer) -> None:
    context = browser.new_context(**PHONE)
    page = _open_tab(context, server)
    _one_question_interview(page, STRONG)
    card = page.locator("#dc-scorecard .dc-sc")
    card.wait_for(timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 392
    cells = page.locator("#dc-scorecard table.reflow td")
    widths = [cells.nth(i).bounding_box()["width"] for i in range(min(cells.count(), 8))]
    assert widths and min(widths) > 200  # each score on its own readable row, not one letter wide
    top = card.bounding_box()
    assert top is not None and 0 <= top["y"] <= 844  # brought into view after the last answer
    assert_accessible(page, "phone, interview tab with a scorecard and the progress chart")
    shots = screenshot_dir()
    if shots:
        page.screenshot(path=str(shots / "gradio-scorecard-phone.png"))
    context.close()
