"""Mock interview in the terminal: interactive, or scripted from an answers file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bot.errors import BotError
from bot.interview.service import InterviewService

QUIT_WORDS = ("quit", "exit", ":q")


def _err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def read_answers(path: Path) -> list[str]:
    """Read answers from a file, one per non-blank line."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def format_question(question: dict[str, Any], total: int) -> str:
    """Return a question as the terminal shows it."""
    heading = f"Question {question['number']} of {total} ({question['competency']})"
    return f"\n{heading}:\n{question['text']}"


def format_insights(insights: dict[str, Any]) -> str:
    """Return the insights on one answer as one line: length, time, terms, repeats."""
    line = f"{insights['words']} words, about {insights['speaking_time']} spoken"
    if insights["guide_terms_missed"]:
        line += "; guide terms not used: " + ", ".join(insights["guide_terms_missed"][:5])
    if insights["repeated_words"]:
        line += "; repeated: " + ", ".join(
            f"{r['word']} ×{r['count']}" for r in insights["repeated_words"][:3]
        )
    return line


def format_result(result: dict[str, Any]) -> str:
    """Return scores, feedback and sources of one answer as the terminal shows them."""
    sources = [f'[{c["n"]}] {c["title"]}, section "{c["section"]}"' for c in result["citations"]]
    parts = [result["score_line"], result["feedback"]]
    if result.get("insights"):
        parts.append("Insights: " + format_insights(result["insights"]))
    if sources:
        parts.append("Sources:\n" + "\n".join(sources))
    return "\n\n".join(parts)


def _entry(question: dict[str, Any], answer: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"question": question, "answer": answer, **result}


def _scripted(
    service: InterviewService, started: dict[str, Any], answers: list[str], quiet: bool
) -> list[dict[str, Any]]:
    transcript: list[dict[str, Any]] = []
    question: dict[str, Any] | None = started["question"]
    for answer in answers:
        if question is None:
            break
        if not quiet:
            print(format_question(question, started["total"]))
            print(f"\nYour answer: {answer}\n")
        result = service.answer(started["interview_id"], answer)
        if not quiet:
            print(format_result(result))
        transcript.append(_entry(question, answer, result))
        question = result["next_question"]
    return transcript


def _ask(prompt: str) -> str | None:
    try:
        return input(prompt)
    except (EOFError, KeyboardInterrupt):
        return None


def _interactive(
    service: InterviewService, started: dict[str, Any], quiet: bool
) -> list[dict[str, Any]]:
    transcript: list[dict[str, Any]] = []
    question: dict[str, Any] | None = started["question"]
    print(f"Mock medical-director interview: {started['total']} questions. Type 'quit' to stop.")
    while question is not None:
        print(format_question(question, started["total"]))
        answer = _ask("\nYour answer> ")
        if answer is None or answer.strip().lower() in QUIT_WORDS:
            break
        try:
            result = service.answer(started["interview_id"], answer)
        except BotError as exc:
            print(exc.message)
            continue
        if not quiet:
            print("\n" + format_result(result))
        transcript.append(_entry(question, answer.strip(), result))
        question = result["next_question"]
    return transcript


def run_terminal(
    service: InterviewService,
    answers_file: Path | None,
    as_json: bool,
    questions: int = 5,
    focus: list[str] | None = None,
    setting: str | None = None,
    question_text: str | None = None,
) -> int:
    """Run a mock interview in the terminal and print the scorecard; return the exit code.

    With `question_text` the interview is that one pasted question.
    """
    try:
        answers = read_answers(answers_file) if answers_file is not None else None
        started = service.start(
            questions=questions, focus=focus, setting=setting, question_text=question_text
        )
        if answers is None:
            transcript = _interactive(service, started, quiet=as_json)
        else:
            transcript = _scripted(service, started, answers, quiet=as_json)
        card = service.scorecard(started["interview_id"])
    except BotError as exc:
        _err(exc.message)
        return 2
    except OSError as exc:
        _err(f"cannot read answers file: {exc.strerror or exc}")
        return 2
    if as_json:
        print(
            json.dumps({"transcript": transcript, "scorecard": card}, ensure_ascii=False, indent=2)
        )
    else:
        print("\n" + card["markdown"])
    return 0
