"""Grounded composer: build a cited coaching answer from retrieved sentences only, no LLM."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from bot.ingest.embeddings import MiniLMEmbeddings
from bot.schemas import Answer, Citation, Passage
from bot.text import expansions, is_framing, sentences, stem, topic_terms

ANSWER_FLOOR = 0.30  # best sentence score below this: the guides do not answer the question
KEEP_RATIO = 0.70  # keep sentences scoring at least this share of the best one
KEEP_FLOOR = 0.28
MAX_SENTENCES = 5
LEXICAL_WEIGHT = 0.35
PASSAGE_WEIGHT = 0.5  # share of a sentence's score that comes from its passage's retrieval rank
RANK_STEP = 0.03
INTRO_PENALTY = 0.08  # a guide's untitled opening section is mostly framing
NO_ANSWER_REASON = "The guides do not cover this question."

_LEAD_INS: list[tuple[str, str]] = [
    (
        r"\bhow long\b|\btimeline\b|\bhow many years\b|\bwhen (can|should|will)\b",
        "On timing, here is what the guides say:",
    ),
    (
        r"\bcertif|\bcredential|\bdegree\b|\bmba\b|\bmha\b|\bcpe\b|\beducation\b|\bqualif|\bfellowship",
        "On credentials and training, the guides point to this:",
    ),
    (
        r"\binterview|\bresume|\bcv\b|\bapply|\bjob search|\bhired\b|\bland (a|the)\b",
        "For the job search itself, the guides advise:",
    ),
    (r"\bskills?\b|\bcompetenc|\bqualities\b", "The guides single out these skills:"),
    (r"\bmentor", "On mentorship, the guides say:"),
    (r"\bsuccess\b|\bmetric|\bmeasure|\boutcome", "On measuring success, the guides say:"),
    (
        r"\bhow (do|can|should) i\b|\bsteps?\b|\bpath|\bbecome\b|\btransition",
        "Here is the path the guides lay out:",
    ),
    (
        r"\bwhat (is|does|are)\b|\brole\b|\bduties\b|\bresponsib",
        "Here is how the guides describe it:",
    ),
]
_DEFAULT_LEAD_IN = "Here is what the guides say:"
_META = re.compile(r"\b(this|the) guide\b|\bhere are the steps\b", re.I)
_NUMBER = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|a few)"
# What a question asks for, and what a sentence that answers it contains.
_ANSWER_TYPES: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (
        re.compile(r"\bhow long\b|\bhow many years\b|\btimeline\b|\bhow soon\b", re.I),
        re.compile(rf"\b{_NUMBER}\b[\w\s-]{{0,12}}\b(years?|months?)\b", re.I),
    ),
    (
        re.compile(r"^\s*who\b|\bwhich (board|organi[sz]ation|body)\b", re.I),
        re.compile(r"\b[A-Z][a-z]+ (?:[A-Z][a-z]+ |of )+[A-Z][a-z]+\b"),
    ),
]
ANSWER_TYPE_BONUS = 0.12
_ACTION = re.compile(
    r"^(Seek|Push|Enroll|Become|Explore|Consider|Prepare|Tailor|Use|Invest|Stay|Treat|Find|Join|"
    r"Attend|Take|Lead|Build|Ask|Start|Research|Keep|Skip|Look|Be ready|Connect)\b"
)


@dataclass
class Scored:
    """A candidate sentence with where it came from and how well it answers."""

    text: str
    passage: int
    order: int
    score: float
    lexical: float = 0.0


@dataclass
class Composition:
    """The composer's selection: sentences per passage and an optional next step."""

    picked: list[Scored] = field(default_factory=list)
    next_step: Scored | None = None


def lead_in(question: str) -> str:
    """Return a short framing sentence for the answer, chosen by the question's intent."""
    for pattern, text in _LEAD_INS:
        if re.search(pattern, question, re.I):
            return text
    return _DEFAULT_LEAD_IN


def _lexical(query_terms: set[str], sentence: str) -> float:
    if not query_terms:
        return 0.0
    terms = {stem(t) for t in topic_terms(sentence)}
    return len(query_terms & terms) / len(query_terms)


def _usable(sentence: str) -> bool:
    return len(sentence) >= 30 and not sentence.endswith(("?", ":")) and not _META.search(sentence)


def answer_type_bonus(question: str, sentence: str) -> float:
    """Return a bonus when the sentence holds what the question asks for (a duration, a body)."""
    for asks, holds in _ANSWER_TYPES:
        if asks.search(question) and holds.search(sentence):
            return ANSWER_TYPE_BONUS
    return 0.0


class GroundedComposer:
    """Select, order and cite sentences from retrieved passages."""

    def __init__(self, embeddings: MiniLMEmbeddings) -> None:
        self.embeddings = embeddings

    def score(self, question: str, passages: list[Passage]) -> list[Scored]:
        """Score every usable sentence of the passages against the question."""
        cands = [
            (i, j, s)
            for i, p in enumerate(passages)
            for j, s in enumerate(sentences(p.text))
            if _usable(s)
        ]
        if not cands:
            return []
        qvec = np.asarray(self.embeddings.embed_query(question), np.float32)
        svecs = self.embeddings.matrix([s for _, _, s in cands])
        cos = svecs @ qvec
        terms = {stem(t) for t in topic_terms(question)} | expansions(question)
        return [
            Scored(
                s,
                i,
                j,
                self._blend(self._sentence(question, terms, s, float(c)), passages, i),
                _lexical(terms, s),
            )
            for (i, j, s), c in zip(cands, cos, strict=True)
        ]

    def _sentence(self, question: str, terms: set[str], sentence: str, cosine: float) -> float:
        bonus = answer_type_bonus(question, sentence)
        return cosine + LEXICAL_WEIGHT * _lexical(terms, sentence) + bonus

    def _blend(self, sentence_score: float, passages: list[Passage], i: int) -> float:
        intro = is_framing(passages[i].section, passages[i].title)
        prior = passages[i].score - RANK_STEP * i - (INTRO_PENALTY if intro else 0.0)
        return (1 - PASSAGE_WEIGHT) * sentence_score + PASSAGE_WEIGHT * prior

    def select(self, question: str, passages: list[Passage], main: int) -> Composition:
        """Pick the answering sentences from the first `main` passages and a next step."""
        scored = self.score(question, passages)
        ranked = sorted((s for s in scored if s.passage < main), key=lambda s: -s.score)
        if not ranked or ranked[0].score < ANSWER_FLOOR:
            return Composition()
        cut = max(KEEP_FLOOR, ranked[0].score * KEEP_RATIO)
        framing = {i for i, p in enumerate(passages) if is_framing(p.section, p.title)}
        picked = [ranked[0]] + [
            s for s in ranked[1:] if s.score >= cut and not (s.passage in framing and not s.lexical)
        ]
        picked = picked[:MAX_SENTENCES]
        chosen = {s.text for s in picked}
        actions = [
            s
            for s in sorted(scored, key=lambda s: -s.score)
            if _ACTION.match(s.text) and s.text not in chosen and s.score >= KEEP_FLOOR * 0.8
        ]
        return Composition(picked, actions[0] if actions else None)

    def compose(self, question: str, passages: list[Passage], main: int | None = None) -> Answer:
        """Return a cited answer, or a `no_answer` when no sentence answers the question."""
        comp = self.select(question, passages, main or len(passages))
        if not comp.picked:
            return no_answer()
        return render(question, passages, comp)


def _groups(passages: list[Passage], picked: list[Scored]) -> list[tuple[int, list[Scored]]]:
    by_passage: dict[int, list[Scored]] = {}
    for s in picked:
        by_passage.setdefault(s.passage, []).append(s)
    best = {i: max(s.score for s in group) for i, group in by_passage.items()}
    source_rank: dict[str, float] = {}
    for i, score in best.items():
        src = passages[i].source
        source_rank[src] = max(source_rank.get(src, 0.0), score)
    order = sorted(by_passage, key=lambda i: (-source_rank[passages[i].source], -best[i]))
    return [(i, sorted(by_passage[i], key=lambda s: s.order)) for i in order]


def render(question: str, passages: list[Passage], comp: Composition) -> Answer:
    """Lay the selection out as a lead-in, cited bullets grouped by guide, and a next step."""
    numbers: dict[int, int] = {}
    citations: list[Citation] = []

    def cite(i: int) -> int:
        if i not in numbers:
            numbers[i] = len(numbers) + 1
            citations.append(Citation.from_passage(numbers[i], passages[i]))
        return numbers[i]

    lines = [lead_in(question), ""]
    for i, group in _groups(passages, comp.picked):
        lines.append(f"- {' '.join(s.text for s in group)} [{cite(i)}]")
    if comp.next_step is not None:
        lines += ["", f"**Next step:** {comp.next_step.text} [{cite(comp.next_step.passage)}]"]
    return Answer(answer="\n".join(lines), citations=citations, verdict="answered")


def no_answer() -> Answer:
    """Return the honest reply for an on-topic question the guides do not cover."""
    text = (
        "The guides I work from don't cover that, so I won't guess. I can help with what they do "
        "cover: the credentials and training medical directors need, typical timelines, the "
        "skills and duties of the role, and how to prepare for the job search and interviews."
    )
    return Answer(answer=text, verdict="no_answer", reason=NO_ANSWER_REASON)
