"""Topic anchors: the words that make a question specific, and whether an answer mentions them.

An anchor is a content word of the question that is rare both among the bank's questions and in
the guides ("heart failure", "readmission", "outbreak"), so it names the question's subject
rather than the craft of leadership. Rarity is counted from the data, not listed by hand.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from bot.ingest.embeddings import MiniLMEmbeddings
from bot.text import STOPWORDS, content_terms, stem, words

MIN_LETTERS = 3


def _terms(text: str) -> set[str]:
    return {t for t in content_terms(text) if t.isalpha() and len(t) >= MIN_LETTERS}


@dataclass(frozen=True)
class TopicIndex:
    """Document frequencies of content terms over the bank's questions and the guides."""

    questions: Counter[str]
    guides: Counter[str]
    question_df: int = 2
    guide_df: int = 1

    @classmethod
    def build(cls, questions: Iterable[str], paragraphs: Iterable[str]) -> TopicIndex:
        """Count in how many questions and guide paragraphs each term appears."""
        return cls(
            Counter(t for q in questions for t in _terms(q)),
            Counter(t for p in paragraphs for t in _terms(p)),
        )

    def anchors(self, question: str) -> dict[str, str]:
        """Return the question's rare content terms: stem -> the word as the question spells it."""
        found: dict[str, str] = {}
        terms = _terms(question)
        for word in words(question):
            term = stem(word)
            if (
                term in terms
                and term not in found
                and self.questions[term] <= self.question_df
                and self.guides[term] <= self.guide_df
            ):
                found[term] = word
        return found


def mentioned(
    anchors: dict[str, str], answer: str, embeddings: MiniLMEmbeddings, similarity: float
) -> list[str]:
    """Return the anchors the answer mentions: the same stem, or a word this similar (MiniLM)."""
    vocabulary = sorted(
        {w for w in words(answer) if w.isalpha() and len(w) >= MIN_LETTERS and w not in STOPWORDS}
    )
    stems = {stem(w) for w in vocabulary}
    hits = [term for term in anchors if term in stems]
    if hits or not anchors or not vocabulary:
        return hits
    sims = embeddings.matrix(list(anchors.values())) @ embeddings.matrix(vocabulary).T
    best = np.max(sims, axis=1)
    return [term for term, value in zip(anchors, best, strict=True) if value >= similarity]


def phrases(question: str, anchors: list[str]) -> list[str]:
    """Group anchor words that stand next to each other in the question ("heart failure")."""
    wanted = set(anchors)
    groups: list[list[str]] = []
    previous = False
    for word in words(question):
        if word in wanted:
            if previous:
                groups[-1].append(word)
            else:
                groups.append([word])
        previous = word in wanted
    return list(dict.fromkeys(" ".join(g) for g in groups))
