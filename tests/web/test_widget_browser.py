"""The widget in a real Chromium, embedded by one script tag on a page from another origin."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.web.app import WIDGET_FILE
from tests.helpers import (
    CHROMIUM,
    DECLINE,
    EXAMPLES,
    LiveServer,
    host_page,
    screenshot_dir,
    static_site,
    web_server,
)
from tests.web.axe_audit import assert_accessible

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


SESSION_KEY = "Object.keys(sessionStorage).find(k => k.includes(':session:'))"
SESSION_ID = f"sessionStorage.getItem({SESSION_KEY})"


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
    assert page.evaluate(SESSION_ID)  # the session id, for the next page
    assert page.get_by_role("dialog", name="Career coach").is_visible()
    page.keyboard.press("Escape")
    assert page.get_by_role("button", name="Open chat").is_visible()
    page.context.close()


def test_widget_answers_in_the_askers_own_words(
    browser: Any, site: Site, coach_server: LiveServer
) -> None:
    page = _page(browser, site, coach_server.url + "/widget.js")
    (first, expected), *rest = EXAMPLES
    log = _ask(page, first)
    log.get_by_text(expected).wait_for(timeout=30_000)
    for question, expected in rest:
        page.get_by_role("textbox", name="Message").fill(question)
        page.get_by_role("button", name="Send").click()
        log.get_by_text(expected).wait_for(timeout=30_000)
    assert DECLINE not in log.inner_text()
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
    first_sid = page.evaluate(SESSION_ID)
    page.evaluate(f"sessionStorage.setItem({SESSION_KEY}, 'expired-session-1')")
    box.fill("How do I prepare for a medical director interview?")
    box.press("Enter")
    log.get_by_role("list").nth(1).wait_for(timeout=30_000)  # answered despite the stale id
    assert page.evaluate(SESSION_ID) not in {first_sid, "expired-session-1"}
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
    assert size < 15_000, size


ANSWER = (
    "As medical director of a 250-bed hospital I led a readmissions project with the CNO, the CFO "
    "and case management. I reviewed our data, set a target, and reported monthly to the board; "
    "30-day readmissions fell from 17% to 13% in nine months, saving about $900,000."
)
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
IN_WIDGET = "() => document.activeElement && document.activeElement.localName"
WIDGET_FOCUS = (
    "() => { const r = document.querySelector('director-coach-widget').shadowRoot;"
    " const a = r.activeElement; return a ? a.localName + '.' + a.className : null; }"
)


def test_widget_restores_its_conversation(
    browser: Any, site: Site, coach_server: LiveServer
) -> None:
    page = _page(browser, site, coach_server.url + "/widget.js")
    log = _ask(page, "Do I need an MBA or MHA to move into leadership?")
    log.get_by_role("listitem").first.wait_for(timeout=30_000)
    answer = log.locator(".m.b").last.inner_text()
    page.reload()  # the panel was open: it opens again, with the conversation
    log = page.get_by_role("log")
    log.get_by_role("listitem").first.wait_for(timeout=30_000)
    assert "Do I need an MBA or MHA" in log.inner_text()
    assert log.locator(".m.b").last.inner_text() == answer
    (site.folder / "other.html").write_text(
        (site.folder / "index.html").read_text("utf-8").replace("<h1>", "<h1>Other page: ")
    )
    page.goto(site.url + "/other.html")  # another page of the host site
    page.get_by_role("log").get_by_role("listitem").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Close chat").click()
    page.reload()
    page.get_by_role("button", name="Open chat").click()  # closed stays closed, then restores
    page.get_by_role("log").get_by_role("listitem").first.wait_for(timeout=30_000)
    page.evaluate(f"sessionStorage.setItem({SESSION_KEY}, 'gone-session-1')")
    page.reload()  # an id the server no longer knows: a fresh start, not an error
    page.get_by_role("group", name="Suggested questions").wait_for(timeout=30_000)
    assert page.evaluate(SESSION_ID) is None
    page.context.close()


def test_widget_suggestions_and_new_conversation(
    browser: Any, site: Site, coach_server: LiveServer
) -> None:
    page = _page(browser, site, coach_server.url + "/widget.js")
    page.get_by_role("button", name="Open chat").click()
    suggested = page.get_by_role("group", name="Suggested questions").get_by_role("button")
    assert 3 <= suggested.count() <= 4
    question = suggested.first.inner_text()
    suggested.first.click()
    log = page.get_by_role("log")
    log.get_by_role("listitem").first.wait_for(timeout=30_000)
    assert question in log.inner_text()
    assert page.get_by_role("group", name="Suggested questions").count() == 0
    page.get_by_role("button", name="New conversation").click()
    page.get_by_role("group", name="Suggested questions").wait_for()
    assert log.locator(".m.u").count() == 0 and log.locator("li").count() == 0
    assert page.evaluate(SESSION_ID) is None
    page.reload()
    page.get_by_role("group", name="Suggested questions").wait_for(timeout=30_000)
    page.context.close()


def _tab_stays_inside(page: Any, presses: int = 25) -> None:
    for _ in range(presses):
        page.keyboard.press("Tab")
        assert page.evaluate(IN_WIDGET) == "director-coach-widget"
    for _ in range(5):
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(IN_WIDGET) == "director-coach-widget"


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_widget_focus_stays_in_the_panel(
    browser: Any, site: Site, coach_server: LiveServer, size: str
) -> None:
    page = _page(
        browser, site, coach_server.url + "/widget.js", **(PHONE if size == "phone" else DESKTOP)
    )
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<a href=\"#x\">Host link</a>')")
    page.get_by_role("button", name="Open chat").click()
    if size == "phone":  # no keyboard pop-up on open: focus is in the panel, not in the box
        assert page.evaluate(WIDGET_FOCUS) == "div.log"
    page.get_by_role("textbox", name="Message").fill("What does a medical director do?")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("log").get_by_role("listitem").first.wait_for(timeout=30_000)
    assert page.evaluate(WIDGET_FOCUS) == "div.m b"  # the answer, for screen readers
    _tab_stays_inside(page)
    if size == "phone":
        page.get_by_role("link", name="Host link").focus()  # e.g. a screen reader's swipe
        assert page.evaluate(IN_WIDGET) == "director-coach-widget"
    for name in ("Close chat", "New conversation", "Practice interview", "Send"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box is not None and box["width"] >= 44 and box["height"] >= 44, (name, box)
    page.keyboard.press("Escape")
    assert page.evaluate(IN_WIDGET) == "director-coach-widget"
    assert page.evaluate(WIDGET_FOCUS) == "button.launch"
    page.context.close()


def test_widget_citation_opens_its_source(
    browser: Any, site: Site, coach_server: LiveServer
) -> None:
    page = _page(browser, site, coach_server.url + "/widget.js")
    log = _ask(page, "What does a medical director do?")
    log.get_by_role("listitem").first.wait_for(timeout=30_000)
    source = log.locator("li[value='1']").last
    assert source.locator("blockquote").is_hidden()
    log.get_by_role("button", name="Source 1").last.click()
    assert source.locator("blockquote").is_visible()
    assert "hl" in (source.get_attribute("class") or "")
    assert page.evaluate(WIDGET_FOCUS) == "summary."
    page.context.close()


def test_widget_interview_mode(browser: Any, site: Site, coach_server: LiveServer) -> None:
    page = _page(browser, site, coach_server.url + "/widget.js", 'data-questions="2"')
    page.get_by_role("button", name="Open chat").click()
    page.get_by_role("button", name="Practice interview").click()
    log = page.get_by_role("log", name="Interview")
    log.get_by_text("Question 1 of 2").wait_for(timeout=30_000)
    box = page.get_by_role("textbox", name="Your answer")
    assert box.evaluate("el => el.getRootNode().activeElement === el")
    box.fill(ANSWER)
    page.get_by_role("button", name="Submit answer").click()
    log.get_by_text("Question 2 of 2").wait_for(timeout=30_000)
    assert "Overall" in log.inner_text() and "words, about" in log.inner_text()
    assert page.evaluate("Object.keys(localStorage).some(k => k.includes(':practice:'))")
    assert log.get_by_role("listitem").count() >= 1  # feedback with sources
    page.keyboard.press("x")  # typing on the focused feedback goes to the answer box
    assert box.input_value() == "x"
    box.fill(ANSWER)
    box.press("Tab")
    page.keyboard.press("Enter")  # keyboard only: Tab to "Submit answer", Enter
    link = log.get_by_role("link", name="Download scorecard (Markdown)")
    link.wait_for(timeout=30_000)
    assert "Interview complete" in log.inner_text()
    assert (link.get_attribute("href") or "").startswith("data:text/markdown")
    printable = log.get_by_role("link", name="Printable scorecard")
    assert printable.get_attribute("target") == "_blank"
    view = page.request.get(printable.get_attribute("href") or "")
    assert view.ok and view.headers["content-type"].startswith("text/html")
    log.get_by_role("button", name="Retry last question").click()
    log.get_by_text("Again: Question").wait_for(timeout=30_000)
    box.fill(ANSWER)
    page.get_by_role("button", name="Submit answer").click()
    log.get_by_text("Before → after").wait_for(timeout=30_000)
    page.get_by_role("button", name="Back to chat").click()
    assert page.get_by_role("textbox", name="Message").is_visible()
    assert page.get_by_role("group", name="Suggested questions").is_visible()
    page.context.close()


def test_widget_interview_continues_after_a_reload_and_on_another_page(
    browser: Any, site: Site, coach_server: LiveServer
) -> None:
    page = _page(browser, site, coach_server.url + "/widget.js", 'data-questions="3"')
    page.get_by_role("button", name="Open chat").click()
    page.get_by_role("button", name="Practice interview").click()
    log = page.get_by_role("log", name="Interview")
    log.get_by_text("Question 1 of 3").wait_for(timeout=30_000)
    page.get_by_role("textbox", name="Your answer").fill(ANSWER)
    page.get_by_role("button", name="Submit answer").click()
    log.get_by_text("Question 2 of 3").wait_for(timeout=30_000)
    question = log.locator(".m.b").last.inner_text()
    saved = page.evaluate("JSON.stringify(sessionStorage)")
    assert ANSWER[:40] not in saved  # the interview's id and question are kept, not answers
    page.reload()  # the panel reopens in the interview, at the question it was on
    log = page.get_by_role("log", name="Interview")
    log.get_by_text("Your interview continues").wait_for(timeout=30_000)
    assert log.locator(".m.b").last.inner_text() == question
    page.get_by_role("button", name="Back to chat").click()
    (site.folder / "other-page.html").write_text((site.folder / "index.html").read_text("utf-8"))
    page.goto(site.url + "/other-page.html")  # another page of the host site, in chat mode
    page.get_by_role("button", name="Practice interview").click()  # back to the same interview
    log = page.get_by_role("log", name="Interview")
    log.get_by_text("Question 2 of 3").wait_for(timeout=30_000)
    page.get_by_role("textbox", name="Your answer").fill(ANSWER)
    page.get_by_role("button", name="Submit answer").click()
    log.get_by_text("Question 3 of 3").wait_for(timeout=30_000)
    assert "Overall" in log.inner_text()
    page.context.close()


def test_widget_prepares_practises_and_retries_a_pasted_question(
    browser: Any, site: Site, coach_server: LiveServer
) -> None:
    question = "Tell us how you would reduce readmissions in our cardiology service."
    page = _page(browser, site, coach_server.url + "/widget.js")
    log = _ask(page, f"How should I answer: {question}")
    offer = log.get_by_role("button", name="Practise this question")
    offer.wait_for(timeout=30_000)
    assert log.get_by_role("listitem").count() >= 1  # cited preparation
    with page.expect_request("**/api/interview/start") as started:
        offer.click()
    assert json.loads(started.value.post_data or "{}")["question_text"] == question
    log = page.get_by_role("log", name="Interview")
    log.get_by_text(question).wait_for(timeout=30_000)
    page.get_by_role("textbox", name="Your answer").fill(ANSWER)
    page.get_by_role("button", name="Submit answer").click()
    log.get_by_role("link", name="Printable scorecard").wait_for(timeout=30_000)
    log.get_by_role("button", name="Retry last question").click()
    log.get_by_text("Again: Question").wait_for(timeout=30_000)
    better = ANSWER + " Next time I would bring the cardiologists in from the first week."
    page.get_by_role("textbox", name="Your answer").fill(better)
    page.get_by_role("button", name="Submit answer").click()
    log.get_by_text("Before → after").wait_for(timeout=30_000)
    page.context.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_widget_accessibility_audit(
    browser: Any, site: Site, coach_server: LiveServer, size: str
) -> None:
    context = PHONE if size == "phone" else DESKTOP
    page = _page(browser, site, coach_server.url + "/widget.js", 'data-questions="1"', **context)
    page.get_by_role("button", name="Open chat").wait_for()
    assert_accessible(page, f"{size}, widget closed")
    page.get_by_role("button", name="Open chat").click()
    log = _ask_open(page, "How do I prepare for a medical director interview?")
    log.get_by_role("listitem").first.wait_for(timeout=30_000)
    assert_accessible(page, f"{size}, widget open after an answer")
    shots = screenshot_dir()
    if shots:
        name = "widget-open.png" if size == "desktop" else "widget-phone.png"
        page.screenshot(path=str(shots / name))
    page.get_by_role("button", name="Practice interview").click()
    page.get_by_role("textbox", name="Your answer").fill(ANSWER)
    page.get_by_role("button", name="Submit answer").click()
    page.get_by_role("link", name="Printable scorecard").wait_for(timeout=30_000)
    assert_accessible(page, f"{size}, widget interview with its scorecard")
    if shots:
        page.screenshot(path=str(shots / f"widget-interview-{size}.png"))
    page.context.close()
