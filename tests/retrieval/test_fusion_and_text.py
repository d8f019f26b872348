import pytest

from bot.errors import BotError
from bot.retrieval.condense import condense, is_follow_up
from bot.retrieval.hybrid import near_duplicate, rrf
from bot.text import expansions, sentences, topic_terms
from bot.validate import check_k, check_session_id, clean_text


def test_rrf_rewards_agreement() -> None:
    fused = rrf([["a", "b", "c"], ["c", "b", "d"]])
    assert fused[0] == "b" or fused[0] == "c"
    assert fused.index("b") < fused.index("a")
    assert set(fused) == {"a", "b", "c", "d"}


def test_rrf_weights() -> None:
    assert rrf([["a"], ["b"]], [1.0, 2.0])[0] == "b"


def test_near_duplicates() -> None:
    a = "Most Medical Directors have at least 5-10 years of clinical practice."
    assert near_duplicate(a, a.replace("Most", "Many"))
    assert not near_duplicate(a, "Mentors help you navigate your career path.")


def test_follow_ups_carry_the_topic() -> None:
    assert is_follow_up("Who awards it?")
    assert is_follow_up("and the interview?")
    assert not is_follow_up("What skills does a medical director need for budgeting?")
    assert condense("Who awards it?", ["What is the CPE credential?"]) == (
        "What is the CPE credential? Who awards it?"
    )
    assert condense("Who awards it?", []) == "Who awards it?"
    assert condense("How do I prepare for interviews?", ["What is CPE?"]) == (
        "How do I prepare for interviews?"
    )


def test_text_helpers() -> None:
    assert sentences("One thing. Two things! Three?") == ["One thing.", "Two things!", "Three?"]
    assert "director" not in topic_terms("medical director salary")
    assert "year" in expansions("How long does it take?")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "empty_message"),
        ("   \n\t", "empty_message"),
        (123, "invalid_message"),
        (None, "invalid_message"),
        ("x" * 4001, "too_long"),
        ("\x00\x01", "empty_message"),
    ],
)
def test_bad_messages(value: object, code: str) -> None:
    with pytest.raises(BotError) as err:
        clean_text(value, 4000)
    assert err.value.code == code and err.value.status == 400


def test_clean_text_keeps_unicode_and_strips_controls() -> None:
    assert (
        clean_text("  Qu'est-ce qu'un CPE? 医疗主任 \x00 ", 100) == "Qu'est-ce qu'un CPE? 医疗主任"
    )


def test_session_and_k_checks() -> None:
    assert check_session_id(None) is None
    assert check_session_id("abc-123") == "abc-123"
    with pytest.raises(BotError):
        check_session_id("../etc/passwd")
    assert check_k(3) == 3
    for bad in (0, 21, True, "5", 2.5):
        with pytest.raises(BotError):
            check_k(bad)
