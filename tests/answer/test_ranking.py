"""Sentence ranking: the learned choice of the sentence that answers, and how many to keep."""

from __future__ import annotations

import numpy as np
import pytest

from bot.answer.ranking import (
    FEATURES,
    MAX_SENTENCES,
    NEIGHBOUR_RATIO,
    PRECEDENT,
    SUPPORT_RATIO,
    VOTE,
    Precedents,
    Scored,
    _with_precedents,
    fit_weights,
    roots,
    select,
)
from bot.coach import Coach
from bot.config import Settings
from bot.prompts import load_data

SHIPPED = load_data("sentence_ranker.yaml", Settings().prompts_dir)["model"]


def test_shipped_model_matches_the_features_and_its_figures() -> None:
    assert SHIPPED["features"] == list(FEATURES)
    assert len(SHIPPED["coef"]) == len(SHIPPED["mean"]) == len(SHIPPED["scale"]) == len(FEATURES)
    cv = SHIPPED["cv"]
    assert cv["questions"] >= 150
    # Question-grouped cross-validation: each question ranked by a model fitted without it.
    assert cv["top1_gold"] >= 0.65 and cv["selected_gold"] >= 0.85
    assert cv["selected_sentences"] <= 3.0  # an answer, not a dump


def test_fit_learns_which_feature_marks_the_gold_sentence() -> None:
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(40):
        x = rng.normal(size=(8, len(FEATURES)))
        gold = int(rng.integers(8))
        x[gold, 0] += 2.5  # the gold sentence is the closest to the question
        groups.append({"x": x, "y": [int(i == gold) for i in range(8)]})
    model = fit_weights(groups)
    assert model["coef"][0] == max(model["coef"])


def _s(text: str, passage: int, order: int, score: float) -> Scored:
    return Scored(text, passage, order, score)


def test_select_keeps_close_sentences_and_the_leads_neighbour() -> None:
    lead = _s("lead", 0, 1, 0.0)
    neighbour = _s("beside the lead", 0, 2, np.log(NEIGHBOUR_RATIO) + 0.01)
    close = _s("close elsewhere", 1, 0, np.log(SUPPORT_RATIO) + 0.01)
    far = _s("far elsewhere", 2, 0, np.log(SUPPORT_RATIO) - 0.01)
    chosen = select(sorted([far, neighbour, lead, close], key=lambda s: -s.score))
    assert chosen == [lead, neighbour, close]
    many = [_s(f"s{i}", i, 0, -0.01 * i) for i in range(10)]
    assert len(select(many)) == MAX_SENTENCES
    assert select([]) == []


def test_roots_match_word_forms() -> None:
    assert roots("How is success measured?") & roots("Measuring Success")
    assert "measu" in roots("measured")


@pytest.mark.parametrize(
    ("question", "gold"),
    [
        ("How is a medical director's success measured?", "A drop in readmission rates"),
        ("Who awards the CPE credential?", "American Board of Medical Management"),
        ("Does a fellowship help for medical director jobs?", "more competitive"),
    ],
)
def test_answers_hold_the_sentence_that_answers(coach: Coach, question: str, gold: str) -> None:
    answer = coach.ask(question)
    assert answer.verdict == "answered" and gold in answer.answer, answer.answer


# --------------------------------------------------------------------------- precedents

CREDIBLE = "the language of policy and finance alongside your clinical fluency"
HOLDS = f"The more you speak {CREDIBLE}."


def _book(embeddings, entries):  # type: ignore[no-untyped-def]
    return Precedents(embeddings, entries)


def test_precedent_feature_is_the_nearest_labelled_question_that_sentence_answered(
    embeddings,  # type: ignore[no-untyped-def]
) -> None:
    book = _book(
        embeddings,
        [
            {"q": "How do I get executives to take me seriously?", "gold": [CREDIBLE]},
            {"q": "How long does it take to become a director?", "gold": ["5-10 years", CREDIBLE]},
        ],
    )
    holds = HOLDS
    other = "Leadership skills are paramount for a Medical Director."
    qvec = np.asarray(embeddings.embed_query("How can I be credible with the C-suite?"))
    cols = book.closest(qvec, [holds, other])
    sims = book.similarities(qvec)
    assert cols[0, 0] == pytest.approx(float(sims.max())) and cols[0, 0] > 0.0
    assert cols[1, 0] == 0.0 and cols[1, 1] == 0.0  # it answered no labelled question
    # first-listed only: the second question lists the sentence second, so only the first counts
    assert cols[0, 1] == pytest.approx(float(sims[0]))
    # a masked-out question (its own paraphrase group, in fitting) is never a precedent
    masked = book.closest(qvec, [holds], allowed=np.asarray([False, False]))
    assert masked[0, 0] == 0.0


def test_vote_weighs_the_nearest_labelled_questions_by_similarity(embeddings) -> None:  # type: ignore[no-untyped-def]
    other = "Leadership skills are paramount for a Medical Director."
    book = _book(
        embeddings,
        [
            {"q": "How do I get executives to take me seriously?", "gold": [CREDIBLE]},
            {"q": "How can I earn credibility with hospital executives?", "gold": [CREDIBLE]},
            {"q": "What skills does a medical director need?", "gold": [other]},
            {"q": "Which skills matter for a director?", "gold": ["blend", other]},
        ],
    )
    qvec = np.asarray(embeddings.embed_query("How can I be credible with the C-suite?"))
    sims = book.similarities(qvec)
    votes = book.vote(sims, [HOLDS, other, "A sentence no one chose."])
    # two near questions chose the first sentence, one far question the second (the fourth
    # lists it second, so its vote does not count): the shares sum to at most one
    assert votes[0] > 0.9 > votes[1] > 0.0 and votes[2] == 0.0
    assert votes.sum() <= 1.0 + 1e-9
    # questions masked out (their own paraphrase group, in fitting) never vote
    masked = book.vote(sims, [HOLDS, other], allowed=np.asarray([False, False, True, True]))
    assert masked[0] == 0.0 and 0.0 < masked[1] < 1.0  # the fourth question takes a share
    assert _book(embeddings, []).vote(np.zeros(0), [HOLDS]).tolist() == [0.0]


def test_nearest_lends_gold_only_above_the_floor(embeddings) -> None:  # type: ignore[no-untyped-def]
    book = _book(embeddings, [{"q": "Do directors still see patients?", "gold": ["blend"]}])
    near = np.asarray(embeddings.embed_query("Do medical directors still see patients?"))
    far = np.asarray(embeddings.embed_query("What should my resume highlight?"))
    assert book.nearest(near) == ["blend"]
    assert book.nearest(far) == []
    assert _book(embeddings, []).nearest(near) == []


def test_fitting_never_lets_a_question_be_its_own_precedent(embeddings) -> None:  # type: ignore[no-untyped-def]
    found = [
        Scored(
            HOLDS,
            0,
            0,
            0.0,
        ),
        Scored("Leadership skills are paramount.", 0, 1, 0.0),
    ]
    qvec = np.asarray(embeddings.embed_query("How do I get executives to take me seriously?"))
    group = {
        "q": "q",
        "group": "g1",
        "found": found,
        "x": np.zeros((2, len(FEATURES))),
        "y": [1, 0],
        "qvec": qvec,
    }
    entries = [
        {"q": "How do I get executives to take me seriously?", "gold": [CREDIBLE], "group": "g1"}
    ]
    book = _book(embeddings, entries)
    alone = _with_precedents([dict(group)], book, ["g1"], set())
    assert alone[0]["x"][:, PRECEDENT].tolist() == [0.0, 0.0]
    other = _with_precedents([{**group, "group": "g2"}], book, ["g1"], set())
    assert other[0]["x"][0, PRECEDENT] == pytest.approx(1.0, abs=1e-4)
    assert alone[0]["x"][:, VOTE].tolist() == [0.0, 0.0]
    assert other[0]["x"][0, VOTE] == pytest.approx(1.0)
    hidden = _with_precedents([{**group, "group": "g2"}], book, ["g1"], {"g1"})
    assert hidden[0]["x"][0, PRECEDENT] == 0.0 and hidden[0]["x"][0, VOTE] == 0.0


def test_a_near_labelled_question_lends_its_gold_passage(coach: Coach) -> None:
    question = "How do I get hospital executives to take me seriously as a physician?"
    shipped = coach.precedents
    try:
        coach.precedents = Precedents(coach.embeddings, [{"q": question, "gold": [CREDIBLE]}])
        plan = coach._plan(question, [])
        assert any(CREDIBLE in p.text.replace("’", "'") for p in plan.parts[0].passages[:4])
        coach.precedents = Precedents(coach.embeddings, [])
        bare = coach._plan(question, [])
    finally:
        coach.precedents = shipped
    # the verdict is judged before a passage is lent, so lending never changes it
    assert plan.parts[0].brief.judgement.answerable == bare.parts[0].brief.judgement.answerable
