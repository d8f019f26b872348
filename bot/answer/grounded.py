"""Grounded engine (the default): compose answers from retrieved sentences only, no LLM."""

from __future__ import annotations

from typing import Any

from bot.answer.compose import GroundedComposer
from bot.answer.engine import Brief, Engine
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.retrieval.condense import condense
from bot.schemas import Answer, Passage


class GroundedEngine(Engine):
    """Compose answers from retrieved sentences only; cannot invent facts (the default engine).

    Args:
        embeddings: the MiniLM embeddings the composer ranks sentences with.
        main_passages: how many passages the composed answer may draw on.

    Example:
        >>> engine = GroundedEngine(make_embeddings(Settings()))
        >>> passages = retriever.retrieve("Do I need an MBA?", 4)
        >>> engine.answer("Do I need an MBA?", "Do I need an MBA?", passages, []).verdict
        'answered'
    """

    name = "grounded"

    def __init__(
        self, embeddings: MiniLMEmbeddings, main_passages: int = 4, prompts: Any = None
    ) -> None:
        self.composer = GroundedComposer(embeddings, folder=prompts)
        self.main_passages = main_passages

    def condense(
        self, question: str, previous_queries: list[str], history: list[dict[str, str]]
    ) -> str:
        """Carry the previous turn's topic into a short or referring follow-up."""
        return condense(question, previous_queries)

    def answer(
        self,
        question: str,
        query: str,
        passages: list[Passage],
        history: list[dict[str, str]],
        brief: Brief | None = None,
    ) -> Answer:
        """Compose a cited answer from the passages (or `no_answer`, as `brief` judges)."""
        return self.composer.compose(query, passages, self.main_passages, brief)
