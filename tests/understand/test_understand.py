"""Question understanding: normalising casual typing, context versus questions."""

from __future__ import annotations

import pytest

from bot.coach import Coach
from bot.understand import Context, Understander
from bot.understand.normalise import edit_distance


@pytest.fixture(scope="module")
def understander(coach: Coach) -> Understander:
    """The Coach's understanding stage: the guides' words and the model's vocabulary."""
    return coach.understander


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("tips for med director interveiw", "tips for medical director interview"),
        ("how many yrs b4 i can apply", "how many years before i can apply"),
        ("leadrship courses worth it?", "leadership courses worth it?"),
        ("what shoud my cv say", "what should my resume say"),
        ("conflict btwn depts", "conflict between departments"),
        ("upside of going exec", "upside of going executive"),
    ],
)
def test_casual_typing_is_normalised(understander: Understander, typed: str, expected: str) -> None:
    assert understander.normalise(typed) == expected


def test_names_and_words_the_guides_never_use_are_kept(understander: Understander) -> None:
    assert understander.normalise("whats a CMIO") == "what is a CMIO"
    assert understander.normalise("what is a dyad model") == "what is a dyad model"
    assert understander.normalise("Could I realistically move?") == "Could I realistically move?"
    assert understander.normalise("the ED and the med dept") == (
        "the emergency department and the med department"
    )


def test_an_acronym_typed_in_capitals_is_not_a_typo(understander: Understander) -> None:
    # "fache" is one edit from the guides' "face"; typed in capitals it is an acronym.
    assert understander.normalise("What's the FACHE exam like?") == "what is the FACHE exam like?"
    assert understander.normalise("leadrship") == "leadership"


def test_edit_distance_counts_a_transposition_once() -> None:
    assert edit_distance("interveiw", "interview", 2) == 1
    assert edit_distance("sucess", "success", 1) == 1
    assert edit_distance("cmio", "cme", 1) == 2  # above the limit: limit + 1


def test_context_is_split_from_the_question(understander: Understander) -> None:
    u = understander.understand(
        "Ortho surgeon, 12 yrs in, tired of call. Could I realistically move into a director job?"
    )
    assert u.asked == ("Could I realistically move into a director job?",)
    assert u.context.specialty == "orthopaedic surgeon" and u.context.years == 12
    assert u.context.said == ("Ortho surgeon, 12 yrs in, tired of call.",)
    assert "director role" in u.questions[0]


@pytest.mark.parametrize(
    ("message", "parts"),
    [
        (
            "How long does it usually take to become a medical director, and do I need an MBA?",
            ["How long does it usually take to become a medical director", "Do I need an MBA?"],
        ),
        (
            "Two things: what should my resume highlight, and how do I prepare for the interview?",
            ["What should my resume highlight", "How do I prepare for the interview?"],
        ),
        (
            "Which skills matter most? How do I build them while still working clinically?",
            ["Which skills matter most?", "How do I build them while still working clinically?"],
        ),
        ("What are the challenges and rewards of the role?", None),
        # a lead-in that asks nothing is not a question of its own
        ("Beyond knowing the regulations, what else does compliance involve for a director?", None),
        (
            "How long does it take, and do I need an MBA, and what does it cost?",
            ["How long does it take", "Do I need an MBA", "What does it cost?"],
        ),
        ("How do I balance budgets and quality?", None),
        # alternatives joined by "or" are one question
        ("Can a DO become a medical director, or do you need an MD?", None),
        ("Is the director job just more meetings, or does the pay match the load?", None),
        # "plus" after an article is a noun, not a joiner: "a plus" ends no question
        ("Is my locum background a plus when I apply to lead?", None),
    ],
)
def test_several_questions_are_answered_separately(
    understander: Understander, message: str, parts: list[str] | None
) -> None:
    assert list(understander.understand(message).asked) == (parts or [message])


def test_leading_context_clause_and_facts(understander: Understander) -> None:
    u = understander.understand(
        "As a psychiatrist in an academic center, how do I get noticed by the people who hire?"
    )
    assert u.asked == ("How do I get noticed by the people who hire?",)
    assert u.context.specialty == "psychiatrist"
    assert u.context.setting == "academic medical center"


@pytest.mark.parametrize(
    "typed",
    ["public speaking - how important for med directors", "Board certification: do I need it?"],
)
def test_a_lead_that_names_the_topic_stays_in_the_question(
    understander: Understander, typed: str
) -> None:
    u = understander.understand(typed)
    assert u.asked == (typed,) and not u.context
    # a lead about the person is still context
    said = understander.understand("Pediatrician, 9 yrs - how do I move into leadership?")
    assert said.asked == ("How do I move into leadership?",)
    assert said.context.years == 9


def test_years_of_a_committee_are_not_years_of_practice(understander: Understander) -> None:
    u = understander.understand("I've chaired our sepsis committee for two years. What next?")
    assert u.context.years is None and u.context.role == "committee chair"
    assert understander.understand("EM doc, 10 years. What next?").context.years == 10


def test_a_vague_question_borrows_the_topic_of_the_sentence_before(
    understander: Understander,
) -> None:
    u = understander.understand("I hate conflict. How do I get better at it?")
    assert u.asked == ("How do I get better at it?",)  # the person's words, for headings
    assert "conflict" in u.questions[0]  # it means nothing alone: the query carries the topic
    assert u.borrowed == ("",)
    assert u.bare == ("I hate conflict. How do I get better at it?",)  # judged as typed


def test_a_question_of_its_own_keeps_its_preamble_out_of_the_query(
    understander: Understander,
) -> None:
    u = understander.understand(
        "EM attending, 3 years out of residency and impatient. How long does it take to get to "
        "director?"
    )
    assert u.questions == ("How long does it take to get to director?",)  # retrieval reads this
    assert "impatient" in u.borrowed[0]  # read as well; answerability picks the reading
    assert u.context.years == 3


def test_a_preamble_keeps_the_lead_of_a_question_of_its_own(coach: Coach) -> None:
    """Paraphrase consistency: with or without a preamble, the same verdict and lead passage."""
    plain = coach.ask("How long does it take to get to director?")
    personal = coach.ask(
        "EM attending, 3 years out of residency and impatient. How long does it take to get to "
        "director?"
    )
    assert plain.verdict == personal.verdict == "answered"
    assert plain.citations[0].text.split(" … ")[0] == personal.citations[0].text.split(" … ")[0]


def test_goal(understander: Understander) -> None:
    u = understander.understand(
        "I'd like to become medical director of our clinic. Where to start?"
    )
    assert "like to become medical director" in u.context.goal
    # "How should I answer: ..." is routed by the one learned detector (tests/interview).
    assert not hasattr(u, "intent")


def test_context_merges_over_turns_and_round_trips() -> None:
    first = Context(specialty="hospitalist", years=6, said=("hospitalist, 6 yrs",))
    later = first.merged(Context(setting="community hospital", years=7))
    assert later.specialty == "hospitalist" and later.years == 7
    assert later.setting == "community hospital"
    assert Context.from_dict(later.public()) == later
    assert not Context() and Context.from_dict({"years": "x"}) == Context()


def test_message_without_question_is_the_question(understander: Understander) -> None:
    u = understander.understand("frankly I'm scared I'll become a paper-pusher as a director")
    assert u.asked == ("frankly I'm scared I'll become a paper-pusher as a director",)


@pytest.mark.parametrize(
    ("message", "lead"),
    [
        (
            "My chair keeps saying directors need financial acumen. What does that actually mean "
            "day to day?",
            "Financial acumen means",
        ),
        (
            "Everyone tells me strategic planning is what separates directors from paper-pushers. "
            "What does it involve in practice?",
            "A director without strategic planning skills",
        ),
    ],
)
def test_a_question_that_points_back_is_read_with_its_preamble(
    coach: Coach, message: str, lead: str
) -> None:
    """Alone, "what does that mean?" could mean anything; the sentence before says what."""
    answer = coach.ask(message)
    assert answer.verdict == "answered"
    assert answer.answer.startswith(lead)
