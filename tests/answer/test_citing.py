"""One number per guide section: merged citations and renumbered markers."""

from __future__ import annotations

from bot.answer.citing import JOIN, merge_sections
from bot.schemas import Answer, Citation
from bot.text import parse_markers


def _cite(n: int, section: str, text: str, source: str = "guide.md") -> Citation:
    return Citation(n, source, "Guide", section, text)


def test_two_passages_of_one_section_share_a_number() -> None:
    answer = Answer(
        "Lead in.\n- First point. [1]\n- Other section. [2]\n- Same section again. [3]\n"
        "**Next step:** do it [3] [1]",
        [
            _cite(1, "Mentors", "Find a mentor."),
            _cite(2, "CME", "Keep learning."),
            _cite(3, "Mentors", "Meet monthly."),
        ],
    )
    merged = merge_sections(answer)
    assert [(c.n, c.section) for c in merged.citations] == [(1, "Mentors"), (2, "CME")]
    assert merged.citations[0].text == "Find a mentor." + JOIN + "Meet monthly."
    assert "Same section again. [1]" in merged.answer
    assert merged.answer.endswith("do it [1]")  # "[1] [1]" collapses to one marker
    assert set(parse_markers(merged.answer)) == {1, 2}


def test_same_section_name_in_two_guides_stays_apart() -> None:
    answer = Answer(
        "A [1] B [2, 1]", [_cite(1, "Intro", "a", "one.md"), _cite(2, "Intro", "b", "two.md")]
    )
    merged = merge_sections(answer)
    assert merged.answer == "A [1] B [2, 1]"
    assert [c.n for c in merged.citations] == [1, 2]


def test_a_list_marker_is_deduplicated() -> None:
    answer = Answer("A [1, 2]", [_cite(1, "S", "x"), _cite(2, "S", "y")])
    assert merge_sections(answer).answer == "A [1]"


def test_the_composer_numbers_each_section_once(coach) -> None:  # type: ignore[no-untyped-def]
    answer = coach.ask("Why is CME important for medical directors?")
    keys = [(c.source, c.section) for c in answer.citations]
    assert keys and len(keys) == len(set(keys))
    assert set(parse_markers(answer.answer)) == {c.n for c in answer.citations}
