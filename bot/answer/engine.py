"""The answer-engine protocol every engine (grounded, LLM) implements, and streaming pieces."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Protocol

from bot.schemas import Answer, Passage

StreamEvent = str | Answer


class Engine(Protocol):
    """What the Coach needs from an answer engine."""

    name: str

    def condense(
        self, question: str, previous_queries: list[str], history: list[dict[str, str]]
    ) -> str:
        """Return a standalone retrieval query for a possibly follow-up question."""
        ...

    def answer(
        self, question: str, query: str, passages: list[Passage], history: list[dict[str, str]]
    ) -> Answer:
        """Return a cited answer from the passages."""
        ...

    def stream(
        self, question: str, query: str, passages: list[Passage], history: list[dict[str, str]]
    ) -> Iterator[StreamEvent]:
        """Yield answer text pieces, then the final Answer."""
        ...


def pieces(text: str) -> Iterator[str]:
    """Split text into word-sized streaming pieces that join back to the original."""
    yield from (m.group(0) for m in re.finditer(r"\S+\s*|\s+", text))
