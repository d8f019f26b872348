"""The question bank: shape, coverage of competencies and settings, and verbatim guide quotes."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from bot.interview.bank import (
    COMPETENCY_IDS,
    DIMENSIONS,
    SETTINGS,
    Bank,
    Competency,
    Dimension,
    validate_bank,
)
from bot.interview.guides import Guides
from tests.helpers import CORPUS


def raw_sections(path: Path) -> list[tuple[str, str]]:
    """Split a guide's raw Markdown into (heading, body) pairs, independently of the bot code."""
    text = path.read_text(encoding="utf-8")
    parts = re.split(r"^#{1,6}[ \t]+(.+?)[ \t]*$", text, flags=re.M)
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def test_bank_is_valid(bank: Bank, guides: Guides) -> None:
    assert validate_bank(bank, guides) == []


def test_every_quote_is_verbatim_in_the_named_section(bank: Bank) -> None:
    for question in bank.questions:
        for point in question.key_points:
            path = CORPUS / point.source
            assert path.is_file(), f"{question.id}/{point.id}: no guide {point.source}"
            bodies = [body for heading, body in raw_sections(path) if heading == point.section]
            assert bodies, f"{question.id}/{point.id}: no section {point.section!r}"
            assert any(point.quote in body for body in bodies), (
                f"{question.id}/{point.id}: quote not verbatim in {point.source} § {point.section}"
            )
            assert point.quote.endswith((".", "!", "?")), f"{point.quote!r} is not a sentence"


def test_every_competency_has_enough_varied_questions(bank: Bank) -> None:
    assert [c.id for c in bank.competencies] == list(COMPETENCY_IDS)
    for competency in COMPETENCY_IDS:
        questions = bank.for_competency(competency)
        assert len(questions) >= 4, competency
        assert {q.kind for q in questions} == {"behavioral", "situational"}, competency
    behavioural = [q for q in bank.questions if q.kind == "behavioral"]
    assert all(re.match(r"(Tell me about|Describe|Give an example)", q.text) for q in behavioural)


def test_questions_have_follow_ups_and_key_points(bank: Bank) -> None:
    for question in bank.questions:
        assert 2 <= len(question.follow_ups) <= 3, question.id
        assert 3 <= len(question.key_points) <= 5, question.id
        ids = {p.id for p in question.key_points}
        assert all(f.key_point in ids for f in question.follow_ups), question.id
        assert question.text.endswith("?") or question.text.endswith("."), question.id


def test_settings_are_tagged_and_some_questions_fit_any_setting(bank: Bank) -> None:
    tagged = {s for q in bank.questions for s in q.settings}
    assert tagged == set(SETTINGS)
    assert any(not q.settings for q in bank.questions)


def test_competencies_and_dimensions_point_to_real_sections(bank: Bank, guides: Guides) -> None:
    assert [d.id for d in bank.dimensions] == list(DIMENSIONS)
    owners: list[Competency | Dimension] = [*bank.competencies, *bank.dimensions]
    for owner in owners:
        assert owner.name and owner.advice and owner.read
        for pointer in owner.read:
            assert guides.named(pointer.source, pointer.section), pointer


def test_validation_reports_a_quote_that_is_not_in_the_guide(bank: Bank, guides: Guides) -> None:
    question = bank.questions[0]
    point = dataclasses.replace(question.key_points[0], quote="Medical directors love paperwork.")
    broken = dataclasses.replace(question, key_points=(point, *question.key_points[1:]))
    tampered = dataclasses.replace(bank, questions=(broken, *bank.questions[1:]))
    problems = validate_bank(tampered, guides)
    assert len(problems) == 1
    assert "quote not found verbatim" in problems[0]


def test_validation_reports_a_wrong_section(bank: Bank, guides: Guides) -> None:
    question = bank.questions[0]
    point = dataclasses.replace(question.key_points[0], section="Conclusion")
    broken = dataclasses.replace(question, key_points=(point, *question.key_points[1:]))
    problems = validate_bank(dataclasses.replace(bank, questions=(broken,)), guides)
    assert any("Conclusion" in p for p in problems)
