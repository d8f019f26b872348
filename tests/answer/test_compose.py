import re

from bot.answer.compose import GroundedComposer, lead_in
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.schemas import Passage

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


def test_answer_sentences_come_from_cited_passages(embeddings: MiniLMEmbeddings) -> None:
    answer = GroundedComposer(embeddings).compose("Who offers the CPE credential?", [P1, P2, P3])
    assert answer.verdict == "answered"
    assert "American Board of Medical Management" in answer.answer
    by_n = {c.n: c for c in answer.citations}
    for line in answer.answer.splitlines():
        match = re.match(r"^(?:- |\*\*Next step:\*\* )(.*) \[(\d+)\]$", line)
        if not match:
            continue
        body, n = match.groups()
        for sentence in re.split(r"(?<=[.!?])\s+", body):
            assert sentence in by_n[int(n)].text


def test_citations_are_numbered_in_order_and_all_used(embeddings: MiniLMEmbeddings) -> None:
    answer = GroundedComposer(embeddings).compose("How long and what credentials?", [P1, P2, P3])
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
    assert (
        sorted(set(markers))
        == [c.n for c in answer.citations]
        == list(range(1, len(answer.citations) + 1))
    )
    assert markers[0] == 1


def test_next_step_is_an_action_from_the_guides(embeddings: MiniLMEmbeddings) -> None:
    answer = GroundedComposer(embeddings).compose("How many years of practice?", [P3, P2], main=1)
    assert "**Next step:**" in answer.answer
    step = answer.answer.split("**Next step:** ")[1]
    assert step.startswith(("Seek", "Enroll"))


def test_no_passages_means_no_answer(embeddings: MiniLMEmbeddings) -> None:
    answer = GroundedComposer(embeddings).compose("What is the pass rate?", [])
    assert answer.verdict == "no_answer" and not answer.citations and answer.reason


def test_lead_in_follows_intent() -> None:
    assert lead_in("How long does it take?").startswith("On timing")
    assert lead_in("Do I need an MBA?").startswith("On credentials")
    assert lead_in("Tell me something") == "Here is what the guides say:"
