"""LLM engine: a chat model phrases what retrieval found; the support check keeps it grounded.

The chain (LCEL) is: condense the follow-up with the model (grounded fallback), let the Coach
retrieve, draft an answer from the numbered passages, then check every drafted sentence against
the passages (`bot.answer.support`): unsupported sentences are dropped, wrong markers
re-pointed, and markers renumbered 1..n by first appearance. Whenever the model fails (down,
timeout, 4xx/5xx, empty or unusable output) the grounded answer is returned with a short note,
never an error.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from bot.answer.citing import merge_sections
from bot.answer.engine import Brief, Engine
from bot.answer.grounded import GroundedEngine
from bot.answer.support import (
    AnswerChecker,
    Checked,
    SupportChecker,
    is_connective,
    parse_markers,
    split_draft,
)
from bot.config import Settings
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.prompts import render
from bot.schemas import Answer, Citation, Passage
from bot.text import topic_terms, words

log = logging.getLogger(__name__)

UNAVAILABLE_NOTE = (
    "(The language model was unavailable, so this answer was composed directly from the guides.)"
)
UNSUPPORTED_NOTE = (
    "(The language model's draft did not hold up against the guides, so this answer was "
    "composed directly from them.)"
)
USER_SPLIT = "=== user ==="
MIN_KEPT_SHARE = (
    0.34  # below this share of stated sentences surviving, the draft was mostly made up
)
MAX_QUERY_CHARS = 300
MAX_NEW_QUERY_TERMS = 3
_QUERY_LABEL = re.compile(
    r"^\s*(standalone question|question|query|rewritten question)\s*:\s*", re.I
)
_BLANK_RUN = re.compile(r"\n\s*\n(?:\s*\n)+")


class LLMFailure(Exception):
    """The model answered, but with nothing usable (empty or malformed output)."""


def messages(name: str, settings: Settings, **variables: Any) -> list[BaseMessage]:
    """Render prompt `name` into a system and a user message (split at `=== user ===`)."""
    text = _BLANK_RUN.sub("\n\n", render(name, settings.prompts_dir, **variables))
    system, _, user = text.partition(USER_SPLIT)
    if not user:
        return [HumanMessage(system.strip())]
    return [SystemMessage(system.strip()), HumanMessage(user.strip())]


def numbered(passages: list[Passage]) -> list[dict[str, Any]]:
    """Return the passages as the prompt shows them: [1]..[n] with section and text."""
    return [{"n": i + 1, "section": p.section, "text": p.text} for i, p in enumerate(passages)]


def with_note(answer: Answer, note: str) -> Answer:
    """Return the answer with a short note appended to its text."""
    return Answer(answer.answer.rstrip() + "\n\n" + note, answer.citations, answer.verdict,
                  answer.reason, answer.session_id, answer.query)  # fmt: skip


def clean_query(raw: str, question: str, context: list[str]) -> str | None:
    """Return the model's standalone query, or None when it is junk (empty, long, off-topic)."""
    lines = [line.strip() for line in raw.strip().splitlines() if line.strip()]
    if not lines:
        return None
    query = _QUERY_LABEL.sub("", lines[0]).strip().strip("\"'“”").strip()
    if not 2 <= len(words(query)) <= 40 or len(query) > MAX_QUERY_CHARS or parse_markers(query):
        return None
    terms, asked = topic_terms(query), topic_terms(question)
    known = asked | set().union(*(topic_terms(t) for t in context))
    if not terms & (asked or known):
        return None
    return query if len(terms - known) <= MAX_NEW_QUERY_TERMS else None


class LLMEngine(Engine):
    """Answer with a chat model, checked sentence by sentence against the retrieved passages.

    Streaming sends the checked answer, not the model's raw tokens: the support check can drop
    or re-cite sentences, so the draft is generated in full, checked, and only then streamed in
    word-sized pieces. The streamed text is therefore always exactly the final answer's text.

    Args:
        chat_model: any LangChain chat model (ChatOpenAI, the local llama.cpp wrapper, a fake).
        embeddings: MiniLM embeddings for the support check.
        grounded: the grounded engine, used when the model fails or its draft does not hold up.
        settings: prompts folder, timeout and token limits.

    Example:
        >>> engine = make_llm_engine(settings, embeddings, GroundedEngine(embeddings))
        >>> answer = engine.answer(question, query, passages, history=[])
        >>> answer.verdict, [c.n for c in answer.citations]
        ('answered', [1, 2])
    """

    name = "llm"

    def __init__(
        self,
        chat_model: BaseChatModel,
        embeddings: MiniLMEmbeddings,
        grounded: GroundedEngine,
        settings: Settings,
    ) -> None:
        self.chat = chat_model
        self.grounded = grounded
        self.settings = settings
        self.checker = AnswerChecker(SupportChecker(embeddings))
        self.condense_chain = self._chain("llm_condense.j2")
        self.feedback_chain = self._chain("llm_feedback.j2")
        self.draft_chain = self._chain("llm_answer.j2")
        self.answer_chain: Runnable[dict[str, Any], Checked] = RunnablePassthrough.assign(
            draft=self.draft_chain
        ) | RunnableLambda(lambda v: self.check_draft(v["draft"], v["retrieved"]))

    def _chain(self, prompt: str) -> Runnable[dict[str, Any], str]:
        """Build prompt -> chat model -> text for one prompt file."""
        to_messages: Runnable[dict[str, Any], list[BaseMessage]] = RunnableLambda(
            lambda v: messages(prompt, self.settings, **v)
        )
        return to_messages | self.chat | StrOutputParser()

    def condense(
        self, question: str, previous_queries: list[str], history: list[dict[str, str]]
    ) -> str:
        """Rewrite a follow-up as a standalone query with the model; grounded rules on failure."""
        fallback = self.grounded.condense(question, previous_queries, history)
        if not previous_queries:
            return fallback
        try:
            raw = self.condense_chain.invoke(
                {"question": question, "previous": previous_queries[-3:]}
            )
        except Exception as exc:  # any model failure falls back to the rules
            log.warning("llm condense failed (%s); using the grounded rules", type(exc).__name__)
            return fallback
        context = previous_queries[-3:] + [t["text"] for t in history[-4:] if t["role"] == "user"]
        return clean_query(raw, question, context) or fallback

    def check_draft(self, draft: object, passages: list[Passage]) -> Checked:
        """Check a drafted answer against the passages; raise LLMFailure when it is empty."""
        if not isinstance(draft, str) or not words(draft):
            raise LLMFailure("empty output")
        return self.checker.check(draft, [p.text for p in passages], [p.section for p in passages])

    def answer(
        self,
        question: str,
        query: str,
        passages: list[Passage],
        history: list[dict[str, str]],
        brief: Brief | None = None,
    ) -> Answer:
        """Return the model's checked answer, or the grounded answer when the draft fails.

        The same scope and answerability decisions hold: when the grounded engine (with the
        same `brief`) does not answer, neither does the model.
        """
        grounded = self.grounded.answer(question, query, passages, history, brief)
        if grounded.verdict != "answered" or not passages:
            return grounded
        person = "; ".join(brief.context.said) if brief is not None else ""
        try:
            checked = self.answer_chain.invoke(
                {
                    "question": question,
                    "passages": numbered(passages),
                    "retrieved": passages,
                    "person": person,
                }
            )
        except Exception as exc:  # the user gets the grounded answer, never a 5xx
            log.warning("llm answer failed (%s); using the grounded answer", type(exc).__name__)
            return with_note(grounded, UNAVAILABLE_NOTE)
        if not usable(checked):
            log.info("llm draft kept %d of %d sentences", checked.supported, checked.substantive)
            return with_note(grounded, UNSUPPORTED_NOTE)
        citations = [Citation.from_passage(n, passages[i]) for n, i in enumerate(checked.cited, 1)]
        return merge_sections(Answer(checked.text, citations, "answered"))

    def phrase_feedback(self, text: str, findings: dict[str, Any]) -> str:
        """Rephrase interview feedback with the model; keep `text` unless the result checks out."""
        points = [p["text"] for p in findings.get("missing", []) if isinstance(p, dict)]
        part = str(findings.get("part", "feedback"))
        try:
            phrased = self.feedback_chain.invoke({"text": text, "part": part, "points": points})
        except Exception as exc:  # the rendered feedback is always a good answer
            log.warning("llm feedback failed (%s); keeping the rendered text", type(exc).__name__)
            return text
        phrased = phrased.strip()
        return phrased if faithful(self.checker, text, phrased) else text


def usable(checked: Checked) -> bool:
    """Return whether enough of a checked draft survived to stand as the answer."""
    if checked.supported == 0 or not checked.text:
        return False
    return checked.supported / max(1, checked.substantive) >= MIN_KEPT_SHARE


def faithful(checker: AnswerChecker, original: str, phrased: str) -> bool:
    """Return whether a rephrasing keeps every marker and number and adds no unsupported claim."""
    if not phrased or len(phrased) > 2 * len(original) + 200:
        return False
    if sorted(set(parse_markers(phrased))) != sorted(set(parse_markers(original))):
        return False
    claims = [s.claim for s in split_draft(original)]
    for sentence in split_draft(phrased):
        found = checker.checker.support(sentence.claim, original, parts=claims)
        if not found.supported and not is_connective(sentence.claim):
            return False
    return _keeps_points(checker, original, phrased)


def _keeps_points(checker: AnswerChecker, original: str, phrased: str) -> bool:
    """Return whether each marked point of the original is still stated next to its marker."""
    before, after = split_draft(original), split_draft(phrased)
    for n in set(parse_markers(original)):
        source = " ".join(s.claim for s in before if n in s.markers)
        claims = [s.claim for s in after if n in s.markers]
        if not any(checker.checker.support(c, source).supported for c in claims):
            return False
    return True


def make_llm_engine(
    settings: Settings, embeddings: MiniLMEmbeddings, grounded: GroundedEngine
) -> LLMEngine:
    """Create the LLM engine that `BOT_LLM` configures (raises a clear error when it cannot)."""
    from bot.answer.llm import make_llm

    return LLMEngine(make_llm(settings), embeddings, grounded, settings)
