"""The support check: labelled precision/recall, novelty rules, draft parsing and renumbering."""

from __future__ import annotations

import pytest
import yaml

from bot.answer.support import (
    AnswerChecker,
    SupportChecker,
    is_connective,
    names,
    novelties,
    numbers,
    parse_markers,
    split_draft,
)
from bot.ingest.embeddings import MiniLMEmbeddings
from tests.helpers import DATA

LABELLED = DATA / "support_labelled.yaml"

EXPERIENCE = (
    "Before stepping into a leadership role, Medical Directors need substantial clinical "
    "experience. Most Medical Directors have at least 5-10 years of clinical practice. This "
    "experience is crucial for developing the medical and interpersonal skills required for the "
    "role."
)
CERTIFICATION = (
    "While not always required, certification can enhance your credentials. The American Board of "
    "Medical Management offers a Certified Physician Executive (CPE) credential, which is highly "
    "respected in the field. The certification process typically involves completing a series of "
    "courses and passing an exam."
)
MENTORSHIP = (
    "Finding a mentor who has experience in healthcare leadership can provide invaluable guidance. "
    "Many professional organizations offer formal mentorship programs. These programs match you "
    "with experienced leaders who can provide structured guidance and support."
)
PASSAGES = [EXPERIENCE, CERTIFICATION, MENTORSHIP]


@pytest.fixture(scope="module")
def checker(embeddings: MiniLMEmbeddings) -> SupportChecker:
    return SupportChecker(embeddings)


def test_labelled_precision_and_recall(checker: SupportChecker) -> None:
    data = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    items = data["items"]
    assert len(items) >= 100
    checker.warm([i["sentence"] for i in items])
    for text in data["passages"].values():
        checker.warm_passages([], [text])
    pred = [checker.support(i["sentence"], data["passages"][i["passage"]]).supported for i in items]
    gold = [bool(i["supported"]) for i in items]
    tp = sum(p and g for p, g in zip(pred, gold, strict=True))
    precision, recall = tp / sum(pred), tp / sum(gold)
    assert precision >= 0.93, precision
    assert recall >= 0.88, recall
    # Hard rules: no invented number, dose or organisation ever passes.
    for item, p in zip(items, pred, strict=True):
        if item["kind"] in {"invented_number", "dose", "invented_org", "wrong_passage"}:
            assert not p, item["sentence"]


def test_numbers_read_digits_and_words() -> None:
    assert numbers("Five to ten years") == {"5", "10"}
    assert numbers("It costs $2,500 and 95% pass") == {"2500", "95"}
    assert numbers("one of the key skills") == set()


def test_names_skip_the_first_word_but_not_acronyms() -> None:
    assert names("Join the AAPL and attend the Summit.") == {"aapl", "summit"}
    assert names("Leadership matters for a Medical Director.") == set()
    assert "cpe" in names("CPE is respected.")


def test_novelties_flag_doses_numbers_and_organisations() -> None:
    assert "dosing:mg" in novelties("Give 25 mg of metoprolol twice daily.", EXPERIENCE)
    assert "number:15" in novelties("At least 15 years of practice.", EXPERIENCE)
    assert novelties("Most need 5-10 years of clinical practice.", EXPERIENCE) == ()
    assert "name:harvard" in novelties("Harvard Business School offers it.", CERTIFICATION)


def test_connectives_carry_no_fact() -> None:
    assert is_connective("Here is what the guides say:")
    assert is_connective("Great question!")
    assert not is_connective("You should get an MBA.")
    assert not is_connective("Most directors have 10 years of practice.")
    assert not is_connective("Mentors are usually paid by the hospital.")


def test_split_draft_keeps_markers_and_moves_them_before_the_stop() -> None:
    draft = "Intro line:\n\n- First claim here. [1] Second claim [2, 3].\n[Passage 2] Third one."
    found = split_draft(draft)
    assert [s.claim for s in found] == [
        "Intro line:",
        "First claim here.",
        "Second claim.",
        "Third one.",
    ]
    assert [s.markers for s in found] == [(), (1,), (2, 3), (2,)]
    assert found[1].prefix == "- " and found[1].paragraph == 1
    assert parse_markers("a [1] b [2,3] c [Source 4]") == (1, 2, 3, 4)


def test_split_draft_strips_copied_headings_and_cut_off_tail() -> None:
    draft = "[1] Step 5: Certification: Certification can enhance credentials. It also needs"
    found = split_draft(draft, ["Step 5: Certification"])
    assert [s.claim for s in found] == ["Certification can enhance credentials."]


def test_check_drops_invented_and_renumbers(checker: SupportChecker) -> None:
    draft = (
        "Here is what the guides say:\n"
        "- Many professional organizations offer formal mentorship programs [3].\n"
        "- Most Medical Directors have at least 5-10 years of clinical practice [1].\n"
        "- The CPE exam costs $2,500 and has a 95% pass rate [2].\n"
        "- Mentors can help you find a mentor program [9]. You should take 50 mg of metoprolol."
    )
    checked = AnswerChecker(checker).check(draft, PASSAGES)
    assert "2,500" not in checked.text and "metoprolol" not in checked.text
    assert "[9]" not in checked.text
    assert checked.cited[:2] == [2, 0]  # renumbered by first appearance
    assert "mentorship programs [1]." in checked.text
    assert "clinical practice [2]." in checked.text
    assert checked.text.startswith("Here is what the guides say:")
    assert checked.dropped >= 2


def test_check_repoints_a_wrong_marker(checker: SupportChecker) -> None:
    draft = "Most Medical Directors have at least 5-10 years of clinical practice [3]."
    checked = AnswerChecker(checker).check(draft, PASSAGES)
    assert checked.cited == [0]
    assert checked.decisions[0].reason == "repointed"
    assert checked.text.endswith("clinical practice [1].")


def test_check_cites_an_uncited_supported_sentence(checker: SupportChecker) -> None:
    checked = AnswerChecker(checker).check(
        "The American Board of Medical Management offers the CPE credential.", PASSAGES
    )
    assert checked.cited == [1] and checked.text.endswith("[1].")
