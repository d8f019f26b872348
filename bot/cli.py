"""Command line: `python -m bot ingest|retrieve|ask|chat|interview|serve|eval|insights`."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.config import Settings
from bot.errors import BotError
from bot.schemas import Answer

app = typer.Typer(
    help="Director Coach: grounded career coaching for aspiring medical directors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _coach() -> Any:
    from bot.coach import Coach

    return Coach(Settings())


def _check(text: str) -> None:
    from bot.validate import clean_text

    clean_text(text, Settings().max_message_chars)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _fail(exc: BotError) -> None:
    typer.echo(f"error: {exc.message}", err=True)
    raise typer.Exit(2)


def format_answer(answer: Answer) -> str:
    """Return an answer with its numbered sources, for the terminal."""
    lines = [answer.answer]
    if answer.citations:
        lines += ["", "Sources:"]
        lines += [f"  [{c.n}] {c.title} — {c.section} ({c.source})" for c in answer.citations]
    return "\n".join(lines)


@app.command()
def ingest(as_json: JsonFlag = False) -> None:
    """Build or update the index from BOT_CORPUS_DIR."""
    from bot.ingest.embeddings import make_embeddings
    from bot.ingest.sync import format_flagged, ingest_healed
    from bot.sessions import make_session_store

    settings = Settings()
    sessions = make_session_store(settings)
    # A shared Chroma server is guarded by the shared store's lock; an embedded index by the data
    # dir's file lock inside ingest_healed (taking both here could deadlock with a starting server).
    shared = sessions.lock("ingest") if settings.chroma_host else contextlib.nullcontext()
    with shared:
        report = ingest_healed(settings, make_embeddings(settings))
        if report.added or report.updated or report.removed:
            sessions.bump_index_version()  # running servers reload retrieval
    if as_json:
        _print_json(report.public())
    else:
        r = report
        typer.echo(f"added {r.added}, updated {r.updated}, removed {r.removed}; {r.chunks} chunks")
        if r.flagged:
            typer.echo(format_flagged(r.flagged))


@app.command()
def retrieve(
    question: str,
    k: Annotated[int, typer.Option("-k", help="Passages.")] = 5,
    as_json: JsonFlag = False,
) -> None:
    """Print the passages retrieval returns for QUESTION."""
    try:
        _check(question)
        passages = _coach().retrieve(question, k)
    except BotError as exc:
        _fail(exc)
    if as_json:
        _print_json({"passages": [p.public() for p in passages]})
        return
    for i, p in enumerate(passages, 1):
        typer.echo(f"[{i}] {p.score:.3f} {p.title} — {p.section}\n    {p.text}\n")
    if not passages:
        typer.echo("No passage clears the relevance floor.")


@app.command()
def ask(question: str, as_json: JsonFlag = False) -> None:
    """Answer one QUESTION."""
    try:
        _check(question)
        answer = _coach().ask(question)
    except BotError as exc:
        _fail(exc)
    if as_json:
        _print_json(answer.public())
    else:
        typer.echo(format_answer(answer))


@app.command()
def chat() -> None:
    """Hold a conversation in the terminal (empty line or Ctrl-D to quit)."""
    coach = _coach()
    coach.warm_in_background()  # while the person types
    session_id = None
    typer.echo("Director Coach — ask about becoming a medical director. Empty line to quit.")
    while True:
        try:
            message = input("\nyou> ")
        except EOFError:
            break
        if not message.strip():
            break
        try:
            answer = coach.ask(message, session_id)
        except BotError as exc:
            typer.echo(f"error: {exc.message}")
            continue
        session_id = answer.session_id
        typer.echo("\ncoach> " + format_answer(answer))


@app.command()
def interview(
    answers: Annotated[
        Path | None, typer.Option("--answers", help="Answers, one per line.")
    ] = None,
    questions: Annotated[int, typer.Option("--questions", help="Number of questions (1-10).")] = 5,
    focus: Annotated[str, typer.Option("--focus", help="Comma-separated competencies.")] = "",
    setting: Annotated[str, typer.Option("--setting", help="hospital, outpatient, …")] = "",
    question: Annotated[
        str, typer.Option("--question", help="Practise this one pasted interview question.")
    ] = "",
    as_json: JsonFlag = False,
) -> None:
    """Run a mock medical-director interview."""
    from bot.interview.terminal import run_terminal

    if answers is not None and not answers.is_file():
        typer.echo(f"error: no answers file at {answers}", err=True)
        raise typer.Exit(2)
    focus_list = [f.strip() for f in focus.split(",") if f.strip()] or None
    try:
        code = run_terminal(
            _coach().interview,
            answers,
            as_json,
            questions,
            focus_list,
            setting or None,
            question_text=question or None,
        )
    except BotError as exc:
        _fail(exc)
    raise typer.Exit(code)


@app.command()
def prepare(question: str, as_json: JsonFlag = False) -> None:
    """Prepare a pasted interview question: cited key points, outline, pitfalls, follow-up."""
    _check(question)
    try:
        prepared = _coach().interview.prepare(question)
    except BotError as exc:
        _fail(exc)
    if as_json:
        _print_json({k: v for k, v in prepared.items() if k != "text"})
        return
    sources = [f'[{c["n"]}] {c["title"]}, section "{c["section"]}"' for c in prepared["citations"]]
    typer.echo(prepared["text"] + "\n\nSources:\n" + "\n".join(sources))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 7860,
    workers: Annotated[int, typer.Option(help="Processes (more than 1 needs BOT_REDIS_URL).")] = 1,
) -> None:
    """Serve the web app, API and widget (same as `python app.py`)."""
    from bot.web.server import serve as run_server

    run_server(host, port, workers=workers)


@app.command()
def insights(
    days: Annotated[int, typer.Option("--days", help="Report window in days.")] = 30,
    as_json: JsonFlag = False,
) -> None:
    """Report what members asked, what the guides miss, declines, votes and interview scores."""
    from bot.ingest.embeddings import make_embeddings
    from bot.insights import build_report, check_days, format_markdown
    from bot.interview.bank import load_bank
    from bot.sessions import make_session_store

    settings = Settings()
    names = {c.id: c.name for c in load_bank(settings.prompts_dir).competencies}
    try:
        window, store = check_days(days), make_session_store(settings)
        report = build_report(store, make_embeddings(settings), window, names)
    except BotError as exc:
        _fail(exc)
    if as_json:
        _print_json(report)
    else:
        typer.echo(format_markdown(report), nl=False)


@app.command(name="eval")
def evaluate(
    as_json: JsonFlag = False,
    split: Annotated[
        str, typer.Option("--split", help="all, or only the real-use dev or test split.")
    ] = "all",
    batch: Annotated[
        list[int] | None, typer.Option("--batch", help="With --split dev: only this batch.")
    ] = None,
) -> None:
    """Measure retrieval, guard and answer quality on the project's question sets."""
    from bot.evaluate import format_report, format_split, run_eval, run_split

    try:
        if split == "all" and not batch:
            report = run_eval(Settings())
            typer.echo(json.dumps(report, indent=2) if as_json else format_report(report))
            return
        report = run_split(Settings(), "dev" if split == "all" else split, set(batch or []) or None)
    except BotError as exc:
        _fail(exc)
    typer.echo(json.dumps(report, indent=2) if as_json else format_split(report))


def main() -> None:
    """Run the CLI; configuration errors print one line, never a stack trace."""
    from bot.errors import startup_message

    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        message = startup_message(exc)
        if message is None:
            raise
        typer.echo(f"error: {message}", err=True)
        sys.exit(2)
