"""Condense: turn a follow-up into a standalone retrieval query using the earlier turns, no LLM."""

from __future__ import annotations

import re

from bot.text import topic_terms, words

_REFERS_BACK = re.compile(
    r"\b(it|its|that|this|those|these|they|them|their|there|he|she|one|ones|such|same|above)\b"
    r"|^(and|also|but|so|what about|how about|and what|then|ok|okay)\b",
    re.I,
)


def is_follow_up(question: str) -> bool:
    """Return whether a question leans on the previous turn (refers back, or is too short)."""
    if _REFERS_BACK.search(question.strip()):
        return len(words(question)) <= 14
    return len(topic_terms(question)) <= 1 and len(words(question)) <= 6


def condense(question: str, previous_queries: list[str]) -> str:
    """Return a standalone query: the question, carrying the previous turn's topic when needed."""
    question = " ".join(question.split())
    if not previous_queries or not is_follow_up(question):
        return question
    previous = previous_queries[-1]
    return f"{previous} {question}"
