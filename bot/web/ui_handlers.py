"""Gradio UI handlers as plain functions: per-user state in, chat messages and HTML out.

Nothing here imports Gradio, so every handler is tested directly. State lives in the dicts the
layout keeps in `gr.State` (one per browser tab); nothing per-user is held at module level.
"""

from __future__ import annotations

import base64
import contextlib
import html
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.errors import BotError
from bot.markup import escape_markdown
from bot.schemas import Answer
from bot.web.security import RateLimiter

if TYPE_CHECKING:
    from bot.coach import Coach
    from bot.interview.service import InterviewService

log = logging.getLogger("bot.web.ui")

Message = dict[str, Any]
SOURCES_EMPTY = '<p class="dc-muted">Sources for the latest answer appear here.</p>'
SORRY = "Something went wrong on our side. Please try again."
_WAITING = '<p class="dc-muted" role="status">Finding the sources…</p>'
EXAMPLES = (
    "What does a medical director do day to day?",
    "Which skills should I build before applying for a medical director role?",
    "How do I prepare for a medical director interview?",
    "Should I get an MBA or MHA to move into leadership?",
)


def new_chat_state() -> dict[str, Any]:
    """Return the empty per-user state of the Ask tab."""
    return {"session_id": None, "messages": []}


@dataclass
class ChatView:
    """What the Ask tab shows after an event."""

    textbox: str
    messages: list[Message]
    state: dict[str, Any]
    sources: str = SOURCES_EMPTY


def sources_html(citations: list[dict[str, Any]], heading: str = "Sources") -> str:
    """Render numbered citations as expandable passages (all server text escaped)."""
    if not citations:
        return SOURCES_EMPTY
    items = "".join(_source_item(c) for c in citations)
    label = html.escape(heading)
    return (
        f'<section class="dc-sources" aria-label="{label}">'
        f"<h2>{label}</h2><ol>{items}</ol></section>"
    )


def _source_item(citation: dict[str, Any]) -> str:
    n = html.escape(str(citation.get("n", "")))
    title = html.escape(str(citation.get("title", "")))
    section = html.escape(str(citation.get("section", "")))
    text = html.escape(str(citation.get("text", "")))
    source = html.escape(str(citation.get("source", "")))
    return (
        f'<li value="{n}"><details><summary><span class="dc-n">[{n}]</span> '
        f'<span class="dc-section">{section}</span><span class="dc-title">{title}</span>'
        f'</summary><blockquote>{text}</blockquote><p class="dc-file">{source}</p></details></li>'
    )


def _limited(limiter: RateLimiter | None, client: str) -> str | None:
    wait = limiter.hit(client) if limiter is not None else None  # the API's bucket too
    if wait is None:
        return None
    return f"You are sending messages quickly. Please wait {wait} seconds and try again."


def ask(
    coach: Coach,
    message: str,
    state: dict[str, Any],
    client: str = "",
    limiter: RateLimiter | None = None,
) -> Iterator[ChatView]:
    """Stream an answer to `message` into the chat; finish with its sources."""
    state = dict(state or new_chat_state())
    messages = list(state.get("messages", []))
    text = (message or "").strip()
    if not text:
        yield ChatView(message or "", messages, state | {"messages": messages})
        return
    shown = escape_markdown(text)  # what the user typed is shown as typed, never rendered
    messages += [{"role": "user", "content": shown}, {"role": "assistant", "content": ""}]
    notice = _limited(limiter, client)
    if notice is not None:
        messages[-1]["content"] = notice
        yield ChatView("", messages, state | {"messages": messages})
        return
    yield from _stream_answer(coach, text, state, messages)


def _stream_answer(
    coach: Coach, text: str, state: dict[str, Any], messages: list[Message]
) -> Iterator[ChatView]:
    reply = messages[-1]
    for attempt in range(2):
        try:
            for event in coach.stream(text, state.get("session_id")):
                if isinstance(event, Answer):
                    reply["content"] = event.answer
                    state = state | {"session_id": event.session_id, "messages": messages}
                    cites = [vars(c) for c in event.citations]
                    yield ChatView("", _snapshot(messages), state, sources_html(cites))
                    return
                reply["content"] += event
                yield ChatView("", _snapshot(messages), state | {"messages": messages}, _WAITING)
            return
        except BotError as exc:
            if exc.code == "unknown_session" and attempt == 0:
                state = state | {"session_id": None}
                continue
            reply["content"] = exc.message
        except Exception as exc:  # the user sees a short apology, never a trace
            log.error("ui answer failed: %s", type(exc).__name__)
            reply["content"] = SORRY
        yield ChatView("", _snapshot(messages), state | {"messages": messages})
        return


def _snapshot(messages: list[Message]) -> list[Message]:
    """Copy the list and its last message so streamed updates are new objects (Gradio diffs)."""
    return [*messages[:-1], dict(messages[-1])] if messages else []


def feedback(coach: Coach, state: dict[str, Any], index: object, liked: object) -> str:
    """Store a thumbs up or down on the assistant message at `index`; return a short notice."""
    messages = (state or {}).get("messages", [])
    position = index[0] if isinstance(index, list | tuple) else index
    sid = (state or {}).get("session_id")
    if not isinstance(position, int) or not 0 <= position < len(messages) or not sid:
        return "Feedback could not be saved for this message."
    answer = messages[position]
    question = next(
        (m["content"] for m in reversed(messages[:position]) if m.get("role") == "user"), ""
    )
    rating = 1 if liked is True or liked == "Like" else -1
    try:
        coach.feedback(sid, rating, str(question), str(answer.get("content", "")))
    except BotError:  # not a stored answer of this session (a notice, a deleted conversation)
        return "Feedback could not be saved for this message."
    return "Thanks for the feedback."


def clear(coach: Coach, state: dict[str, Any]) -> ChatView:
    """Delete the conversation on the server (as DELETE /api/session/{id}) and start a new one."""
    sid = (state or {}).get("session_id")
    if sid:
        with contextlib.suppress(BotError):  # already gone (retention, another tab)
            coach.delete_session(sid)
    return ChatView("", [], new_chat_state())


@dataclass
class InterviewView:
    """What the Mock interview tab shows after an event."""

    textbox: str
    messages: list[Message]
    state: dict[str, Any]
    sources: str = SOURCES_EMPTY
    scorecard: str | None = None  # the scorecard as responsive HTML (None: no scorecard yet)
    download: str | None = None  # Markdown download and printable-view links
    notes: list[str] = field(default_factory=list)
    practice_id: str | None = None  # kept in the browser's local storage
    finished: bool = False  # the interview just ended: offer the next steps
    previous: str = ""  # the scorecard of the interview a new start set aside
    progress: tuple[Any, str] | None = None  # (chart data, summary) when it changed


def new_interview_state() -> dict[str, Any]:
    """Return the empty per-user state of the Mock interview tab."""
    return {"interview_id": None, "messages": [], "done": False}


def _names(service: InterviewService) -> dict[str, str]:
    return {c["id"]: c["name"] for c in service.competencies()}


def question_message(question: dict[str, Any], total: int, names: dict[str, str]) -> Message:
    """Format an interview question as an assistant chat message."""
    competency = names.get(question.get("competency", ""), question.get("competency", ""))
    number = question.get("number", "")
    again = " · try again" if question.get("retry") else ""
    heading = f"**Question {number} of {total} · {competency}{again}**"
    text = escape_markdown(str(question.get("text", "")))  # a pasted question is user text
    return {"role": "assistant", "content": f"{heading}\n\n{text}"}


_INTRO = (
    "Let's begin. Answer each question as you would in the interview room: "
    "a situation, what you did, who you brought in, and the measured result."
)


def start_interview(
    service: InterviewService,
    questions: object,
    focus: list[str] | None,
    setting: str | None,
    state: dict[str, Any] | None = None,
    client: str = "",
    limiter: RateLimiter | None = None,
    practice_id: str | None = None,
    question_text: str | None = None,
) -> InterviewView:
    """Plan a new interview (or one pasted question) and show its first question.

    A finished (or unfinished) interview on screen is not discarded: its scorecard moves to
    `previous`, and its scores stay in the progress chart.
    """
    state = dict(state or new_interview_state())
    count, chosen, where = _as_int(questions), list(focus or []) or None, setting or None
    options = {"questions": count, "focus": chosen, "setting": where}
    pid = practice_id or None
    started = _attempt(
        limiter,
        client,
        lambda: (
            service.start(question_text=question_text, practice_id=pid)
            if question_text is not None
            else service.start(questions=count, focus=chosen, setting=where, practice_id=pid)
        ),
    )
    if isinstance(started, str):
        return InterviewView("", state.get("messages", []), state, notes=[started])
    first = question_message(started["question"], started["total"], _names(service))
    fresh = {
        "interview_id": started["interview_id"],
        "total": started["total"],
        "messages": [{"role": "assistant", "content": _INTRO}, first],
        "done": False,
        "options": options if question_text is None else state.get("options"),
        "question_text": question_text,
    }
    view = InterviewView("", fresh["messages"], fresh, practice_id=started["practice_id"])
    if state.get("interview_id"):
        view.previous = previous_card(service, state)
        kept = "finished" if state.get("done") else "unfinished"
        view.notes = [f"Your {kept} interview is kept below; its scores stay in your progress."]
    return view


def previous_card(service: InterviewService, state: dict[str, Any]) -> str:
    """Return the set-aside interview's scorecard, collapsed, with its links."""
    try:
        card, links = scorecard_parts(service, str(state["interview_id"]))
    except BotError:
        return ""
    return (
        '<details class="dc-previous"><summary>Previous interview scorecard</summary>'
        f"{links}{card}</details>"
    )


def practise_question(
    service: InterviewService,
    text: str,
    state: dict[str, Any] | None,
    client: str = "",
    limiter: RateLimiter | None = None,
    practice_id: str | None = None,
) -> InterviewView:
    """Start a one-question interview on a pasted question."""
    return start_interview(
        service, 1, None, None, state, client, limiter, practice_id, question_text=text or ""
    )


def prepare_question(
    service: InterviewService,
    text: str,
    state: dict[str, Any] | None,
    client: str = "",
    limiter: RateLimiter | None = None,
) -> InterviewView:
    """Show cited preparation for a pasted question in the interview chat."""
    state = dict(state or new_interview_state())
    messages = list(state.get("messages", []))
    prepared = _attempt(limiter, client, lambda: service.prepare(text or ""))
    if isinstance(prepared, str):
        return InterviewView("", messages, state, notes=[prepared])
    messages += [
        {"role": "user", "content": escape_markdown((text or "").strip())},
        {"role": "assistant", "content": prepared["text"]},
    ]
    state = state | {"messages": messages}
    return InterviewView("", messages, state, sources_html(prepared["citations"]))


def _attempt(
    limiter: RateLimiter | None, client: str, work: Callable[[], dict[str, Any]]
) -> dict[str, Any] | str:
    """Run an interview call under the rate limit; return its result, or the note to show."""
    notice = _limited(limiter, client)
    if notice is not None:
        return notice
    try:
        return work()
    except Exception as exc:  # BotError says what to fix; others: an apology
        return _problem(exc)


def _problem(exc: Exception) -> str:
    if isinstance(exc, BotError):
        return exc.message
    log.error("ui interview failed: %s", type(exc).__name__)
    return SORRY


def _as_int(value: object) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) else 0


_COMPLETE = (
    "**Interview complete.** Your scorecard is below, with a printable version. Next, you can "
    "try the last question again, answer the follow-up, start again with the same settings, "
    "or drill your weakest area."
)


def answer_interview(
    service: InterviewService,
    answer: str,
    state: dict[str, Any] | None,
    client: str = "",
    limiter: RateLimiter | None = None,
    practice_id: str | None = None,
) -> InterviewView:
    """Score an answer; show feedback with sources, the next question or the scorecard."""
    state = dict(state or new_interview_state())
    messages = list(state.get("messages", []))
    if not state.get("interview_id") or state.get("done"):
        note = "Start a new interview first." if not state.get("done") else _FINISHED
        return InterviewView(answer or "", messages, state, notes=[note])
    interview_id, text = state["interview_id"], answer or ""
    result = _attempt(limiter, client, lambda: service.answer(interview_id, text))
    if isinstance(result, str):
        return InterviewView(answer or "", messages, state, notes=[result])
    messages += [
        {"role": "user", "content": escape_markdown(answer.strip())},
        {"role": "assistant", "content": feedback_markdown(result)},
    ]
    if result.get("next_question"):
        names = _names(service)
        messages.append(question_message(result["next_question"], result["total"], names))
    done = bool(result.get("done"))
    if done:
        messages.append({"role": "assistant", "content": _COMPLETE})
    asked = service.state(state["interview_id"])["answers"][-1]["question_text"]
    state = state | {
        "messages": messages,
        "done": done,
        "total": result.get("total", state.get("total")),
        "follow_up": result.get("follow_up"),
        "asked": asked,
    }
    view = InterviewView("", messages, state, sources_html(result.get("citations", [])))
    view.practice_id = practice_id
    if done:
        view.scorecard, view.download = scorecard_parts(service, state["interview_id"])
        view.finished = True
        view.progress = progress_view(service, practice_id)
    return view


def retry_interview(
    service: InterviewService,
    state: dict[str, Any] | None,
    client: str = "",
    limiter: RateLimiter | None = None,
) -> InterviewView:
    """Ask the last answered question again; the next answer shows before and after."""
    state = dict(state or new_interview_state())
    messages = list(state.get("messages", []))
    if not state.get("interview_id"):
        return InterviewView("", messages, state, notes=["Start an interview first."])
    interview_id = state["interview_id"]
    again = _attempt(limiter, client, lambda: service.retry(interview_id))
    if isinstance(again, str):
        return InterviewView("", messages, state, notes=[again])
    previous = again["previous"]["overall"]
    messages += [
        {"role": "assistant", "content": f"Try it again: your last answer scored {previous}/5."},
        question_message(again["question"], again["total"], _names(service)),
    ]
    state = state | {"messages": messages, "done": False, "total": again["total"]}
    return InterviewView("", messages, state)


def follow_up_interview(
    service: InterviewService,
    state: dict[str, Any] | None,
    client: str = "",
    limiter: RateLimiter | None = None,
    practice_id: str | None = None,
) -> InterviewView:
    """Practise the last follow-up question as a one-question interview."""
    state = dict(state or new_interview_state())
    follow_up, asked = state.get("follow_up"), state.get("asked")
    if not follow_up or not asked:
        return InterviewView(
            "", state.get("messages", []), state, notes=["Answer a question first."]
        )
    text = f"{follow_up} (A follow-up to: {asked})"
    return start_interview(
        service, 1, None, None, state, client, limiter, practice_id, question_text=text
    )


def restart_interview(
    service: InterviewService,
    state: dict[str, Any] | None,
    client: str = "",
    limiter: RateLimiter | None = None,
    practice_id: str | None = None,
) -> InterviewView:
    """Start again with the same settings (or the same pasted question)."""
    state = dict(state or new_interview_state())
    if state.get("question_text"):
        return practise_question(
            service, state["question_text"], state, client, limiter, practice_id
        )
    options = state.get("options") or {"questions": 5, "focus": None, "setting": None}
    return start_interview(
        service,
        options["questions"],
        options["focus"],
        options["setting"],
        state,
        client,
        limiter,
        practice_id,
    )


def drill_weakest(
    service: InterviewService,
    state: dict[str, Any] | None,
    client: str = "",
    limiter: RateLimiter | None = None,
    practice_id: str | None = None,
    questions: int = 3,
) -> InterviewView:
    """Start a focused interview on the weakest competency of this browser's progress."""
    state = dict(state or new_interview_state())
    weakest = None
    if practice_id:
        try:
            weakest = service.progress(practice_id)["weakest"]
        except BotError:
            weakest = None
    if weakest is None:
        note = "Finish an interview first; then you can drill your weakest area."
        return InterviewView("", state.get("messages", []), state, notes=[note])
    view = start_interview(
        service, questions, [weakest["id"]], None, state, client, limiter, practice_id
    )
    if not view.notes or view.previous:
        view.notes = [f"Drilling your weakest area: {weakest['name']}.", *view.notes]
    return view


def progress_view(service: InterviewService, practice_id: str | None) -> tuple[Any, str]:
    """Return the progress chart's data (one row per score, or None) and a summary line.

    None, not an empty table, when there is nothing yet: a chart first drawn from an empty
    table keeps drawing no lines in Gradio 6.
    """
    import pandas as pd

    if not practice_id:
        return None, _NO_PROGRESS
    try:
        report = service.progress(practice_id)
    except BotError:
        return None, _NO_PROGRESS
    rows = [(i["date"], i["overall"], "Overall") for i in report["interviews"]]
    for competency in report["by_competency"].values():
        rows += [(p["date"], p["score"], competency["name"]) for p in competency["trend"]]
    if not rows:
        return None, _NO_PROGRESS
    frame = pd.DataFrame(rows, columns=["date", "score", "series"])
    frame["date"] = pd.to_datetime(frame["date"]).dt.tz_localize(None)  # UTC, shown as such
    weakest = report["weakest"]
    count = len(report["interviews"])
    summary = (
        f"**{count} interview{'s' if count != 1 else ''}** on this device, overall "
        f"{report['overall']:.1f}/5. Weakest area: **{weakest['name']}** "
        f"({weakest['average']:.1f}/5)."
    )
    return frame, summary


_NO_PROGRESS = "Your scores over time appear here after your first interview on this device."
_FINISHED = "This interview has finished. Start a new one to practise again."


def feedback_markdown(result: dict[str, Any]) -> str:
    """Format the one score line, before/after (after a retry), feedback and insights."""
    parts = [f"**{result.get('score_line', '')}**"]
    if result.get("previous"):
        parts.append(before_after_markdown(result))
    parts.append(str(result.get("feedback", "")))
    facts = result.get("insights")
    if facts:
        parts.append(insights_markdown(facts))
    return "\n\n".join(parts)


def before_after_markdown(result: dict[str, Any]) -> str:
    """Return the retry's before/after table, and the key points now covered."""
    previous, delta = result["previous"], result["delta"]
    rows = ["| | Before | After | Change |", "| --- | ---: | ---: | ---: |"]
    for name, after in result["scores"].items():
        rows.append(
            f"| {name.capitalize()} | {previous['scores'][name]} | {after} | {delta[name]:+d} |"
        )
    rows.append(
        f"| **Overall** | **{previous['overall']:.1f}** | **{result['overall']:.1f}** | "
        f"**{delta['overall']:+.1f}** |"
    )
    table = "\n".join(rows)
    gained = result.get("now_covered") or []
    if gained:
        table += "\n\nNow covered: " + "; ".join(gained) + "."
    return table


def insights_markdown(facts: dict[str, Any]) -> str:
    """Return the insights line: length, speaking time, guide terms, repeated words."""
    parts = [f"{facts['words']} words, about {facts['speaking_time']} spoken"]
    if facts.get("guide_terms_used"):
        parts.append("guide terms used: " + ", ".join(facts["guide_terms_used"][:5]))
    if facts.get("guide_terms_missed"):
        parts.append("not used: " + ", ".join(facts["guide_terms_missed"][:5]))
    if facts.get("repeated_words"):
        repeats = ", ".join(f"{r['word']} ×{r['count']}" for r in facts["repeated_words"][:3])
        parts.append("repeated: " + repeats)
    return "*Insights:* " + " · ".join(parts)


def scorecard_parts(service: InterviewService, interview_id: str) -> tuple[str, str]:
    """Return the scorecard as responsive HTML and its links (Markdown download, printable)."""
    card = service.scorecard(interview_id)
    page = service.scorecard_html(interview_id, GUIDES_URL, fragment=True)
    printable = (
        f'<a class="dc-download" href="/api/interview/{html.escape(interview_id)}/scorecard.html" '
        'target="_blank" rel="noopener">Printable scorecard (save as PDF)</a>'
    )
    links = f'<p class="dc-links">{download_link(str(card["markdown"]))} {printable}</p>'
    return page, links


GUIDES_URL = "/guides"


def download_link(markdown: str, filename: str = "director-coach-scorecard.md") -> str:
    """Return an HTML link that downloads `markdown` as a file."""
    data = base64.b64encode(markdown.encode("utf-8")).decode("ascii")
    return (
        f'<a class="dc-download" download="{html.escape(filename)}" '
        f'href="data:text/markdown;charset=utf-8;base64,{data}">Download scorecard (Markdown)</a>'
    )
