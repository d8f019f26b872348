"""Grounded composer: a coaching answer built from guide sentences and the person's own words.

The answer leads with the sentence that answers the question, adds the person's context where a
guide sentence speaks to it ("With 12 years in practice you are past the 5-10 years ... [1]"),
a few supporting sentences, and a next step chosen for this question. Every factual sentence is
a verbatim, cited guide sentence; the connecting words live in `prompts/compose.yaml`. When
answerability (`answerability.py`) says the guides do not answer, the reply says so honestly,
quoting the closest sentence when the question asked for a figure the guides do not give.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from bot.answer.answerability import load_types
from bot.answer.citing import merge_sections
from bot.answer.ranking import Scored, make_ranker, select
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.prompts import load_data
from bot.schemas import Answer, Citation, Passage, Verdict
from bot.text import MARKER, content_terms, is_framing, stem

if TYPE_CHECKING:
    from bot.answer.answerability import Judgement
    from bot.answer.engine import Brief
    from bot.understand import Context

ANSWER_FLOOR = 0.30  # without answerability: below this best cosine or passage score, no answer
NEXT_STEP_MIN = 0.30  # a next step must be at least this close (cosine) to the question
RELATED_MIN = 0.40  # a "they only say ..." sentence must be at least this close
NO_ANSWER_REASON = "The guides do not cover this question."
FIGURES = ("number", "duration", "cost", "rate")


@dataclass
class Composition:
    """The composer's selection: the lead, supporting sentences and a next step."""

    picked: list[Scored] = field(default_factory=list)
    next_step: Scored | None = None
    personal: list[tuple[str, int]] = field(default_factory=list)  # (line, passage index)


class GroundedComposer:
    """Select, order and cite sentences from retrieved passages."""

    def __init__(
        self, embeddings: MiniLMEmbeddings, data: dict[str, Any] | None = None, folder: Any = None
    ) -> None:
        self.embeddings = embeddings
        self.data = data if data is not None else load_data("compose.yaml", folder)
        verbs = sorted(self.data.get("action_verbs") or [], key=len, reverse=True)
        self._action = re.compile(r"^(" + "|".join(re.escape(v) for v in verbs) + r")\b")
        generic = [str(q) for q in self.data.get("generic_questions") or []]
        self.ranker = make_ranker(embeddings, generic, folder)
        types = load_types(load_data("answerability.yaml", folder))
        self._holds = {t.name: t.holds for t in types}

    def holds(self, asked: str) -> re.Pattern[str] | None:
        """Return the pattern of a sentence holding the answer type asked for, if any."""
        return self._holds.get(asked)

    def score(
        self, question: str, passages: list[Passage], holds: re.Pattern[str] | None = None
    ) -> list[Scored]:
        """Score every usable sentence of the passages: P(it answers the question).

        `holds` (a compiled pattern) marks sentences holding the answer type asked for.
        """
        return self.ranker.score(question, passages, holds)

    def select(
        self,
        question: str,
        passages: list[Passage],
        main: int,
        context: Context | None = None,
        floor: float = ANSWER_FLOOR,
        asked: str = "",
        avoid: tuple[str, ...] = (),
    ) -> Composition:
        """Pick the lead sentence, supporting sentences, personal lines and a next step.

        Sentences already in `avoid` (the answer to an earlier question of the same message)
        are left out while others remain.
        """
        scored = self.score(question, passages, self.holds(asked))
        fresh = [s for s in scored if not any(s.text in text for text in avoid)]
        scored = fresh if any(s.passage < main for s in fresh) else scored
        ranked = sorted((s for s in scored if s.passage < main), key=lambda s: -s.score)
        relevance = max([s.cosine for s in ranked] + [p.score for p in passages[:main]])
        if not ranked or relevance < floor:
            return Composition()
        lead = ranked[0]
        personal = self._personal(context, scored, [lead]) if context else []
        quoted = {s.text for s in scored if any(s.text in line for line, _ in personal)}
        framing = {i for i, p in enumerate(passages) if is_framing(p.section, p.title)}
        others = [
            s
            for s in ranked[1:]
            if s.text not in quoted and not (s.passage in framing and not s.lexical)
        ]
        picked = select([lead, *others])
        chosen = {s.text for s in picked} | quoted
        actions = [
            s
            for s in sorted(scored, key=lambda s: -s.cosine)
            if self._action.match(s.text) and s.text not in chosen and s.cosine >= NEXT_STEP_MIN
        ]
        return Composition(picked, actions[0] if actions else None, personal)

    def _personal(
        self, context: Context, scored: list[Scored], picked: list[Scored]
    ) -> list[tuple[str, int]]:
        """Return lines that relate the person's own context to a guide sentence they cite."""
        spec = self.data.get("personal") or {}
        lines: list[tuple[str, int]] = []
        pool = sorted(scored, key=lambda s: -s.score)
        used = {s.text for s in picked}
        if context.years is not None and "years" in spec:
            lines += _years_line(spec["years"], context.years, pool)
            used |= {s.text for s in pool if any(s.text in line for line, _ in lines)}
        for name, value in (("specialty", context.specialty), ("setting", context.setting)):
            if not value or name not in spec:
                continue
            found = next(
                (s for s in pool if re.search(spec[name]["speaks_to"], s.text, re.I)), None
            )
            if found is not None and found.text not in used:
                article = "an" if value[:1].lower() in "aeiou" else "a"
                line = spec[name]["template"].format(
                    article=article, sentence=found.text, n="{n}", **{name: value}
                )
                lines.append((line, found.passage))
                used.add(found.text)
        return lines[:2]

    def compose(
        self,
        question: str,
        passages: list[Passage],
        main: int | None = None,
        brief: Brief | None = None,
    ) -> Answer:
        """Return a cited answer, or an honest `no_answer` when the guides do not answer."""
        judgement = brief.judgement if brief is not None else None
        if not passages or (judgement is not None and not judgement.answerable):
            return self.no_answer(passages, brief)
        context = brief.context if brief is not None else None
        floor = ANSWER_FLOOR if judgement is None else float("-inf")  # the model has decided
        asked = judgement.asked if judgement is not None else ""
        avoid = brief.avoid if brief is not None else ()
        comp = self.select(question, passages, main or len(passages), context, floor, asked, avoid)
        if not comp.picked:
            return self.no_answer(passages, brief)
        return render(passages, comp)

    def no_answer(self, passages: list[Passage], brief: Brief | None = None) -> Answer:
        """Return the honest reply for an on-topic question the guides do not answer."""
        texts = self.data.get("no_answer") or {}
        judgement = brief.judgement if brief is not None else None
        related = judgement.related if judgement is not None else None
        if (
            judgement is not None
            and judgement.type_missing
            and related is not None
            and related.cosine >= RELATED_MIN
            and related.passage < len(passages)
        ):
            kind = "figure" if judgement.asked in FIGURES else judgement.asked
            line = texts.get(kind, texts["figure"]).format(sentence=related.text)
            citation = Citation.from_passage(1, passages[related.passage])
            return Answer(f"{line}\n\n{texts['pivot']}", [citation], "no_answer", NO_ANSWER_REASON)
        if judgement is not None and judgement.unknown:
            names = ", ".join(_as_typed(n, brief.asked if brief else "") for n in judgement.unknown)
            first = texts["unknown"].format(names=names)
        else:
            first = texts["uncovered"]
        closest = (
            texts["closest"].format(section=passages[0].section)
            if passages and _is_related(passages[0], brief.asked if brief else "", judgement)
            else ""
        )
        body = " ".join(part for part in (first, closest) if part)
        return Answer(f"{body}\n\n{texts['pivot']}", verdict="no_answer", reason=NO_ANSWER_REASON)


def _is_related(passage: Passage, asked: str, judgement: Judgement | None) -> bool:
    """Return whether a passage's section is worth pointing to for a question it doesn't answer.

    A framing section never is; when the question names something the guides never mention,
    the section must share one of the question's other topic terms (a "CMIO" question is not
    pointed to the CME section by the nearness of the letters alone).
    """
    if is_framing(passage.section, passage.title):
        return False
    if judgement is None or not judgement.unknown or not asked:
        return True
    unknown = {stem(n.lower()) for n in judgement.unknown}
    terms = content_terms(asked) - unknown
    return bool(terms & content_terms(f"{passage.section} {passage.text}"))


def _as_typed(name: str, asked: str) -> str:
    match = re.search(r"\b" + re.escape(name) + r"\b", asked, re.I)
    return match.group(0) if match else name.upper()


_WORD_NUMBERS = {"five": 5, "ten": 10, "three": 3, "two": 2, "four": 4, "six": 6, "seven": 7}


def personal_patterns(folder: Any = None) -> dict[str, re.Pattern[str]]:
    """Return, per context field (years, specialty, setting), the pattern of the guide sentences
    that speak to it (`personal` in `compose.yaml`)."""
    spec = dict((load_data("compose.yaml", folder) or {}).get("personal") or {})
    return {name: re.compile(str(entry["speaks_to"]), re.I) for name, entry in spec.items()}


def _years_line(spec: dict[str, str], years: int, pool: list[Scored]) -> list[tuple[str, int]]:
    for s in pool:
        m = re.search(spec["speaks_to"], s.text, re.I)
        if m is None:
            continue
        low, high, what = int(m.group(1)), int(m.group(2)), m.group(3).strip()
        key = "above" if years > high else "within" if years >= low else "below"
        line = spec[key].format(
            years=years, low=low, high=high, what=what, sentence=s.text, n="{n}"
        )
        return [(line, s.passage)]
    return []


def render(passages: list[Passage], comp: Composition) -> Answer:
    """Lay the selection out: the lead sentence, personal lines, support, a next step."""
    numbers: dict[int, int] = {}
    citations: list[Citation] = []

    def cite(i: int) -> int:
        if i not in numbers:
            numbers[i] = len(numbers) + 1
            citations.append(Citation.from_passage(numbers[i], passages[i]))
        return numbers[i]

    lead, *support = comp.picked
    lines = [f"{lead.text} [{cite(lead.passage)}]"]
    lines += [line.replace("{n}", str(cite(i))) for line, i in comp.personal]
    groups: dict[int, list[Scored]] = {}
    for s in support:
        groups.setdefault(s.passage, []).append(s)
    if groups:
        lines.append("")
        for i, group in groups.items():
            text = " ".join(s.text for s in sorted(group, key=lambda s: s.order))
            lines.append(f"- {text} [{cite(i)}]")
    if comp.next_step is not None:
        step = comp.next_step
        lines += ["", f"**Next step:** {step.text} [{cite(step.passage)}]"]
    return merge_sections(Answer(answer="\n".join(lines), citations=citations, verdict="answered"))


def combine(parts: list[tuple[str, Answer]]) -> Answer:
    """Join the answers to the questions of one message, numbering citations across them."""
    if len(parts) == 1:
        return parts[0][1]
    citations: list[Citation] = []
    keys: dict[tuple[str, str, str], int] = {}
    blocks = []
    for asked, answer in parts:
        local: dict[int, int] = {}
        for c in answer.citations:
            key = (c.source, c.section, c.text)
            if key not in keys:
                keys[key] = len(keys) + 1
                citations.append(Citation(keys[key], c.source, c.title, c.section, c.text))
            local[c.n] = keys[key]
        text = MARKER.sub(partial(_renumber, local=local), answer.answer)
        blocks.append(f"**{asked.strip()}**\n{text}")
    verdicts = [a.verdict for _, a in parts]
    verdict: Verdict = "answered" if "answered" in verdicts else verdicts[0]
    reason = "" if verdict == "answered" else parts[0][1].reason
    joined = Answer("\n\n".join(blocks), citations, verdict, reason)
    return merge_sections(joined)


def _renumber(match: re.Match[str], local: dict[int, int]) -> str:
    numbers = [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1)) if n]
    lead = match.group(0)[: len(match.group(0)) - len(match.group(0).lstrip())]
    return f"{lead}[{', '.join(str(local.get(n, n)) for n in numbers)}]"
