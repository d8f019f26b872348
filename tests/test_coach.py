import re

import pytest

from bot.coach import Coach
from bot.errors import BotError
from bot.evaluate import citations_valid
from bot.understand import Context


def _passages(coach: Coach) -> set[str]:
    return {
        " ".join(c.text.replace("’", "'").split()).lower() for c in coach.retriever.chunks.values()
    }


def test_headline_question_gets_a_cited_answer(coach: Coach) -> None:
    answer = coach.ask("How long does it take to become a medical director?")
    assert answer.verdict == "answered"
    assert re.search(r"years", answer.answer)
    assert citations_valid(answer, _passages(coach))
    assert answer.session_id


def test_follow_up_uses_the_earlier_turn(coach: Coach) -> None:
    first = coach.ask("What is the CPE credential?")
    follow = coach.ask("Who awards it?", first.session_id)
    assert follow.verdict == "answered"
    assert "American Board of Medical Management" in follow.answer
    assert [t["role"] for t in coach.history(first.session_id)] == ["user", "assistant"] * 2


def test_guard_runs_before_retrieval(coach: Coach) -> None:
    clinical = coach.ask("What dose of metoprolol should I take for my blood pressure?")
    assert clinical.verdict == "declined" and not clinical.citations
    assert "pharmacist" in clinical.answer or "clinician" in clinical.answer
    crisis = coach.ask("I can't go on, I want to end my life")
    assert crisis.verdict == "declined" and "988" in crisis.answer
    leadership = coach.ask("How do I handle a physician ignoring our sepsis protocol?")
    assert leadership.verdict in {"answered", "no_answer"}


def test_uncovered_question_is_no_answer(coach: Coach) -> None:
    answer = coach.ask("How much does a medical director earn in Texas?")
    assert answer.verdict == "no_answer" and answer.reason and not answer.citations


def test_stream_pieces_join_to_the_final_answer(coach: Coach) -> None:
    events = list(coach.stream("What skills does a medical director need?"))
    *pieces, final = events
    assert len(pieces) > 5 and "".join(pieces) == final.answer


def test_unknown_session_and_bad_input(coach: Coach) -> None:
    with pytest.raises(BotError) as err:
        coach.ask("What is CPE?", "no-such-session")
    assert err.value.status == 404
    with pytest.raises(BotError):
        coach.ask("   ")


def test_sessions_survive_a_restart(coach: Coach) -> None:
    first = coach.ask("What is the CPE credential?")
    reborn = Coach(coach.settings, embeddings=coach.embeddings)
    follow = reborn.ask("Who awards it?", first.session_id)
    assert "American Board of Medical Management" in follow.answer


def test_personal_context_is_used_and_kept_for_later_turns(coach: Coach) -> None:
    first = coach.ask(
        "Ortho surgeon, 12 yrs in, tired of call. Could I realistically move into a director job?"
    )
    assert first.verdict == "answered"
    assert "With 12 years in practice" in first.answer
    later = coach.ask("How much clinical experience do directors usually have?", first.session_id)
    assert later.verdict == "answered" and "With 12 years in practice" in later.answer
    assert "Ortho" in coach.context([t["text"] for t in coach.history(first.session_id)]).said[0]


def test_a_passage_on_the_persons_context_is_added_after_the_rest(coach: Coach) -> None:
    query = "Could I realistically move into a director role?"
    years = coach._speaks_to["years"]
    found = coach.retriever.retrieve(query, 7, floor=0.0)
    passages = [p for p in found if not years.search(p.text)]
    assert coach._with_context(query, passages, Context()) == passages  # nothing said: unchanged
    added = coach._with_context(query, passages, Context(years=12))
    assert added[:-1] == passages and years.search(added[-1].text)
    assert coach._with_context(query, added, Context(years=12)) == added  # already there


def test_two_questions_in_one_message_get_two_answers(coach: Coach) -> None:
    answer = coach.ask("What is the CPE, and do I need an MBA?")
    assert answer.verdict == "answered"
    assert "**What is the CPE**" in answer.answer and "**Do I need an MBA?**" in answer.answer
    assert "Certified Physician Executive" in answer.answer and "MBA" in answer.answer
    assert citations_valid(answer, _passages(coach))


def test_on_topic_jargon_is_no_answer_with_a_pivot(coach: Coach) -> None:
    answer = coach.ask("whats a CMIO")
    assert answer.verdict == "no_answer" and "CMIO" in answer.answer
    assert "CME" not in answer.answer and "I can help with" in answer.answer


def test_multi_question_streams_the_final_answer(coach: Coach) -> None:
    *pieces, final = list(coach.stream("How long does it take, and is certification required?"))
    assert "".join(pieces) == final.answer and final.answer.count("**") == 4


def test_warm_embeds_what_the_first_question_would_wait_for(
    coach: Coach, caplog: pytest.LogCaptureFixture
) -> None:
    fresh = Coach(coach.settings, embeddings=coach.embeddings, store=coach.store)
    ranker = fresh.engine.composer.ranker  # type: ignore[attr-defined]
    assert fresh.answerability._labelled is None and ranker.precedents._vectors is None
    fresh.warm_in_background().join(timeout=120)
    answered, uncovered = fresh.answerability._labelled or []
    assert len(answered) > 100 and len(uncovered) > 20
    assert fresh.precedents._vectors is not None and ranker.precedents._vectors is not None
    assert len(ranker.precedents._vectors) == len(ranker.precedents.questions) > 100
    assert fresh.interview._intent is not None

    broken = Coach(coach.settings, embeddings=coach.embeddings, store=coach.store)

    def fail() -> None:
        raise RuntimeError("no model")

    broken.warm = fail  # type: ignore[method-assign]
    broken.warm_in_background().join(timeout=120)
    assert any(r.getMessage() == "warm_failed" for r in caplog.records)
    assert broken.ask("What is the CPE credential?").verdict == "answered"
