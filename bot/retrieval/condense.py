"""Condense: turn a follow-up into a standalone retrieval query using the earlier turns, no LLM."""

from __future__ import annotations

import re

from bot.text import is_follow_up


def condense(question: str, previous_queries: list[str]) -> str:
    """Return a standalone query: the question, carrying the previous turn's topic when needed."""
    question = " ".join(question.split())
    if not previous_queries or not is_follow_up(question):
        return question
    previous = previous_queries[-1]
    return f"{previous} {question}"


_POINTS_BACK = re.compile(
    r"\b(it|its|that|this|those|these|they|them|their|there|he|she|him|her|one|ones|such|same)\b",
    re.I,
)


def points_back(question: str) -> bool:
    """Return whether a question points back with a pronoun ("do I need it?")."""
    return _POINTS_BACK.search(question) is not None
