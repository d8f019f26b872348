"""Grounded engine (the default): compose answers from retrieved sentences only, no LLM."""

from __future__ import annotations

from collections.abc import Iterator

from bot.answer.compose import GroundedComposer
from bot.answer.engine import StreamEvent, pieces
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.retrieval.condense import condense
from bot.schemas import Answer, Passage


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
