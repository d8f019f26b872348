import pytest

from bot.coach import Coach


def test_hybrid_finds_the_answering_passage(coach: Coach) -> None:
    passages = coach.retrieve("What is the CPE credential and who offers it?", 3)
    assert "American Board of Medical Management" in passages[0].text
    assert passages[0].section == "Step 5: Certification"
    assert all(0 <= p.score <= 1 for p in passages)


def test_lexical_half_catches_acronyms(coach: Coach) -> None:
    passages = coach.retrieve("MBA or MHA?", 5)
    assert any("MBA" in p.text for p in passages[:3])


def test_results_are_deduplicated_and_bounded(coach: Coach) -> None:
    passages = coach.retrieve("mentorship programs for physician leaders", 6)
    assert 1 <= len(passages) <= 6
    assert len({p.text for p in passages}) == len(passages)


def test_relevance_floor_returns_nothing_for_unrelated_text(coach: Coach) -> None:
    assert coach.retrieve("best pizza dough hydration for a home oven", 5) == []
    assert coach.retrieve("How much does a medical director earn in Texas?", 5) == []


@pytest.mark.slow  # the eval's retrieval comparison
def test_hybrid_beats_naive_baseline_at_600_chars(coach: Coach) -> None:
    from bot.evaluate import load_questions, retrieval_report

    report = retrieval_report(coach, load_questions()["questions"])
    assert report["hybrid@600"] > report["naive@600"]
    assert report["hybrid@1500"] >= report["naive@1500"]
