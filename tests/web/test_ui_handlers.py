"""The Gradio UI handlers, called directly (no browser): streaming, sources, feedback, interview."""

from __future__ import annotations

import base64
from typing import Any

from bot.web import ui_handlers as h
from bot.web.security import RateLimiter

QUESTION = "Which skills should I build before applying for a medical director role?"
ANSWER = (
    "As medical director at a 300-bed hospital I led a sepsis program with the CNO, the CFO and "
    "the ED chief. I reviewed our quality data, set a target, trained 120 nurses in six weeks and "
    "reported monthly to the board; mortality fell from 18% to 12% within a year and length of "
    "stay dropped by a day, saving about $1.2 million. I owned the plan and the budget."
)


def test_ask_streams_then_shows_sources(coach: Any) -> None:
    views = list(h.ask(coach, QUESTION, h.new_chat_state()))
    assert len(views) > 2
    assert views[0].textbox == ""
    assert views[0].messages[0] == {"role": "user", "content": QUESTION}
    lengths = [len(v.messages[-1]["content"]) for v in views]
    assert lengths == sorted(lengths)
    final = views[-1]
    assert final.messages[-1]["role"] == "assistant"
    assert "[1]" in final.messages[-1]["content"]
    assert "<details>" in final.sources and "[1]" in final.sources
    assert final.state["session_id"]
    assert final.state["messages"] == final.messages


def test_follow_up_uses_the_same_session(coach: Any) -> None:
    first = list(h.ask(coach, QUESTION, h.new_chat_state()))[-1]
    second = list(h.ask(coach, "And how long does that usually take?", first.state))[-1]
    assert second.state["session_id"] == first.state["session_id"]
    assert len(second.messages) == 4
    assert len(coach.history(first.state["session_id"])) == 4


def test_empty_message_changes_nothing(coach: Any) -> None:
    views = list(h.ask(coach, "   ", h.new_chat_state()))
    assert len(views) == 1 and views[0].messages == []


def test_unknown_session_starts_a_new_one(coach: Any) -> None:
    state = h.new_chat_state() | {"session_id": "gone-session-0000"}
    final = list(h.ask(coach, QUESTION, state))[-1]
    assert final.state["session_id"] not in {None, "gone-session-0000"}
    assert "[1]" in final.messages[-1]["content"]


def test_bad_input_is_a_friendly_message(coach: Any) -> None:
    final = list(h.ask(coach, "x" * 5000, h.new_chat_state()))[-1]
    assert "limit" in final.messages[-1]["content"]


def test_rate_limit_in_the_ui(coach: Any) -> None:
    limiter = RateLimiter("1/minute")
    list(h.ask(coach, QUESTION, h.new_chat_state(), "10.1.1.1", limiter))
    final = list(h.ask(coach, QUESTION, h.new_chat_state(), "10.1.1.1", limiter))[-1]
    assert "wait" in final.messages[-1]["content"]


def test_states_are_per_user(coach: Any) -> None:
    alice = list(h.ask(coach, QUESTION, h.new_chat_state()))[-1]
    bob = list(h.ask(coach, "What does a medical director earn?", h.new_chat_state()))[-1]
    assert alice.state["session_id"] != bob.state["session_id"]
    assert alice.messages[0]["content"] == QUESTION
    assert bob.messages[0]["content"] != QUESTION
    assert h.new_chat_state() == {"session_id": None, "messages": []}


def test_feedback_is_stored(coach: Any) -> None:
    final = list(h.ask(coach, QUESTION, h.new_chat_state()))[-1]
    before = coach.sessions.feedback_count()
    assert h.feedback(coach, final.state, 1, True) == "Thanks for the feedback."
    assert h.feedback(coach, final.state, [1], "Dislike") == "Thanks for the feedback."
    assert coach.sessions.feedback_count() == before + 1  # one vote per answer: the last counts
    assert "could not" in h.feedback(coach, final.state, 9, True)
    assert "could not" in h.feedback(coach, h.new_chat_state(), 0, True)


def test_clear_forgets_the_conversation(coach: Any) -> None:
    final = list(h.ask(coach, QUESTION, h.new_chat_state()))[-1]
    sid = final.state["session_id"]
    cleared = h.clear(coach, final.state)
    assert cleared.messages == [] and cleared.state == h.new_chat_state()
    assert cleared.sources == h.SOURCES_EMPTY
    assert coach.sessions.turns(sid) == [] and not coach.sessions.has_session(sid)


def test_sources_html_escapes_server_text() -> None:
    html = h.sources_html(
        [{"n": 1, "title": "<script>x()</script>", "section": "A & B", "text": "<b>t</b>"}]
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "A &amp; B" in html and "&lt;b&gt;" in html
    assert h.sources_html([]) == h.SOURCES_EMPTY


def test_interview_to_scorecard(coach: Any) -> None:
    service = coach.interview
    view = h.start_interview(service, 2.0, ["quality"], "hospital")
    assert not view.notes
    assert view.state["interview_id"] and view.state["total"] == 2
    assert "Question 1 of 2" in view.messages[-1]["content"]
    assert "Quality" in view.messages[-1]["content"]
    view = h.answer_interview(service, ANSWER, view.state)
    assert view.textbox == ""
    assert view.messages[-3]["role"] == "user"
    feedback = view.messages[-2]["content"]
    assert feedback.startswith("**Overall ") and feedback.count("/5 · Relevance") == 1
    assert "Insights:" in feedback and "spoken" in feedback
    assert "Question 2 of 2" in view.messages[-1]["content"]
    assert "[1]" in view.sources
    assert view.scorecard is None
    view = h.answer_interview(service, ANSWER, view.state)
    assert view.state["done"] is True and view.finished
    assert "Interview complete" in view.messages[-1]["content"]
    assert view.scorecard and 'class="dc-sc"' in view.scorecard and "<html" not in view.scorecard
    assert 'class="reflow"' in view.scorecard  # the per-answer table reflows on a phone
    assert view.download and 'download="director-coach-scorecard.md"' in view.download
    encoded = view.download.split("base64,", 1)[1].split('"', 1)[0]
    markdown = base64.b64decode(encoded).decode()
    assert markdown == service.scorecard(view.state["interview_id"])["markdown"]
    assert "/scorecard.html" in view.download
    again = h.answer_interview(service, ANSWER, view.state)
    assert again.notes and "finished" in again.notes[0]


def test_interview_bad_options_and_answers(coach: Any) -> None:
    service = coach.interview
    assert h.start_interview(service, 0, None, None).notes
    assert "Unknown" in h.start_interview(service, 3, ["astrology"], None).notes[0]
    assert h.answer_interview(service, ANSWER, h.new_interview_state()).notes
    view = h.start_interview(service, 1, None, "")
    empty = h.answer_interview(service, "   ", view.state)
    assert empty.notes and empty.textbox == "   "
    assert empty.state["interview_id"] == view.state["interview_id"]


def test_interview_rate_limit(coach: Any) -> None:
    limiter = RateLimiter("1/minute")
    assert not h.start_interview(coach.interview, 1, None, None, None, "10.2.2.2", limiter).notes
    limited = h.start_interview(coach.interview, 1, None, None, None, "10.2.2.2", limiter)
    assert "wait" in limited.notes[0]


class _Broken:
    def stream(self, message: str, session_id: object = None) -> Any:
        raise RuntimeError("secret internals")

    def start(self, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")


def test_unexpected_errors_become_an_apology() -> None:
    final = list(h.ask(_Broken(), QUESTION, h.new_chat_state()))[-1]  # type: ignore[arg-type]
    assert final.messages[-1]["content"] == h.SORRY
    view = h.start_interview(_Broken(), 3, None, None)  # type: ignore[arg-type]
    assert view.notes == [h.SORRY]


def test_interview_next_steps_retry_follow_up_restart_and_drill(coach: Any) -> None:
    service = coach.interview
    view = h.start_interview(service, 1, ["finance"], None)
    practice_id = view.practice_id
    assert practice_id
    done = h.answer_interview(service, ANSWER, view.state, practice_id=practice_id)
    assert done.finished and done.progress is not None
    chart, summary = done.progress
    assert len(chart) >= 2 and set(chart["series"]) >= {"Overall", "Financial acumen"}
    assert "Weakest area: **Financial acumen**" in summary
    retried = h.retry_interview(service, done.state)
    assert "try again" in retried.messages[-1]["content"] and not retried.state["done"]
    after = h.answer_interview(service, ANSWER + " In 2023 I led it.", retried.state)
    table = after.messages[-2]["content"]
    assert "| | Before | After | Change |" in table and "**Overall**" in table
    follow = h.follow_up_interview(service, after.state, practice_id=practice_id)
    assert not [n for n in follow.notes if "first" in n.lower()]
    assert "A follow-up to:" in follow.messages[-1]["content"]
    assert follow.previous and "Previous interview scorecard" in follow.previous  # kept
    same = h.restart_interview(service, after.state, practice_id=practice_id)
    assert "Question 1 of 1" in same.messages[-1]["content"]
    drill = h.drill_weakest(service, same.state, practice_id=practice_id)
    assert drill.notes[0] == "Drilling your weakest area: Financial acumen."
    assert drill.state["options"]["focus"] == ["finance"]


def test_paste_prepare_and_practise_a_question(coach: Any) -> None:
    service = coach.interview
    text = "How would you reduce unnecessary imaging orders across our clinics?"
    prepared = h.prepare_question(service, text, h.new_interview_state())
    assert "Pitfalls:" in prepared.messages[-1]["content"] and "[1]" in prepared.sources
    started = h.practise_question(service, text, prepared.state)
    assert text in started.messages[-1]["content"] and started.practice_id
    bad = h.prepare_question(service, "What is your favourite pizza?", started.state)
    assert bad.notes and "interview question" in bad.notes[0]
    assert h.drill_weakest(service, None, practice_id=None).notes


def test_progress_view_without_interviews(coach: Any) -> None:
    chart, summary = h.progress_view(coach.interview, None)
    assert chart is None and "after your first interview" in summary
