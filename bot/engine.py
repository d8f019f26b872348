"""Answer engines: the grounded composer (default) behind one protocol LLM engines share."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Protocol

from bot.compose import GroundedComposer
from bot.condense import condense
from bot.config import Settings
from bot.embeddings import MiniLMEmbeddings
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


class GroundedEngine:
    """Compose answers from retrieved sentences only; cannot invent facts."""

    name = "grounded"

    def __init__(self, embeddings: MiniLMEmbeddings, main_passages: int = 4) -> None:
        self.composer = GroundedComposer(embeddings)
        self.main_passages = main_passages

    def condense(
        self, question: str, previous_queries: list[str], history: list[dict[str, str]]
    ) -> str:
        """Carry the previous turn's topic into a short or referring follow-up."""
        return condense(question, previous_queries)

    def answer(
        self, question: str, query: str, passages: list[Passage], history: list[dict[str, str]]
    ) -> Answer:
        """Compose a cited answer from the passages."""
        return self.composer.compose(query, passages, self.main_passages)

    def stream(
        self, question: str, query: str, passages: list[Passage], history: list[dict[str, str]]
    ) -> Iterator[StreamEvent]:
        """Yield the composed answer word by word, then the Answer."""
        answer = self.answer(question, query, passages, history)
        yield from pieces(answer.answer)
        yield answer


def make_engine(settings: Settings, embeddings: MiniLMEmbeddings) -> Engine:
    """Create the configured answer engine (`BOT_LLM`)."""
    if settings.llm == "grounded":
        return GroundedEngine(embeddings, settings.top_k)
    from bot.llm_engine import make_llm_engine

    return make_llm_engine(settings, embeddings, GroundedEngine(embeddings, settings.top_k))
