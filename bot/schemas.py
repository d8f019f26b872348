"""Data shapes shared by every stage and surface."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Verdict = Literal["answered", "declined", "no_answer"]


@dataclass(frozen=True)
class Chunk:
    """A heading-aware piece of one guide, with a stable content-hash id."""

    id: str
    source: str
    title: str
    section: str
    text: str


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its relevance score (cosine similarity, 0-1)."""

    source: str
    title: str
    section: str
    text: str
    score: float
    chunk_id: str = ""

    def public(self) -> dict[str, Any]:
        """Return the contract's passage shape."""
        return {
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "text": self.text,
            "score": round(self.score, 4),
        }


@dataclass
class Citation:
    """A numbered reference to a passage."""

    n: int
    source: str
    title: str
    section: str
    text: str

    @classmethod
    def from_passage(cls, n: int, passage: Passage) -> Citation:
        """Build a citation numbered `n` from a passage."""
        return cls(n, passage.source, passage.title, passage.section, passage.text)


@dataclass
class Answer:
    """An answer with its citations and verdict, in the contract's shape."""

    answer: str
    citations: list[Citation] = field(default_factory=list)
    verdict: Verdict = "answered"
    reason: str = ""
    session_id: str = ""
    query: str = ""
    # interview preparation only: {"question_text": ...}, the question the UI offers to practise
    practice: dict[str, Any] | None = None

    def public(self) -> dict[str, Any]:
        """Return the contract's answer shape (with `practice` when the answer offers one)."""
        shape: dict[str, Any] = {
            "answer": self.answer,
            "citations": [asdict(c) for c in self.citations],
            "verdict": self.verdict,
            "reason": self.reason,
            "session_id": self.session_id,
        }
        if self.practice is not None:
            shape["practice"] = self.practice
        return shape
