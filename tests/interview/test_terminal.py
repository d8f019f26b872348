"""The terminal interview: scripted from an answers file (JSON and text) and interactive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.ingest.embeddings import make_embeddings
from bot.interview import DIMENSIONS, InterviewService
from bot.interview.terminal import run_terminal
from bot.sessions import SqliteSessionStore

ANSWERS = [
    "In 2022 I led a working group with the CNO and the CFO; I decided to pilot a dashboard "
    "and readmissions fell from 18% to 12% within six months.",
    "I would first meet the chiefs, review the data with the analyst, then report to the board.",
    "I am not sure, it depends.",
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InterviewService]:
    settings = Settings()
    store = SqliteSessionStore(tmp_path_factory.mktemp("terminal") / "sessions.sqlite3")
    yield InterviewService(settings, make_embeddings(settings), store)
    store.close()


def test_scripted_run_prints_transcript_and_scorecard_as_json(
    service: InterviewService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "answers.txt"
    answers.write_text("\n".join(ANSWERS[:2]) + "\n\n" + ANSWERS[2] + "\n", encoding="utf-8")
    code = run_terminal(service, answers, as_json=True, questions=3, focus=["quality", "data"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert [t["answer"] for t in out["transcript"]] == ANSWERS
    for turn in out["transcript"]:
        assert turn["question"]["competency"] in {"quality", "data"}
        assert set(turn["scores"]) == set(DIMENSIONS)
        assert turn["feedback"] and turn["follow_up"]
    assert out["transcript"][-1]["done"] is True
    card = out["scorecard"]
    assert card["answered"] == 3 and card["done"] is True
    assert card["markdown"].startswith("# Mock interview scorecard")


def test_scripted_run_with_fewer_answers_stops_early_as_text(
    service: InterviewService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "answers.txt"
    answers.write_text(ANSWERS[2] + "\n", encoding="utf-8")
    assert run_terminal(service, answers, as_json=False, questions=2) == 0
    out = capsys.readouterr().out
    assert "Question 1 of 2" in out
    assert "Overall " in out and " · Relevance " in out
    assert out.count(" · Relevance ") == 1  # the score line once per answer
    assert "Insights: " in out and "spoken" in out
    assert "Questions answered:** 1 of 2" in out


def test_scripted_run_of_one_pasted_question(
    service: InterviewService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "answers.txt"
    answers.write_text(ANSWERS[0] + "\n", encoding="utf-8")
    pasted = "How would you reduce unnecessary imaging orders across our clinics?"
    assert run_terminal(service, answers, as_json=True, question_text=pasted) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["transcript"][0]["question"]["text"] == pasted
    assert out["scorecard"]["total"] == 1


def test_interactive_run_ends_on_quit(
    service: InterviewService, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    replies = iter(["   ", ANSWERS[1], "quit"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(replies))
    assert run_terminal(service, None, as_json=False, questions=3) == 0
    out = capsys.readouterr().out
    assert "The answer is empty" in out
    assert "Question 2 of 3" in out
    assert "Questions answered:** 1 of 3" in out


def test_bad_options_exit_with_an_error(
    service: InterviewService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_terminal(service, None, as_json=True, focus=["golf"]) == 2
    assert "Unknown competency golf" in capsys.readouterr().err
    assert run_terminal(service, tmp_path / "missing.txt", as_json=True) == 2
    assert "cannot read answers file" in capsys.readouterr().err
