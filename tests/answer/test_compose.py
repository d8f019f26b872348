"""Grounded composer: the answering sentence first, the person's context, honest no_answer."""

from __future__ import annotations

import re

from bot.answer.answerability import Candidate, Judgement
from bot.answer.compose import GroundedComposer, combine
from bot.answer.engine import Brief
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.schemas import Answer, Citation, Passage
from bot.understand import Context

P1 = Passage(
    "a.md",
    "Guide A",
    "Step 5: Certification",
    "While not always required, certification can enhance your credentials. The American "
    "Board of Medical Management offers a Certified Physician Executive (CPE) credential.",
    0.7,
    "c1",
)
P2 = Passage(
    "b.md",
    "Guide B",
    "Next Steps",
    "Seek out seasoned leaders willing to share their scars and strategies. Enroll in "
    "executive programs designed for healthcare professionals ready to lead at scale.",
    0.4,
    "c2",
)
P3 = Passage(
    "a.md",
    "Guide A",
    "Step 2",
    "Most Medical Directors have at least 5-10 years of "
    "clinical practice. Experience in various settings helps.",
    0.5,
    "c3",
)
YES = Judgement(True, 0.9)


def _sentences_come_from_citations(answer: Answer) -> None:
    by_n = {c.n: c for c in answer.citations}
    for line in answer.answer.splitlines():
        match = re.match(r"^(?:- |\*\*Next step:\*\* )?(.*) \[(\d+)\]$", line)
        if not match or "years in practice" in line:
            continue
        body, n = match.groups()
        for sentence in re.split(r"(?<=[.!?])\s+", body):
            assert sentence in by_n[int(n)].text


def test_answer_leads_with_the_answering_sentence(embeddings: MiniLMEmbeddings) -> None:
    answer = GroundedComposer(embeddings).compose(
        "Who offers the CPE credential?", [P1, P2, P3], brief=Brief(judgement=YES)
    )
    assert answer.verdict == "answered"
    first = answer.answer.splitlines()[0]
    assert "American Board of Medical Management" in first and first.endswith("[1]")
    assert not first.startswith(("Here is", "On credentials"))  # no framing filler
    _sentences_come_from_citations(answer)


def test_citations_are_numbered_in_order_and_all_used(embeddings: MiniLMEmbeddings) -> None:
    answer = GroundedComposer(embeddings).compose("How long and what credentials?", [P1, P2, P3])
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
    assert sorted(set(markers)) == [c.n for c in answer.citations]
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert markers[0] == 1


def test_personal_context_uses_the_persons_years(embeddings: MiniLMEmbeddings) -> None:
    brief = Brief(Context(years=12, specialty="surgeon"), YES)
    answer = GroundedComposer(embeddings).compose("How much experience do I need?", [P3], 1, brief)
    assert "With 12 years in practice, you are already past" in answer.answer
    assert "Most Medical Directors have at least 5-10 years of clinical practice." in answer.answer
    few = Brief(Context(years=3), YES)
    short = GroundedComposer(embeddings).compose("How much experience do I need?", [P3], 1, few)
    assert "not there yet" in short.answer
    _sentences_come_from_citations(answer)


def test_next_step_belongs_to_the_question(embeddings: MiniLMEmbeddings) -> None:
    composer = GroundedComposer(embeddings)
    answer = composer.compose("How do I find a mentor among leaders?", [P3, P2], 1)
    assert "**Next step:** Seek out seasoned leaders" in answer.answer
    unrelated = composer.compose("What does certification add?", [P1, P2], 1)
    assert "Next step" not in unrelated.answer  # no action that fits any question


def test_no_passages_means_no_answer(embeddings: MiniLMEmbeddings) -> None:
    answer = GroundedComposer(embeddings).compose("What is the pass rate?", [])
    assert answer.verdict == "no_answer" and not answer.citations and answer.reason


def test_missing_figure_quotes_the_closest_sentence(embeddings: MiniLMEmbeddings) -> None:
    related = Candidate(P1.text.split(". ")[0] + ".", 0, 0.6)
    judgement = Judgement(False, 0.1, "cost", True, related)
    answer = GroundedComposer(embeddings).compose(
        "How much does the CPE cost?", [P1], brief=Brief(judgement=judgement)
    )
    assert answer.verdict == "no_answer"
    assert answer.answer.startswith("The guides don't give a figure; they only say: While not")
    assert "[1]" in answer.answer and answer.citations[0].section == "Step 5: Certification"


def test_unknown_name_is_named_in_the_reply(embeddings: MiniLMEmbeddings) -> None:
    judgement = Judgement(False, 0.01, unknown=("cmio",))
    brief = Brief(judgement=judgement, asked="whats a CMIO")
    answer = GroundedComposer(embeddings).compose("what is a CMIO", [P3], brief=brief)
    assert answer.verdict == "no_answer" and not answer.citations
    assert "don't mention CMIO" in answer.answer
    assert "closest they come" not in answer.answer  # nothing but the unknown name to go on


def test_unknown_name_points_to_a_section_sharing_another_term(
    embeddings: MiniLMEmbeddings,
) -> None:
    judgement = Judgement(False, 0.01, unknown=("dyad",))
    brief = Brief(judgement=judgement, asked="what is a dyad model of clinical practice")
    answer = GroundedComposer(embeddings).compose("what is a dyad model", [P3], brief=brief)
    assert answer.verdict == "no_answer" and "don't mention dyad" in answer.answer
    assert 'closest they come is the section "Step 2"' in answer.answer


def test_combine_numbers_citations_across_questions() -> None:
    c1 = Citation(1, "a.md", "A", "S1", "one")
    c2 = Citation(1, "b.md", "B", "S2", "two")
    first = Answer("One [1]", [c1], "answered")
    second = Answer("Two [1] and one again.", [c2], "answered")
    joined = combine([("First?", first), ("Second?", second)])
    assert joined.answer == "**First?**\nOne [1]\n\n**Second?**\nTwo [2] and one again."
    assert [c.text for c in joined.citations] == ["one", "two"]
    none = combine([("A?", Answer("x", verdict="no_answer", reason="r"))] * 2)
    assert none.verdict == "no_answer" and none.reason == "r"
