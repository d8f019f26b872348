"""Gradio UI handlers as plain functions: per-user state in, chat messages and HTML out.

Nothing here imports Gradio, so every handler is tested directly. State lives in the dicts the
layout keeps in `gr.State` (one per browser tab); nothing per-user is held at module level.
"""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.errors import BotError
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


def new_interview_state() -> dict[str, Any]:
    """Return the empty per-user state of the Mock interview tab."""
    return {"interview_id": None, "messages": [], "done": False}


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
        f"<h3>{label}</h3><ol>{items}</ol></section>"
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
    wait = limiter.hit(client, "ui") if limiter is not None else None
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
    messages += [{"role": "user", "content": text}, {"role": "assistant", "content": ""}]
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
    coach.feedback(sid, rating, str(question), str(answer.get("content", "")))
    return "Thanks for the feedback."


def clear(coach: Coach, state: dict[str, Any]) -> ChatView:
    """Forget the conversation (server-side turns too) and start a new one."""
    sid = (state or {}).get("session_id")
    if sid:
        coach.sessions.clear(sid)
    return ChatView("", [], new_chat_state())


@dataclass
class InterviewView:
    """What the Mock interview tab shows after an event."""

    textbox: str
    messages: list[Message]
    state: dict[str, Any]
    sources: str = SOURCES_EMPTY
    scorecard: str | None = None
    download: str | None = None
    notes: list[str] = field(default_factory=list)


def _names(service: InterviewService) -> dict[str, str]:
    return {c["id"]: c["name"] for c in service.competencies()}


def question_message(question: dict[str, Any], total: int, names: dict[str, str]) -> Message:
    """Format an interview question as an assistant chat message."""
    competency = names.get(question.get("competency", ""), question.get("competency", ""))
    number = question.get("number", "")
    heading = f"**Question {number} of {total} · {competency}**"
    return {"role": "assistant", "content": f"{heading}\n\n{question.get('text', '')}"}


def start_interview(
    service: InterviewService,
    questions: object,
    focus: list[str] | None,
    setting: str | None,
    state: dict[str, Any] | None = None,
    client: str = "",
    limiter: RateLimiter | None = None,
) -> InterviewView:
    """Plan a new interview and show its first question."""
    state = dict(state or new_interview_state())
    notice = _limited(limiter, client)
    if notice is not None:
        return InterviewView("", state.get("messages", []), state, notes=[notice])
    try:
        started = service.start(
            questions=_as_int(questions), focus=list(focus or []) or None, setting=setting or None
        )
    except Exception as exc:  # BotError says what to fix; others: an apology
        return InterviewView("", state.get("messages", []), state, notes=[_problem(exc)])
    intro = {
        "role": "assistant",
        "content": "Let's begin. Answer each question as you would in the interview room: "
        "a situation, what you did, who you brought in, and the measured result.",
    }
    first = question_message(started["question"], started["total"], _names(service))
    state = {
        "interview_id": started["interview_id"],
        "total": started["total"],
        "messages": [intro, first],
        "done": False,
    }
    return InterviewView("", state["messages"], state)


def _problem(exc: Exception) -> str:
    if isinstance(exc, BotError):
        return exc.message
    log.error("ui interview failed: %s", type(exc).__name__)
    return SORRY


def _as_int(value: object) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) else 0


def answer_interview(
    service: InterviewService,
    answer: str,
    state: dict[str, Any] | None,
    client: str = "",
    limiter: RateLimiter | None = None,
) -> InterviewView:
    """Score an answer; show feedback with sources, the next question or the scorecard."""
    state = dict(state or new_interview_state())
    messages = list(state.get("messages", []))
    if not state.get("interview_id") or state.get("done"):
        note = "Start a new interview first." if not state.get("done") else _FINISHED
        return InterviewView(answer or "", messages, state, notes=[note])
    notice = _limited(limiter, client)
    if notice is not None:
        return InterviewView(answer or "", messages, state, notes=[notice])
    try:
        result = service.answer(state["interview_id"], answer or "")
    except Exception as exc:  # BotError says what to fix; others: an apology
        return InterviewView(answer or "", messages, state, notes=[_problem(exc)])
    messages += [
        {"role": "user", "content": answer.strip()},
        {"role": "assistant", "content": feedback_markdown(result)},
    ]
    if result.get("next_question"):
        names = _names(service)
        messages.append(question_message(result["next_question"], result["total"], names))
    state = state | {"messages": messages, "done": bool(result.get("done"))}
    view = InterviewView("", messages, state, sources_html(result.get("citations", [])))
    if view.state["done"]:
        view.scorecard, view.download = scorecard_parts(service, state["interview_id"])
    return view


_FINISHED = "This interview has finished. Start a new one to practise again."


def feedback_markdown(result: dict[str, Any]) -> str:
    """Format the scores and cited feedback on one answer as Markdown."""
    scores = " · ".join(
        f"{name.replace('_', ' ').capitalize()} {value}/5"
        for name, value in result.get("scores", {}).items()
    )
    overall = result.get("overall", "")
    return f"**Score {overall} / 5** — {scores}\n\n{result.get('feedback', '')}"


def scorecard_parts(service: InterviewService, interview_id: str) -> tuple[str, str]:
    """Return the scorecard Markdown and a download link for it (a data URL, no server file)."""
    markdown = str(service.scorecard(interview_id)["markdown"])
    return markdown, download_link(markdown)


def download_link(markdown: str, filename: str = "director-coach-scorecard.md") -> str:
    """Return an HTML link that downloads `markdown` as a file."""
    data = base64.b64encode(markdown.encode("utf-8")).decode("ascii")
    return (
        f'<a class="dc-download" download="{html.escape(filename)}" '
        f'href="data:text/markdown;charset=utf-8;base64,{data}">Download scorecard (Markdown)</a>'
    )
