"""Split a message into the person's context and their question or questions.

"Ortho surgeon, 12 yrs in, tired of call. Could I realistically move into a director job?"
becomes the context {specialty: orthopaedic surgeon, years: 12} and the one question "Could I
realistically move into a director role?". Which words signal a specialty, a role, a setting or
a goal, which words open a question, and the casual spellings to normalise all live in
`prompts/understand.yaml`; this module only applies them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from bot.config import Settings
from bot.prompts import load_data
from bot.retrieval.condense import points_back
from bot.text import is_follow_up, topic_terms, words
from bot.understand.normalise import Normaliser

MAX_QUESTIONS = 3  # parts of one message answered separately; more are joined to the last
MIN_PART_WORDS = 3  # a split-off part shorter than this stays with its neighbour
_NUMBERS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_YEARS = re.compile(
    r"\b(\d{1,2}|" + "|".join(_NUMBERS) + r")\+?\s*(?:-\s*)?(?:years?|yrs?)\b"
    r"(?!\s+(?:old|ago|from now|later))",
    re.I,
)
_YEARS_FOR = re.compile(r"\b(for|past|last|over|in)\s+(the\s+)?(last\s+|past\s+)?$")
_SEGMENT = re.compile(r"(?<=[.!?;\n])\s+|\n+")
# Where one question may end and the next begin: "..., and how ...", "... also what ...".
# Never before "or": "Can a DO become a director, or do you need an MD?" offers alternatives
# of one question (all 11 development questions cut there had a single answer).
_JOINER = re.compile(
    r"\s*(?:[,;]\s*(?:and|also|plus|but)?|\band\b|\balso\b|\bplus\b)\s+(?=\w)(?!or\b)", re.I
)
_JOINER_START = re.compile(r"^(?:and|or|also|plus|but)\s+", re.I)
# A part never ends on an article: in "Is my background a plus when ..." "plus" is a noun.
_ARTICLE_END = re.compile(r"\b(?:a|an|the)\s*$", re.I)


@dataclass(frozen=True)
class Context:
    """What the person said about themselves; each field keeps their own words."""

    specialty: str = ""
    role: str = ""
    years: int | None = None
    setting: str = ""
    goal: str = ""
    said: tuple[str, ...] = field(default_factory=tuple)  # the context phrases, as typed

    def merged(self, newer: Context) -> Context:
        """Return this context updated with what a later message said."""
        values = {k: v for k, v in asdict(newer).items() if v not in ("", None, ())}
        said = tuple(dict.fromkeys(self.said + newer.said))[-4:]
        return replace(self, **{**values, "said": said})

    def public(self) -> dict[str, Any]:
        """Return the context as a JSON-ready dict (empty fields left out)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items() if v}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Context:
        """Rebuild a context stored with `public()`."""
        data = data or {}
        years = data.get("years")
        return cls(
            specialty=str(data.get("specialty", "")),
            role=str(data.get("role", "")),
            years=int(years)
            if isinstance(years, int | float | str) and str(years).isdigit()
            else None,
            setting=str(data.get("setting", "")),
            goal=str(data.get("goal", "")),
            said=tuple(str(s) for s in data.get("said", []) if isinstance(s, str)),
        )

    def __bool__(self) -> bool:
        return bool(
            self.specialty or self.role or self.years is not None or self.setting or self.goal
        )


@dataclass(frozen=True)
class Understanding:
    """A message understood: its questions (normalised) and the person's context."""

    text: str  # the whole message, normalised
    questions: tuple[str, ...]
    asked: tuple[str, ...]  # the same questions in the person's own words
    context: Context
    bare: tuple[str, ...] = ()  # what the guard judges: each question, or for a vague one the
    # whole message (never the retrieval query's borrowed words, which can read out of context)
    borrowed: tuple[str, ...] = ()  # each question with the topic words of the sentences before
    # it ("" when none): the plan answers from it when the question points back or
    # answerability trusts it more


def _phrases(items: Iterable[Any]) -> list[str]:
    return sorted({str(i).lower() for i in items}, key=len, reverse=True)


def _has(phrase: str, text: str) -> bool:
    return re.search(r"(?<![\w])" + re.escape(phrase) + r"(?![\w])", text) is not None


class Understander:
    """Understand messages with the vocabulary in `understand.yaml` and the guides' words."""

    def __init__(
        self,
        data: dict[str, Any],
        corpus_words: Iterable[str] = (),
        known_words: Iterable[str] = (),
    ) -> None:
        self.normalise = Normaliser(dict(data.get("normalise") or {}), corpus_words, known_words)
        self._starts = _phrases(data.get("question_starts") or [])
        self._openers = _phrases(data.get("openers") or [])
        self._goals = _phrases(data.get("goal_markers") or [])
        self._fields = {
            name: {canon: _phrases(words) for canon, words in (data.get(name) or {}).items()}
            for name in ("specialties", "roles", "settings")
        }

    # ------------------------------------------------------------------ public

    def understand(self, message: str) -> Understanding:
        """Return the questions and the context of one message.

        Whether a message asks to prepare an interview question is decided by the one learned
        detector in `bot/interview/intent.py`, not here.
        """
        raw = " ".join(message.split())
        questions: list[str] = []  # for retrieval: the questions alone
        own: list[str] = []  # the same questions in the person's own words
        judged: list[str] = []  # what the guard judges: the question, or the whole message
        borrowed: list[str] = []  # a question with the topic words of what came before it
        statements: list[str] = []
        for segment in (s.strip() for s in _SEGMENT.split(message) if s.strip()):
            lead, rest = self._lead_context(segment)
            if lead:
                statements.append(lead)
            if rest and self._is_question(rest):
                parts = self._split(rest)
                own += parts
                judged += parts
                borrowed += [""] * len(parts)
                if statements and self._vague(parts[0]):
                    judged[len(judged) - len(parts)] = raw  # judge it with what came before
                residue = self._residue(statements[-2:]) if statements else ""
                if residue:
                    first = f"{parts[0][:1].lower()}{parts[0][1:]}"
                    if self._leans(parts[0]):  # "How do I get better at it?": only with context
                        parts = [f"{residue} {first}", *parts[1:]]
                    else:  # a question of its own: the context is only a fallback
                        borrowed[len(borrowed) - len(parts)] = f"{residue} {first}"
                questions += parts
            elif rest and questions and not self._personal(rest) and self._vague(questions[-1]):
                questions[-1] = f"{questions[-1]} {rest}"
                own[-1] = judged[-1] = f"{own[-1]} {rest}"
                borrowed[-1] = f"{borrowed[-1]} {rest}" if borrowed[-1] else ""
            elif rest:
                statements.append(rest)
        if not questions:
            questions, own, statements = [raw], [raw], statements if questions else []
            judged, borrowed = [raw], [""]
        if len(questions) > MAX_QUESTIONS:
            borrowed = [*borrowed[: MAX_QUESTIONS - 1], ""]
        questions, own, judged = self._cap(questions), self._cap(own), self._cap(judged)
        said = [s for s in statements if self._personal(s)]
        facts = self._context(statements, said=said)
        return Understanding(
            text=self.normalise(raw),
            questions=tuple(self.normalise(q) for q in questions),
            asked=tuple(own),
            context=facts,
            bare=tuple(self.normalise(q) for q in judged),
            borrowed=tuple(self.normalise(q) if q else "" for q in borrowed),
        )

    # ------------------------------------------------------------------ questions

    def _opener(self, text: str) -> int:
        """Return the length of an opener ("Two things:") at the start of text, else 0."""
        low = text.lower()
        for opener in self._openers:
            after = low[len(opener) : len(opener) + 1]
            if low.startswith(opener) and (not after or after in " :,.!-"):
                return len(text) - len(text[len(opener) :].lstrip(" :,.!-"))
        return 0

    def _starts_question(self, text: str) -> bool:
        low = text[self._opener(text) :].lower().lstrip("\"'(")
        return any(
            low.startswith(s) and not low[len(s) : len(s) + 1].isalpha() for s in self._starts
        )

    def _is_question(self, text: str) -> bool:
        return text.rstrip().endswith("?") or self._starts_question(text)

    def _lead_context(self, segment: str) -> tuple[str, str]:
        """Split "As a psychiatrist in a clinic, how do I ..." into context and question.

        A lead that says nothing about the person names the topic ("public speaking - how
        important for directors?"), so it stays part of the question.
        """
        segment = segment[self._opener(segment) :]
        for m in re.finditer(r"[,;:]\s+|\s+[-–—]+\s+", segment):
            head, tail = segment[: m.start()].strip(), segment[m.end() :].strip()
            short = len(words(tail)) < MIN_PART_WORDS  # "..., where?" stays one question
            if not short and self._starts_question(tail) and not self._starts_question(head):
                if self._opener(head + " "):
                    return "", tail
                return (head, tail) if self._personal(head) else ("", segment)
        return "", segment

    def _split(self, text: str) -> list[str]:
        """Split "How long does it take and do I need an MBA?" into two questions."""
        text = text[self._opener(text) :]
        cuts = [0]
        for m in _JOINER.finditer(text):
            before, after = text[cuts[-1] : m.start()], text[m.end() :]
            long_enough = min(len(words(before)), len(words(after))) >= MIN_PART_WORDS
            # "Beyond knowing the rules, what else ...": a lead-in that asks nothing stays.
            asks = self._starts_question(self._tidy(before))
            whole = not _ARTICLE_END.search(before)  # "... a plus when" is one question
            if long_enough and asks and whole and self._starts_question(after):
                cuts.append(m.start())
        parts = [text[a:b] for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True)]
        return [self._tidy(p) for p in parts if p.strip()]

    def _tidy(self, part: str) -> str:
        part = _JOINER_START.sub("", part.strip(" ,;"))
        part = part[self._opener(part) :]
        return part[:1].upper() + part[1:] if part else part

    def _vague(self, question: str) -> bool:
        """Return whether a question needs the sentence before it ("Can I still do it?")."""
        return is_follow_up(self.normalise(question))

    def _leans(self, question: str) -> bool:
        """Return whether a question means nothing without what came before it.

        It points back ("it", "they", "him") and has at most one topic term of its own, so
        "How do I get better at it?" leans on "I hate conflict." while "How long does it take
        to get to director?" stands alone.
        """
        text = self.normalise(question)
        return points_back(text) and len(topic_terms(text)) <= 1

    def _personal(self, statement: str) -> bool:
        """Return whether a statement is about the person (first person, or gives a fact)."""
        text = self.normalise(statement).lower()
        if re.search(r"\b(i|i'm|i've|i'd|me|my|we|our|us|here)\b", text) or _YEARS.search(text):
            return True
        return any(self._find(name, text) for name in self._fields)

    def _residue(self, statements: list[str]) -> str:
        """Return the topic words of statements, without the facts they give (specialty...)."""
        text = _YEARS.sub(" ", self.normalise(" ".join(statements)).lower())
        for table in self._fields.values():
            for phrases in table.values():
                for p in phrases:
                    text = re.sub(r"(?<![\w])" + re.escape(p) + r"(?![\w])", " ", text)
        kept = [w for w in words(text) if topic_terms(w) and w.isalpha() and len(w) > 2]
        return " ".join(kept)

    def _cap(self, questions: list[str]) -> list[str]:
        questions = [q for q in questions if q.strip()]
        if len(questions) <= MAX_QUESTIONS:
            return questions
        return [*questions[: MAX_QUESTIONS - 1], " ".join(questions[MAX_QUESTIONS - 1 :])]

    # ------------------------------------------------------------------ context

    def _context(self, parts: list[str], said: list[str]) -> Context:
        text = self.normalise(" ".join(parts)).lower()
        years = next(
            (m for m in _YEARS.finditer(text) if not _YEARS_FOR.search(text[: m.start()])), None
        )
        goal = ""
        for marker in self._goals:
            m = re.search(r"(?<![\w])" + re.escape(marker) + r"\s+([^.?!;]+)", text)
            if m:
                goal = f"{marker} {m.group(1).strip()}"
                break
        return Context(
            specialty=self._find("specialties", text),
            role=self._find("roles", text),
            years=_number(years.group(1)) if years else None,
            setting=self._find("settings", text),
            goal=goal[:120],
            said=tuple(s.strip() for s in said if s.strip())[:3],
        )

    def _find(self, name: str, text: str) -> str:
        for canon, phrases in self._fields[name].items():
            if any(_has(p, text) for p in phrases):
                return canon
        return ""


def _number(token: str) -> int | None:
    token = token.lower()
    return int(token) if token.isdigit() else _NUMBERS.get(token)


def make_understander(
    settings: Settings, corpus_words: Iterable[str] = (), known_words: Iterable[str] = ()
) -> Understander:
    """Build the understanding stage from `understand.yaml` and the guides' vocabulary."""
    return Understander(
        load_data("understand.yaml", settings.prompts_dir), corpus_words, known_words
    )
