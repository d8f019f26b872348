"""The answer-engine protocol every engine (grounded, LLM) implements, and streaming pieces."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from bot.answer.answerability import Judgement
from bot.schemas import Answer, Passage
from bot.understand import Context

StreamEvent = str | Answer


@dataclass(frozen=True)
class Brief:
    """What the stages before the engine learned: the person's context, answerability."""

    context: Context = field(default_factory=Context)
    judgement: Judgement | None = None
    asked: str = ""  # the question in the person's own words
    avoid: tuple[str, ...] = ()  # answers to earlier questions of the same message


class Engine(Protocol):
    """What the Coach needs from an answer engine.

    Engines that finish (and check) an answer before sending any of it subclass Engine and
    inherit `stream`: the final answer's text in word-sized pieces, then the Answer, so the
    streamed text is always exactly the answer's text.
    """

    name: str

    def condense(
        self, question: str, previous_queries: list[str], history: list[dict[str, str]]
    ) -> str:
        """Return a standalone retrieval query for a possibly follow-up question."""
        ...

    def answer(
        self,
        question: str,
        query: str,
        passages: list[Passage],
        history: list[dict[str, str]],
        brief: Brief | None = None,
    ) -> Answer:
        """Return a cited answer from the passages (or `no_answer`, as `brief` judges)."""
        ...

    def stream(
        self,
        question: str,
        query: str,
        passages: list[Passage],
        history: list[dict[str, str]],
        brief: Brief | None = None,
    ) -> Iterator[StreamEvent]:
        """Yield answer text pieces, then the final Answer (by default: the finished answer)."""
        answer = self.answer(question, query, passages, history, brief)
        yield from pieces(answer.answer)
        yield answer


def pieces(text: str) -> Iterator[str]:
    """Split text into word-sized streaming pieces that join back to the original."""
    yield from (m.group(0) for m in re.finditer(r"\S+\s*|\s+", text))
