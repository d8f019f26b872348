"""Gradio web app: the Ask and Mock interview tabs, a thin layout over `bot.web.ui_handlers`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
from fastapi import FastAPI
from gradio.components.textbox import InputHTMLAttributes

from bot.web import ui_handlers as h
from bot.web.security import RateLimiter, client_key

if TYPE_CHECKING:
    from bot.coach import Coach
    from bot.config import Settings

NOTICE = (
    '<details class="dc-notice" open><summary><strong>Career coaching, not medical advice.'
    "</strong> No patient information, please.</summary><p>Answers come from curated guides on "
    "becoming a medical director, each with numbered sources. Do not enter patient information "
    "or other personal health details.</p></details>"
)
UI_SCRIPT = Path(__file__).resolve().parent / "static" / "ui.js"
SETTINGS_CHOICES = [
    ("Any setting", ""),
    ("Hospital", "hospital"),
    ("Outpatient", "outpatient"),
    ("Post-acute care", "post_acute"),
    ("Behavioral health", "behavioral_health"),
]
FONTS = [
    "system-ui",
    "-apple-system",
    "Segoe UI",
    "Roboto",
    "Helvetica Neue",
    "Arial",
    "sans-serif",
]
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
CSS = """
.gradio-container { max-width: 1180px !important; margin: 0 auto !important; }
#dc-header h1, #dc-header p { display: inline; margin: 0 .75rem 0 0; }
#dc-header h1 { font-size: 1.35rem; }
#dc-header p { color: var(--body-text-color-subdued); font-size: .92rem; }
.dc-notice { border-left: 4px solid #b45309; background: #fffbeb; color: #451a03;
  padding: .35rem .75rem; border-radius: 6px; font-size: .92rem; }
.dark .dc-notice { background: #3a2a0b; color: #fde68a; border-left-color: #f59e0b; }
.dc-notice summary { cursor: pointer; min-height: 24px; }
.dc-notice p { margin: .25rem 0 0; color: inherit !important; }
.dc-sources h2 { margin: 0 0 .5rem; font-size: 1rem; }
.dc-sources ol { margin: 0; padding-left: 0; list-style: none; }
.dc-sources li { margin: 0 0 .5rem; border: 1px solid var(--border-color-primary);
  border-radius: 8px; padding: .5rem .65rem; background: var(--background-fill-secondary);
  scroll-margin: 1rem; }
.dc-sources li.dc-hl { border-color: #b45309; box-shadow: 0 0 0 2px #f59e0b; }
.dc-sources .dc-title { display: block; font-weight: 400; font-size: .85rem;
  color: var(--body-text-color-subdued); }
.dc-sources .dc-section { font-weight: 600; }
.dc-sources summary { cursor: pointer; line-height: 1.4; min-height: 24px; }
.dc-sources summary:focus-visible, .dc-cite:focus-visible, .dc-notice summary:focus-visible {
  outline: 3px solid var(--color-accent); outline-offset: 2px; }
.dc-sources blockquote { margin: .5rem 0 .25rem; padding-left: .65rem;
  border-left: 3px solid var(--border-color-accent); font-size: .92rem; }
.dc-cite { all: unset; cursor: pointer; font-weight: 700; color: #1d4ed8;
  text-decoration: underline; padding: 0 1px; }
.dark .dc-cite { color: #93c5fd; }
.dc-n { font-weight: 700; }
.dc-file, .dc-muted { color: var(--body-text-color-subdued); font-size: .85rem; margin: 0; }
.dc-download { display: inline-block; padding: .5rem .9rem; border-radius: 8px; font-weight: 600;
  background: var(--button-primary-background-fill);
  color: var(--button-primary-text-color) !important;
  text-decoration: none; }
.dc-download:focus-visible { outline: 3px solid var(--color-accent); outline-offset: 2px; }
.dc-status p { margin: 0; font-weight: 600; }
.dc-card { border-top: 2px solid var(--border-color-primary); padding-top: 1rem; }
.dc-card table { font-size: .9rem; }
.dc-chat { height: max(300px, calc(100dvh - 390px)) !important; }
.dc-chat .md.chatbot { opacity: 1 !important; }
@media (max-width: 640px) {
  .gradio-container { padding: 0 .5rem !important; }
  #dc-header h1 { font-size: 1.2rem; }
  #dc-header p { display: none; }
  .dc-chat { height: 52dvh !important; }
  /* Sources right under the conversation they belong to, before the message box. */
  .row:has(> .column > .dc-chat) { flex-direction: column; }
  .row:has(> .column > .dc-chat) > .column:has(> .dc-chat) { display: contents; }
  .row:has(> .column > .dc-chat) > * { width: 100%; }
  .row:has(> .column > .dc-chat) .dc-chat ~ * { order: 2; }
  .row:has(> .column > .dc-chat) > .column:not(:has(> .dc-chat)) { order: 1; }
  .row:has(> .column > .dc-chat) > .column:not(:has(> .dc-chat)):has(p.dc-muted) {
    display: none; }
}
"""


def theme() -> gr.themes.Base:
    """Return the app theme: system fonts (no font downloads), high-contrast primary buttons."""
    return gr.themes.Default(
        primary_hue="blue", neutral_hue="slate", font=FONTS, font_mono=MONO
    ).set(
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_text_color="white",
        button_primary_background_fill_dark="*primary_600",
        button_primary_background_fill_hover_dark="*primary_700",
        body_text_color_subdued="*neutral_600",
        body_text_color_subdued_dark="*neutral_300",
        block_label_text_color="*neutral_600",
        block_label_text_color_dark="*neutral_300",
        color_accent="*primary_600",
    )


def _client(request: gr.Request | None, trust_forwarded_for: bool) -> str:
    inner = getattr(request, "request", None)
    scope = getattr(inner, "scope", None)
    return client_key(scope, trust_forwarded_for) if scope else "unknown"


def _no_history() -> dict[str, Any]:
    return {"api_visibility": "private"}


def build_blocks(
    coach: Coach, limiter: RateLimiter | None = None, trust_forwarded_for: bool = False
) -> gr.Blocks:
    """Create the Gradio Blocks: header, notice, Ask tab and Mock interview tab."""
    with gr.Blocks(title="Director Coach", analytics_enabled=False) as blocks:
        gr.HTML(
            "<h1>Director Coach</h1><p>Career coaching for physicians who want to become "
            "medical directors, every answer cited from the guides.</p>",
            elem_id="dc-header",
            padding=False,
        )
        gr.HTML(NOTICE, padding=False)
        with gr.Tabs():
            with gr.Tab("Ask"):
                _ask_tab(coach, limiter, trust_forwarded_for)
            with gr.Tab("Mock interview"):
                _interview_tab(coach, limiter, trust_forwarded_for)
    return blocks


def _ask_tab(coach: Coach, limiter: RateLimiter | None, trust: bool) -> None:
    state = gr.State(h.new_chat_state())
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            chat = gr.Chatbot(
                label="Conversation",
                height=480,
                elem_classes="dc-chat",
                examples=[{"text": q} for q in h.EXAMPLES],
                placeholder="Ask a career question, or pick an example to start.",
                buttons=["copy"],
                autoscroll=False,
            )
            with gr.Row(equal_height=True):
                message = gr.Textbox(
                    label="Message",
                    placeholder="Ask about becoming a medical director…",
                    max_length=coach.settings.max_message_chars,
                    scale=5,
                    min_width=200,
                    html_attributes=InputHTMLAttributes(autocomplete="off", enterkeyhint="send"),
                )
                send = gr.Button("Send", variant="primary", scale=1, min_width=80)
            clear = gr.Button("Clear conversation", variant="secondary", size="sm")
        with gr.Column(scale=2, min_width=260):
            sources = gr.HTML(h.SOURCES_EMPTY, elem_classes="dc-sources-panel")

    def on_ask(text: str, st: dict[str, Any], request: gr.Request) -> Iterator[tuple[Any, ...]]:
        for view in h.ask(coach, text, st, _client(request, trust), limiter):
            yield view.textbox, view.messages, view.state, view.sources

    def on_example(data: gr.SelectData) -> str:
        value = data.value
        return str(value.get("text", "")) if isinstance(value, dict) else str(value)

    def on_like(st: dict[str, Any], data: gr.LikeData) -> None:
        gr.Info(h.feedback(coach, st, data.index, data.liked))

    def on_clear(st: dict[str, Any]) -> tuple[Any, ...]:
        view = h.clear(coach, st)
        return view.textbox, view.messages, view.state, view.sources

    outputs = [message, chat, state, sources]
    message.submit(on_ask, [message, state], outputs, **_no_history())
    send.click(on_ask, [message, state], outputs, **_no_history())
    chat.example_select(on_example, None, message, **_no_history()).then(
        on_ask, [message, state], outputs, **_no_history()
    )
    chat.like(on_like, [state], None, **_no_history())
    clear.click(on_clear, [state], outputs, **_no_history())
    chat.clear(on_clear, [state], outputs, **_no_history())


def _chart(frame: Any) -> Any:
    """Return the progress plot's update: the data, shown only once there is some."""
    return gr.LinePlot(value=frame, visible=frame is not None)


PRACTICE_KEY = "director-coach-practice"  # localStorage key of the practice id (no personal data)
SHOW_SCORECARD = """() => {
  const card = document.getElementById("dc-scorecard");
  if (card && card.offsetParent !== null && card.querySelector(".dc-sc")) {
    card.scrollIntoView({block: "start"});
  }
}"""


def _interview_tab(coach: Coach, limiter: RateLimiter | None, trust: bool) -> None:
    service = coach.interview
    state = gr.State(h.new_interview_state())
    practice = gr.BrowserState(None, storage_key=PRACTICE_KEY)
    competencies = [(c["name"], c["id"]) for c in service.competencies()]
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            with gr.Row():
                count = gr.Slider(
                    1, 10, value=5, step=1, label="Number of questions", min_width=180
                )
                focus = gr.Dropdown(
                    competencies, multiselect=True, label="Focus (optional)", min_width=180
                )
                setting = gr.Dropdown(SETTINGS_CHOICES, value="", label="Setting", min_width=160)
            start = gr.Button("Start interview", variant="primary")
            with gr.Accordion("Practise your own question", open=False):
                pasted = gr.Textbox(
                    label="Interview question",
                    placeholder="Paste a question from a job posting, a recruiter or a friend…",
                    lines=2,
                    max_length=coach.settings.max_message_chars,
                )
                with gr.Row():
                    prepare = gr.Button("Prepare", variant="secondary")
                    practise = gr.Button("Practise this question", variant="primary")
            status = gr.Markdown("", elem_classes="dc-status")
            chat = gr.Chatbot(
                label="Interview",
                height=460,
                elem_classes="dc-chat",
                feedback_options=None,
                placeholder="Choose your options and start the interview.",
                buttons=["copy"],
                group_consecutive_messages=False,
                autoscroll=False,  # ui.js shows each new message from its first line
            )
            answer = gr.Textbox(label="Your answer", lines=4, max_lines=12)
            submit = gr.Button("Submit answer", variant="primary")
            with gr.Row(visible=False) as next_steps:
                retry = gr.Button("Try the last question again", variant="secondary")
                follow = gr.Button("Answer the follow-up", variant="secondary")
                again = gr.Button("Start again with the same settings", variant="secondary")
        with gr.Column(scale=2, min_width=260):
            sources = gr.HTML(h.SOURCES_EMPTY)
    with gr.Column(visible=False, elem_classes="dc-card", elem_id="dc-scorecard") as card:
        download = gr.HTML()
        scorecard = gr.HTML()
        previous = gr.HTML()
    with gr.Column(elem_classes="dc-progress"):
        gr.Markdown("## Your progress")
        plot = gr.LinePlot(
            x="date",
            y="score",
            color="series",
            y_lim=[1, 5],
            x_title="Interview date (UTC)",
            y_title="Score (1-5)",
            color_title="Scores",
            label="Scores over time",
            visible=False,  # shown with the first scores (Gradio's empty plot fails axe)
        )
        summary = gr.Markdown(h.progress_view(service, None)[1])
        drill = gr.Button("Drill my weakest area", variant="secondary")

    def show(view: h.InterviewView) -> tuple[Any, ...]:
        has_card = view.scorecard is not None
        progress = view.progress
        return (
            view.textbox,
            view.messages,
            view.state,
            view.sources,
            " ".join(view.notes),
            gr.Column(visible=has_card or bool(view.previous)),
            view.scorecard or "",
            view.download or "",
            gr.Row(visible=bool(view.state.get("done"))),
            view.previous,
            view.practice_id if view.practice_id else gr.skip(),
            _chart(progress[0]) if progress else gr.skip(),
            progress[1] if progress else gr.skip(),
        )

    def client_of(request: gr.Request) -> str:
        return _client(request, trust)

    def on_start(
        n: float,
        chosen: list[str],
        where: str,
        st: dict[str, Any],
        pid: str | None,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        view = h.start_interview(service, n, chosen, where, st, client_of(request), limiter, pid)
        return show(view)

    def on_prepare(text: str, st: dict[str, Any], request: gr.Request) -> tuple[Any, ...]:
        return show(h.prepare_question(service, text, st, client_of(request), limiter))

    def on_practise(
        text: str, st: dict[str, Any], pid: str | None, request: gr.Request
    ) -> tuple[Any, ...]:
        return show(h.practise_question(service, text, st, client_of(request), limiter, pid))

    def on_answer(
        text: str, st: dict[str, Any], pid: str | None, request: gr.Request
    ) -> tuple[Any, ...]:
        return show(h.answer_interview(service, text, st, client_of(request), limiter, pid))

    def on_retry(st: dict[str, Any], request: gr.Request) -> tuple[Any, ...]:
        return show(h.retry_interview(service, st, client_of(request), limiter))

    def on_follow(st: dict[str, Any], pid: str | None, request: gr.Request) -> tuple[Any, ...]:
        return show(h.follow_up_interview(service, st, client_of(request), limiter, pid))

    def on_again(st: dict[str, Any], pid: str | None, request: gr.Request) -> tuple[Any, ...]:
        return show(h.restart_interview(service, st, client_of(request), limiter, pid))

    def on_drill(st: dict[str, Any], pid: str | None, request: gr.Request) -> tuple[Any, ...]:
        return show(h.drill_weakest(service, st, client_of(request), limiter, pid))

    def on_reset() -> tuple[Any, ...]:
        return show(h.InterviewView("", [], h.new_interview_state()))

    def on_progress(pid: str | None) -> tuple[Any, str]:
        frame, text = h.progress_view(service, pid)
        return _chart(frame), text

    outputs = [
        answer,
        chat,
        state,
        sources,
        status,
        card,
        scorecard,
        download,
        next_steps,
        previous,
        practice,
        plot,
        summary,
    ]
    start.click(on_start, [count, focus, setting, state, practice], outputs, **_no_history())
    prepare.click(on_prepare, [pasted, state], outputs, **_no_history())
    practise.click(on_practise, [pasted, state, practice], outputs, **_no_history())
    submit.click(on_answer, [answer, state, practice], outputs, **_no_history()).then(
        None, js=SHOW_SCORECARD
    )
    retry.click(on_retry, [state], outputs, **_no_history())
    follow.click(on_follow, [state, practice], outputs, **_no_history())
    again.click(on_again, [state, practice], outputs, **_no_history())
    drill.click(on_drill, [state, practice], outputs, **_no_history())
    chat.clear(on_reset, None, outputs, **_no_history())
    gr.on(None, on_progress, [practice], [plot, summary], **_no_history())


def mount_ui(
    app: FastAPI, coach: Coach, limiter: RateLimiter | None = None, settings: Settings | None = None
) -> FastAPI:
    """Mount the hardened Gradio app at `/` after the API routes."""
    settings = settings or coach.settings
    blocks = build_blocks(coach, limiter, settings.trust_forwarded_for)
    blocks.queue(default_concurrency_limit=4, max_size=64, api_open=False)
    return gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        footer_links=[],
        run_history=False,
        allowed_paths=[],
        blocked_paths=[str(settings.data_dir.resolve())],
        show_error=False,
        max_file_size=settings.max_body_bytes,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        theme=theme(),
        css=CSS,
        head=f"<script>{UI_SCRIPT.read_text('utf-8')}</script>",
        app_kwargs={"docs_url": None, "redoc_url": None, "openapi_url": None},
    )
