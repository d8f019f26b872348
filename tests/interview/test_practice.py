"""Practice over time: retries with before/after, progress by practice id, insights, scorecards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import Settings
from bot.errors import BotError
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.interview import DIMENSIONS, InterviewService
from bot.interview.insights import insights, repeated_words, speaking_time
from bot.interview.practice import current_answers, progress, score_line
from bot.interview.scorecard import strengths
from bot.sessions import SqliteSessionStore
from tests.helpers import CORPUS, calibration

# With focus ["finance"] (or ["crisis"]) this seed asks finance-1 (crisis-1) first.
FINANCE_1_FIRST = 1


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, embeddings: MiniLMEmbeddings
) -> Iterator[InterviewService]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("practice"), corpus_dir=CORPUS)
    store = SqliteSessionStore(settings.db_path)
    yield InterviewService(settings, embeddings, store)
    store.close()


@pytest.fixture(scope="module")
def retried(service: InterviewService) -> dict[str, Any]:
    """A finance interview: a weak answer to finance-1, a retry with the strong one."""
    started = service.start(questions=2, focus=["finance"], seed=FINANCE_1_FIRST)
    first_id = started["question"]["id"]
    assert first_id == "finance-1"
    weak = service.answer(started["interview_id"], calibration("finance-1", "weak"))
    again = service.retry(started["interview_id"])
    strong = service.answer(started["interview_id"], calibration("finance-1", "strong"))
    return {
        "started": started,
        "first_id": first_id,
        "weak": weak,
        "again": again,
        "strong": strong,
    }


def test_start_creates_a_practice_id_and_keeps_a_given_one(service: InterviewService) -> None:
    created = service.start(questions=1, seed=1)["practice_id"]
    assert isinstance(created, str) and len(created) >= 16
    kept = service.start(questions=1, seed=2, practice_id=created)["practice_id"]
    assert kept == created
    with pytest.raises(BotError) as caught:
        service.start(questions=1, practice_id="not valid!")
    assert caught.value.code == "invalid_practice_id"


def test_retry_asks_the_last_question_again_before_the_next(retried: dict[str, Any]) -> None:
    again = retried["again"]
    assert again["question"]["retry"] is True
    assert again["question"]["number"] == 2 and again["total"] == 3
    assert again["previous"]["overall"] == retried["weak"]["overall"]
    assert retried["weak"]["next_question"]["number"] == 2  # asked before the retry was added
    assert retried["strong"]["next_question"]["number"] == 3  # the planned second question


def test_retry_answer_has_previous_scores_delta_and_points_now_covered(
    retried: dict[str, Any],
) -> None:
    weak, strong = retried["weak"], retried["strong"]
    assert strong["previous"]["scores"] == weak["scores"]
    for dimension in DIMENSIONS:
        assert strong["delta"][dimension] == strong["scores"][dimension] - weak["scores"][dimension]
    assert strong["delta"]["overall"] >= 2.0
    assert strong["now_covered"]
    assert set(strong["now_covered"]) <= {p["text"] for p in weak["missing"]}
    assert not set(strong["now_covered"]) & {p["text"] for p in strong["missing"]}


def test_retry_twice_in_a_row_is_the_same_retry(service: InterviewService) -> None:
    started = service.start(questions=1, seed=3)
    service.answer(started["interview_id"], calibration("finance-1", "average"))
    first = service.retry(started["interview_id"])
    second = service.retry(started["interview_id"])
    assert first["total"] == second["total"] == 2
    assert first["question"] == second["question"]


def test_retry_before_any_answer_is_a_conflict(service: InterviewService) -> None:
    started = service.start(questions=1, seed=5)
    with pytest.raises(BotError) as caught:
        service.retry(started["interview_id"])
    assert (caught.value.code, caught.value.status) == ("nothing_to_retry", 409)


def test_scorecard_counts_the_latest_attempt_and_lists_the_retry(
    service: InterviewService, retried: dict[str, Any]
) -> None:
    card = service.scorecard(retried["started"]["interview_id"])
    assert card["answered"] == 1 and card["total"] == 2
    assert card["overall"] == retried["strong"]["overall"]
    (retry,) = card["retries"]
    assert retry["before"] == retried["weak"]["overall"]
    assert retry["after"] == retried["strong"]["overall"]
    assert "## Retries" in card["markdown"] and "(retry of question 1)" in card["markdown"]


def test_progress_across_two_interviews_and_the_weakest_area(service: InterviewService) -> None:
    first = service.start(questions=1, focus=["finance"], seed=FINANCE_1_FIRST)
    practice_id = first["practice_id"]
    service.answer(first["interview_id"], calibration("finance-1", "strong"))
    second = service.start(
        questions=1, focus=["crisis"], seed=FINANCE_1_FIRST, practice_id=practice_id
    )
    service.answer(second["interview_id"], calibration("crisis-1", "weak"))
    service.start(questions=1, seed=13, practice_id=practice_id)  # nothing answered: left out
    report = service.progress(practice_id)
    assert [i["interview_id"] for i in report["interviews"]] == [
        first["interview_id"],
        second["interview_id"],
    ]
    assert all(i["date"].endswith("Z") for i in report["interviews"])
    assert set(report["by_competency"]) == {"finance", "crisis"}
    assert report["weakest"]["id"] == "crisis"
    assert report["by_competency"]["finance"]["trend"][0]["score"] >= 4.0


def test_progress_of_an_unknown_or_bad_practice_id(service: InterviewService) -> None:
    empty = service.progress("0" * 32)
    assert empty["interviews"] == [] and empty["weakest"] is None
    with pytest.raises(BotError) as caught:
        service.progress("../etc/passwd")
    assert caught.value.code == "invalid_practice_id"


def test_answer_result_has_one_score_line_and_insights(retried: dict[str, Any]) -> None:
    result = retried["strong"]
    assert result["score_line"].startswith(f"Overall {result['overall']:.1f}/5 · Relevance ")
    assert "Outcome" in result["score_line"] and "Measured" not in result["score_line"]
    facts = result["insights"]
    assert facts["words"] > 100
    assert facts["speaking_seconds"] == round(facts["words"] * 60 / 130)
    assert facts["guide_terms_used"] and isinstance(facts["guide_terms_missed"], list)
    assert facts["talking_points_covered"]


def test_insights_count_repeats_and_time(bank: Any) -> None:
    answer = "Really the data, the data and the data. Really really good."
    assert repeated_words(answer)[0] == {"word": "data", "count": 3}
    assert speaking_time(85) == "1 min 25 s" and speaking_time(40) == "40 s"
    facts = insights(bank.question("finance-1"), "We cut the budget with cost data.", [])
    assert "data" in facts["guide_terms_used"]
    assert facts["talking_points_covered"] == []


def test_a_strong_answer_is_never_beside_nothing_reached_3_5(bank: Any) -> None:
    answers = [
        {"competency": "quality", "overall": 4.6, "scores": {}},
        {"competency": "finance", "overall": 1.2, "scores": {}},
    ]
    found = strengths(bank, {"relevance": 3.0}, {"quality": 3.4}, answers)
    assert found == ["Your answer to question 1 (Quality improvement) scored 4.6/5"]


def test_score_line_and_current_answers_helpers() -> None:
    line = score_line({"relevance": 4, "outcome": 5}, 4.5, {"relevance": "Relevance"})
    assert line == "Overall 4.5/5 · Relevance 4 · outcome 5"
    answers = [{"overall": 1.0}, {"overall": 4.0, "retry_of": 0}]
    assert current_answers(answers) == [answers[1]]
    assert progress([], {})["weakest"] is None


def test_printable_scorecard_escapes_answers_and_links_guide_sections(
    service: InterviewService,
) -> None:
    started = service.start(questions=1, focus=["finance"], seed=4)
    service.answer(
        started["interview_id"], "<script>alert(1)</script> " + calibration("finance-1", "weak")
    )
    page = service.scorecard_html(started["interview_id"], "https://coach.example/guides")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "@media print" in page and "@media (max-width: 640px)" in page
    assert 'href="https://coach.example/guides/' in page
    assert ".md</code>" not in page and "`" not in page
