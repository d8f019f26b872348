"""InterviewService: the flow, state that survives a restart, the scorecard and bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.errors import BotError
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.interview import COMPETENCY_IDS, DIMENSIONS, InterviewService
from bot.sessions import SqliteSessionStore
from tests.helpers import calibration

SHORT = "I would meet the CFO and the chiefs, review the data and set a target for 2025."


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("interview") / "sessions.sqlite3"


@pytest.fixture(scope="module")
def settings(db: Path) -> Settings:
    return Settings(data_dir=db.parent, max_message_chars=2000)


@pytest.fixture(scope="module")
def service(
    settings: Settings, embeddings: MiniLMEmbeddings, db: Path
) -> Iterator[InterviewService]:
    store = SqliteSessionStore(db)
    yield InterviewService(settings, embeddings, store)
    store.close()


@pytest.fixture(scope="module")
def finished(service: InterviewService) -> dict[str, Any]:
    """A finished two-question finance interview: one strong and one weak answer."""
    started = service.start(session_id="s1", questions=2, focus=["finance"], seed=4)
    results: list[dict[str, Any]] = []
    for level in ("strong", "weak"):
        question = started["question"] if not results else results[-1]["next_question"]
        results.append(service.answer(started["interview_id"], calibration_for(question, level)))
    return {"started": started, "results": results}


def calibration_for(question: dict[str, Any], level: str) -> str:
    return calibration("finance-1", level) if question["id"] == "finance-1" else SHORT


def test_start_returns_the_first_question(service: InterviewService) -> None:
    started = service.start(questions=3, setting="outpatient", seed=1)
    assert set(started) >= {"interview_id", "question", "total"}
    assert started["total"] == 3
    assert set(started["question"]) >= {"id", "text", "competency"}
    assert started["question"]["competency"] in COMPETENCY_IDS


def test_answer_returns_scores_feedback_and_next(finished: dict[str, Any]) -> None:
    first, last = finished["results"]
    assert set(first["scores"]) == set(DIMENSIONS)
    assert all(1 <= v <= 5 for v in first["scores"].values())
    assert isinstance(first["overall"], float)
    for key in ("feedback", "citations", "strengths", "missing", "outline", "follow_up"):
        assert key in first
    assert first["next_question"]["id"] != finished["started"]["question"]["id"]
    assert first["done"] is False
    assert last["next_question"] is None and last["done"] is True


def test_state_survives_a_new_service_instance(
    service: InterviewService, settings: Settings, embeddings: MiniLMEmbeddings, db: Path
) -> None:
    started = service.start(questions=2, seed=9)
    store = SqliteSessionStore(db)
    try:
        restarted = InterviewService(settings, embeddings, store)
        result = restarted.answer(started["interview_id"], SHORT)
        assert result["answered"] == 1 and not result["done"]
        state = restarted.state(started["interview_id"])
        assert state["seed"] == 9
        assert state["questions"][0] == started["question"]["id"]
        assert service.scorecard(started["interview_id"])["answered"] == 1
    finally:
        store.close()


def test_scorecard_summarises_the_interview(
    service: InterviewService, finished: dict[str, Any]
) -> None:
    card = service.scorecard(finished["started"]["interview_id"])
    overalls = [r["overall"] for r in finished["results"]]
    assert card["overall"] == round(sum(overalls) / len(overalls), 1)
    assert set(card["by_competency"]) == {"finance"}
    assert set(card["by_dimension"]) == set(DIMENSIONS)
    assert 1 <= len(card["improvements"]) <= 3
    for area in card["improvements"]:
        assert area["area"] and area["advice"]
        assert area["read"] and all(set(r) == {"source", "title", "section"} for r in area["read"])
    markdown = card["markdown"]
    assert markdown.startswith("# Mock interview scorecard")
    assert "| Relevance |" in markdown
    assert "## Development areas" in markdown
    assert "Margins have tightened" in markdown or "payment change" in markdown


def test_scorecard_mid_way_and_before_any_answer(service: InterviewService) -> None:
    started = service.start(questions=3, seed=2)
    card = service.scorecard(started["interview_id"])
    assert card["answered"] == 0 and card["overall"] == 0.0
    assert "No answers yet" in card["markdown"]


def test_competencies_for_uis(service: InterviewService) -> None:
    listed = service.competencies()
    assert [c["id"] for c in listed] == list(COMPETENCY_IDS)
    assert all(c["name"] and c["questions"] >= 4 for c in listed)


def error_of(call: Any) -> BotError:
    with pytest.raises(BotError) as info:
        call()
    return info.value


def test_empty_and_too_long_answers(service: InterviewService) -> None:
    interview = service.start(questions=1, seed=3)["interview_id"]
    empty = error_of(lambda: service.answer(interview, "  \n "))
    assert (empty.status, empty.code) == (400, "empty_answer")
    long = error_of(lambda: service.answer(interview, "x" * 2001))
    assert (long.status, long.code) == (400, "too_long")


def test_unknown_interview_is_404(service: InterviewService) -> None:
    assert error_of(lambda: service.answer("nope", SHORT)).status == 404
    assert error_of(lambda: service.scorecard("nope")).status == 404


def test_unknown_focus_lists_valid_ids(service: InterviewService) -> None:
    error = error_of(lambda: service.start(focus=["finance", "golf"]))
    assert error.status == 400
    assert "golf" in error.message
    assert all(c in error.message for c in COMPETENCY_IDS)


@pytest.mark.parametrize("count", [0, 11, -1])
def test_question_count_out_of_range(service: InterviewService, count: int) -> None:
    assert error_of(lambda: service.start(questions=count)).status == 400


def test_unknown_setting_and_too_few_focus_questions(service: InterviewService) -> None:
    assert error_of(lambda: service.start(setting="spaceship")).status == 400
    error = error_of(lambda: service.start(questions=10, focus=["crisis"]))
    assert (error.status, error.code) == (400, "not_enough_questions")


def test_answer_after_the_end_is_409(service: InterviewService, finished: dict[str, Any]) -> None:
    error = error_of(lambda: service.answer(finished["started"]["interview_id"], SHORT))
    assert (error.status, error.code) == (409, "interview_finished")
