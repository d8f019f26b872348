"""Feedback: missing key points cite real guide passages, markers resolve, follow-up, phraser."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.config import Settings
from bot.ingest.documents import read_document
from bot.ingest.embeddings import MiniLMEmbeddings, make_embeddings
from bot.interview.bank import Bank, Question
from bot.interview.feedback import PROBES_FILE, Feedback, choose_follow_up, compose_feedback
from bot.interview.guides import Guides
from bot.interview.rubric import Score, make_reference, score_answer
from bot.prompts import load_data
from tests.helpers import CORPUS, PROMPTS, calibration
from tests.interview.coverage_data import labelled_pairs


def probe_texts() -> set[str]:
    """Every follow-up probe of prompts/interview_probes.yaml (by dimension and kind)."""
    table = load_data(PROBES_FILE, PROMPTS)
    return {text for kinds in table.values() if isinstance(kinds, dict) for text in kinds.values()}


@pytest.fixture(scope="module")
def scored(bank: Bank) -> dict[str, tuple[Question, Score]]:
    embeddings = make_embeddings(Settings())
    out: dict[str, tuple[Question, Score]] = {}
    for level in ("strong", "average"):
        question = bank.question("finance-1")
        out[level] = (question, score_answer(question, calibration("finance-1", level), embeddings))
    return out


@pytest.fixture(scope="module")
def average(scored: dict[str, tuple[Question, Score]], guides: Guides) -> Feedback:
    question, score = scored["average"]
    return compose_feedback(question, score, guides, PROMPTS)


def guide_paragraphs(source: str) -> tuple[str, list[str]]:
    doc = read_document(CORPUS / source)
    paragraphs = [" ".join(p.split()) for p in doc.text.split("\n\n") if p.strip()]
    return doc.title, paragraphs


def test_citations_resolve_to_real_guide_passages(average: Feedback) -> None:
    assert average.citations
    for n, citation in enumerate(average.citations, start=1):
        assert set(citation) == {"n", "source", "title", "section", "text"}
        assert citation["n"] == n
        title, paragraphs = guide_paragraphs(citation["source"])
        assert citation["title"] == title
        assert citation["text"] in paragraphs


def test_missing_key_points_are_named_and_cited(average: Feedback, guides: Guides) -> None:
    assert average.missing
    numbers = {c["n"]: c for c in average.citations}
    for point in average.missing:
        citation = numbers[point["n"]]
        assert point["quote"] in citation["text"]
        assert citation["section"] == point["section"]
        assert f"{point['text']} [{point['n']}]" in average.text


def test_every_marker_in_the_feedback_resolves(average: Feedback) -> None:
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", average.text)}
    assert markers
    assert markers <= {c["n"] for c in average.citations}
    assert all(re.search(r"\[\d+\]", line) for line in average.outline if "Action" in line)


def test_feedback_has_strengths_outline_and_follow_up(
    scored: dict[str, tuple[Question, Score]], guides: Guides
) -> None:
    question, score = scored["strong"]
    feedback = compose_feedback(question, score, guides, PROMPTS)
    assert feedback.strengths
    assert "What was strong" in feedback.text
    assert feedback.outline[0].startswith(("Situation", "Context"))
    assert feedback.outline[-1].startswith("Result")
    assert feedback.follow_up in {f.text for f in question.follow_ups} | probe_texts()
    assert f"Follow-up: {feedback.follow_up}" in feedback.text


def test_follow_up_probes_the_most_important_gap(bank: Bank) -> None:
    question = bank.question("finance-1")
    assert choose_follow_up(question, ["savings", "arbitrate"]) == question.follow_ups[1].text
    assert choose_follow_up(question, ["defend-or-cut", "arbitrate"]) == question.follow_ups[2].text
    assert choose_follow_up(question, []) == question.follow_ups[0].text


def test_feedback_follow_up_matches_first_missing_point(average: Feedback, bank: Bank) -> None:
    question = bank.question("finance-1")
    missing = [p["id"] for p in average.missing]
    assert average.follow_up == choose_follow_up(question, missing)


def test_phraser_rephrases_feedback_and_follow_up(
    scored: dict[str, tuple[Question, Score]], guides: Guides
) -> None:
    seen: list[dict[str, Any]] = []

    def phraser(text: str, findings: dict[str, Any]) -> str:
        seen.append(findings)
        return f"REPHRASED: {text}"

    question, score = scored["average"]
    feedback = compose_feedback(question, score, guides, PROMPTS, phraser)
    assert feedback.text.startswith("REPHRASED: ")
    assert feedback.follow_up.startswith("REPHRASED: ")
    assert {f["part"] for f in seen} == {"feedback", "follow_up"}
    assert seen[0]["scores"] == score.scores
    assert seen[0]["missing"] and seen[0]["citations"]


@pytest.mark.parametrize("bad", ["", "See [99] for details.", None])
def test_phraser_output_that_breaks_citations_is_ignored(
    scored: dict[str, tuple[Question, Score]], guides: Guides, average: Feedback, bad: str | None
) -> None:
    def phraser(text: str, findings: dict[str, Any]) -> str:
        if bad is None:
            raise RuntimeError("model server down")
        return bad

    question, score = scored["average"]
    feedback = compose_feedback(question, score, guides, PROMPTS, phraser)
    assert feedback.text == average.text
    assert feedback.follow_up == average.follow_up


# Issue 9, item 8: a strong readmissions QI answer that describes its initiative in other words.
READMISSIONS = next(a for q, a, labels in labelled_pairs() if q == "quality-1" and "council" in a)


@pytest.fixture(scope="module")
def readmissions(bank: Bank, guides: Guides, embeddings: MiniLMEmbeddings) -> Feedback:
    question = bank.question("quality-1")
    score = score_answer(question, READMISSIONS, embeddings, reference=make_reference(bank, guides))
    assert score.overall >= 4.0
    return compose_feedback(question, score, guides, PROMPTS, answer=READMISSIONS)


def test_a_point_covered_in_other_words_is_not_reported_missing(readmissions: Feedback) -> None:
    assert "Implement a quality improvement initiative" not in {
        p["text"] for p in readmissions.missing
    }
    assert not any("quality improvement initiative" in line for line in readmissions.outline)


def test_follow_up_asks_about_something_the_answer_did_not_say(
    readmissions: Feedback, bank: Bank
) -> None:
    baseline = bank.question("quality-1").follow_ups[0].text
    assert "baseline" in baseline  # the answer gave its baseline (23%)
    assert readmissions.follow_up != baseline
    assert readmissions.follow_up in probe_texts() | {
        f.text for f in bank.question("quality-1").follow_ups
    }


def test_feedback_text_has_no_score_line(readmissions: Feedback, average: Feedback) -> None:
    for feedback in (readmissions, average):
        assert not re.search(r"^Score:", feedback.text, re.M)
        assert "/5" not in feedback.text


def test_follow_up_skips_bank_follow_ups_the_answer_already_answered(bank: Bank) -> None:
    question = bank.question("quality-1")
    said = "Our baseline rate was 23%, collected from a chart review of 60 cases."
    assert choose_follow_up(question, [], said) == question.follow_ups[1].text  # keeping gains


def test_story_about_another_topic_is_told_so(
    bank: Bank, guides: Guides, embeddings: MiniLMEmbeddings
) -> None:
    story = calibration("quality-2", "other_topic")
    question = bank.question("quality-2")
    score = score_answer(question, story, embeddings, reference=make_reference(bank, guides))
    feedback = compose_feedback(question, score, guides, PROMPTS, answer=story)
    assert score.overall <= 2.5 and "other_question" in score.caps
    assert feedback.text.startswith("This is a specific story, but it answers a different question")
    assert "heart failure readmission" in feedback.text
    assert not feedback.strengths
