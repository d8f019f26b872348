"""Bring your own question: pasted-question calibration, preparation, chat routing, figures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from benchmarks.interview_practice import RESULTS, career_questions, measure
from bot.config import Settings
from bot.errors import BotError
from bot.interview import COMPETENCY_IDS, InterviewService
from bot.interview.guides import Guides
from bot.sessions import SqliteSessionStore
from tests.helpers import CORPUS, DATA

pytestmark = pytest.mark.slow  # maps and scores every pasted question with MiniLM

PASTED = yaml.safe_load((DATA / "interview_pasted.yaml").read_text("utf-8"))


@pytest.fixture(scope="module")
def figures(embeddings: Any, coach: Any) -> dict[str, Any]:
    """Every interview-practice figure, measured now (chat routing through the real Coach)."""
    return measure(embeddings, coach)


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, embeddings: Any
) -> Iterator[InterviewService]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("pasted"), corpus_dir=CORPUS)
    store = SqliteSessionStore(settings.db_path)
    yield InterviewService(settings, embeddings, store)
    store.close()


def test_pasted_set_is_real_style_and_not_from_the_bank(bank: Any) -> None:
    texts = [i["text"] for i in PASTED["calibration"]] + PASTED["chat"] + PASTED["held_out"]
    assert len(PASTED["calibration"]) >= 10
    assert not {t.lower() for t in texts} & {q.text.lower() for q in bank.questions}
    assert {i["competency"] for i in PASTED["calibration"]} <= set(COMPETENCY_IDS)


def test_strong_beats_weak_on_every_pasted_question(figures: dict[str, Any]) -> None:
    rows = figures["pasted"]["rows"]
    assert len(rows) >= 10
    for row in rows:
        assert row["strong"] > row["weak"], row
    assert figures["pasted"]["mean_gap"] >= 1.5
    assert figures["pasted"]["min_gap"] >= 1.0


def test_pasted_questions_map_to_their_competency_mostly(figures: dict[str, Any]) -> None:
    assert figures["pasted"]["competency_right"] >= 0.6 * figures["pasted"]["questions"]


def test_chat_routes_pasted_questions_to_preparation(figures: dict[str, Any]) -> None:
    routing = figures["routing"]
    assert routing["tuned"]["routed"] >= 0.95
    assert routing["held_out"]["routed"] >= 0.8
    assert routing["career"]["n"] >= 200
    assert routing["career"]["routed"] <= 0.01
    # "Could you tell me what does a medical director do?" is a career question, not a panel's.
    assert routing["prefixed"]["n"] >= 150
    assert routing["prefixed"]["routed"] == 0


def test_coverage_agrees_with_labels_better_than_before(figures: dict[str, Any]) -> None:
    coverage = figures["coverage"]
    assert coverage["pairs"] >= 120
    assert coverage["now"] >= 0.75
    assert coverage["now"] >= coverage["before"] + 0.15


def test_reported_figures_are_current(figures: dict[str, Any]) -> None:
    """README and docs/rubric.md show this file: `benchmarks/interview_practice.py` refreshes it."""
    assert figures == json.loads(RESULTS.read_text(encoding="utf-8"))


def test_career_questions_come_from_every_set() -> None:
    assert len(career_questions()) >= 200


def test_preparation_is_cited_and_grounded(service: InterviewService, guides: Guides) -> None:
    prepared = service.prepare("How would you reduce unnecessary imaging orders in our clinics?")
    assert prepared["competency"] in COMPETENCY_IDS
    assert 3 <= len(prepared["key_points"]) <= 5
    numbers = {c["n"] for c in prepared["citations"]}
    assert {p["n"] for p in prepared["key_points"]} == numbers
    for citation in prepared["citations"]:
        section = guides.named(citation["source"], citation["section"])
        assert section and any(citation["text"] == p for s in section for p in s.paragraphs)
    assert prepared["outline"][0].startswith(("Situation", "Context"))
    assert prepared["outline"][-1].startswith("Result")
    assert prepared["follow_up"].endswith("?")
    pitfalls = " ".join(prepared["pitfalls"])
    assert "capped at 2" in pitfalls and "Outcome" in pitfalls and "Leadership" in pitfalls
    assert any(f"[{prepared['key_points'][0]['n']}]" in line for line in prepared["pitfalls"])


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("What's your favourite pizza topping?", "not_an_interview_question"),
        ("   ", "empty_question_text"),
        (42, "invalid_question_text"),
        ("x" * 5000, "too_long"),
    ],
)
def test_bad_pasted_questions_are_clear_errors(
    service: InterviewService, text: object, code: str
) -> None:
    with pytest.raises(BotError) as caught:
        service.prepare(text)
    assert caught.value.code == code and caught.value.status == 400


def test_a_pasted_question_is_practised_and_retried(service: InterviewService) -> None:
    item = PASTED["calibration"][0]
    started = service.start(question_text=item["text"])
    assert started["total"] == 1 and started["question"]["text"] == item["text"]
    assert started["question"]["id"].startswith("custom-")
    first = service.answer(started["interview_id"], item["weak"])
    assert first["done"] is True
    again = service.retry(started["interview_id"])
    assert again["question"]["text"] == item["text"] and again["question"]["retry"] is True
    second = service.answer(started["interview_id"], item["strong"])
    assert second["previous"]["overall"] == first["overall"]
    assert second["delta"]["overall"] == pytest.approx(second["overall"] - first["overall"], 0.01)
    assert second["delta"]["overall"] >= 1.5
    assert set(second["now_covered"]) <= {p["text"] for p in first["missing"]}
