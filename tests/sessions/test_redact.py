"""Likely patient identifiers are replaced before text is stored; career talk is left alone."""

from __future__ import annotations

import pytest

from bot.sessions.redact import redact

CAUGHT = [
    ("My patient John Smith asked", "My patient [NAME] asked"),
    ("Mrs. Alvarez and Mr Obi-Wan Kenobi came", "Mrs. [NAME] and Mr [NAME] came"),
    ("a patient named Robert Lee", "a patient named [NAME]"),
    ("pt. Jones was upset", "pt. [NAME] was upset"),
    ("DOB 03/12/1961", "DOB [DATE]"),
    ("born on March 3, 1961", "born on [DATE]"),
    ("born in 1961", "born in [DATE]"),
    ("seen on 2024-01-05 and 12 July 1975", "seen on [DATE] and [DATE]"),
    ("the 3rd of March, 1961", "the [DATE]"),
    ("call (617) 555-0143 or 617.555.0143", "call [PHONE] or [PHONE]"),
    ("reach her on +44 20 7946 0958", "reach her on [PHONE]"),
    ("write to maria.alvarez@example.com", "write to [EMAIL]"),
    ("MRN 00482913", "MRN [RECORD]"),
    ("medical record number: A-883311", "medical record number: [RECORD]"),
    ("chart no. 77812, account #12345", "chart no. [RECORD], account #[RECORD]"),
    ("SSN 123-45-6789", "SSN [RECORD]"),
    ("her number 4471923882 again", "her number [PHONE] again"),
    ("reference 88812345671234", "reference [NUMBER]"),
]

KEPT = [
    "How do I become a medical director after 10 years as a hospitalist?",
    "I chair the Patient Safety Committee and the patient experience council.",
    "Patient Experience scores rose 12% in 2019-2021 while I led the unit.",
    "Should I take a $250000 offer or negotiate to 280,000?",
    "Dr. Patel, my mentor, suggested an MBA in 2026.",
    "We cut door-to-needle time to 45 minutes across 3 hospitals and 1,200 beds.",
]


@pytest.mark.parametrize(("text", "expected"), CAUGHT)
def test_identifiers_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_career_talk_is_kept(text: str) -> None:
    assert redact(text) == text


def test_the_guides_are_untouched() -> None:
    from tests.helpers import CORPUS

    for guide in CORPUS.glob("*.md"):
        text = guide.read_text("utf-8")
        assert redact(text) == text, guide.name


def test_redaction_is_stable() -> None:
    once = redact(CAUGHT[0][0] + " " + CAUGHT[4][0])
    assert redact(once) == once
