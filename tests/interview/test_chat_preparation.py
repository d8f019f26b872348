"""Chat: "How should I answer: <question>" and pasted interview questions get cited preparation.

Through the real Coach (guard, retrieval, MiniLM, Chroma): the guard still runs first.
"""

from __future__ import annotations

import csv
import re
from typing import Any
from unittest.mock import patch

import pytest
import yaml

from bot.answer.engine import StreamEvent
from bot.schemas import Answer
from tests.helpers import DATA

pytestmark = pytest.mark.slow  # every message goes through the whole Coach

PASTED = yaml.safe_load((DATA / "interview_pasted.yaml").read_text("utf-8"))
# Every fourth pasted chat question and every held-out one: enough to measure, quick to run.
SAMPLE = PASTED["chat"][::4] + PASTED["held_out"]
PREPARED = "interview_preparation"


def _guard_rows(label: str, count: int) -> list[str]:
    with open(DATA / "guard_prompts.csv", encoding="utf-8") as handle:
        rows = [r["text"] for r in csv.DictReader(handle) if r["label"] == label]
    return rows[:count]


def _answered_not_prepared(answer: Answer) -> None:
    """Assert chat gave an ordinary cited answer, not interview preparation."""
    assert answer.reason != PREPARED and answer.verdict == "answered", answer.answer


def test_most_pasted_interview_questions_get_preparation_in_chat(coach: Any) -> None:
    answers = [coach.ask(text) for text in SAMPLE]
    prepared = [a for a in answers if a.reason == PREPARED]
    assert len(prepared) >= 0.85 * len(SAMPLE), [
        t for t, a in zip(SAMPLE, answers, strict=True) if a.reason != PREPARED
    ]
    assert not any(a.verdict == "no_answer" for a in prepared)
    for answer in prepared:
        assert answer.verdict == "answered" and answer.citations
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
        assert markers and markers <= {c.n for c in answer.citations}
        assert answer.practice and answer.practice["question_text"]
        assert "practise" in answer.answer.lower()


def test_lead_in_question_is_extracted_and_offered_for_practice(coach: Any) -> None:
    answer = coach.ask('How should I answer "Tell me about a time you improved patient safety"?')
    assert answer.reason == PREPARED
    assert answer.practice["question_text"] == "Tell me about a time you improved patient safety"
    public = answer.public()
    assert public["verdict"] == "answered" and public["practice"] == answer.practice
    assert set(public["citations"][0]) == {"n", "source", "title", "section", "text"}


def test_streamed_preparation_matches(coach: Any) -> None:
    events: list[StreamEvent] = list(
        coach.stream("How would you reduce emergency department wait times?")
    )
    final = events[-1]
    assert isinstance(final, Answer) and final.reason == PREPARED
    assert "".join(e for e in events[:-1] if isinstance(e, str)) == final.answer


@pytest.mark.parametrize("label", ["clinical", "crisis", "injection"])
def test_the_guard_still_declines_first(coach: Any, label: str) -> None:
    declined = [t for t in _guard_rows(label, 8) if coach.ask(t).verdict == "declined"]
    assert len(declined) >= 6
    for text in declined:
        wrapped = coach.ask(f"How should I answer this interview question: {text}")
        assert wrapped.reason != PREPARED, text
        assert wrapped.verdict == "declined", text


def test_career_questions_keep_their_ordinary_answers(coach: Any) -> None:
    for text in (
        "What does a medical director do day to day?",
        "Should I get an MBA or an MHA?",
        "How do I handle a hospitalist who keeps skipping our stroke protocol checklist?",
    ):
        assert coach.ask(text).reason != PREPARED, text


@pytest.mark.parametrize(
    "text",
    [
        "Could you tell me what does a medical director do?",
        "Could you tell me how do I prepare for a medical director interview?",
        "Can you explain what medical oversight involves?",
        "Would you tell me which skills I should build before applying?",
    ],
)
def test_polite_career_questions_are_answered_not_prepared(coach: Any, text: str) -> None:
    """The "you" of a polite request is the coach, not a panel (13 of 48 went wrong before)."""
    _answered_not_prepared(coach.ask(text))


def test_a_lead_in_prepares_even_a_question_the_guides_answer(coach: Any) -> None:
    answer = coach.ask("They asked me: what does a medical director do? How should I answer?")
    assert answer.reason == PREPARED, answer.answer
    assert coach.route("What does a medical director do?") is None


def test_a_lead_in_after_a_statement_that_asks_nothing_gets_an_ordinary_answer(
    coach: Any,
) -> None:
    """ "How should I prepare for it?" after news about the person is a career question."""
    answer = coach.ask(
        "I'm an ER doc with 8 years under my belt and I just landed an interview for an "
        "associate medical director post next month. How should I prepare for it?"
    )
    _answered_not_prepared(answer)
    asked = coach.ask(
        "Next week they will ask me how I would cut our sepsis mortality. How should I answer?"
    )
    assert asked.reason == PREPARED, asked.answer


@pytest.mark.parametrize(
    "text",
    [
        "how do u get doctors to actually follow new protocols as med dir",
        "how do u build trust w the nurses as a new director",
        "how do u handle a doc who keeps ignoring the new protocol",
    ],
)
def test_a_question_typed_with_u_is_the_persons_own(coach: Any, text: str) -> None:
    """Normalised to "you", these read as a panel addressing the candidate (all three did)."""
    _answered_not_prepared(coach.ask(text))


def test_the_same_question_as_a_panel_types_it_gets_preparation(coach: Any) -> None:
    answer = coach.ask("How do you handle a physician who keeps ignoring a new protocol?")
    assert answer.reason == PREPARED, answer.answer


def test_ordinary_messages_cost_the_lead_in_check_no_model_call(coach: Any) -> None:
    detector = coach.interview.intent
    encode = detector._embeddings._encode
    calls: list[object] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return encode(*args, **kwargs)

    with patch.object(detector._embeddings, "_encode", counting):
        for text in (
            "As a hospitalist with 6 yrs, how do I become a medical director?",
            "I am a family physician: what leadership certificates help?",
            "Ortho surgeon, 12 yrs in, tired of call. Could I move into a director job?",
        ):
            assert detector.explicit(text) is None, text
    assert calls == []
