"""Support check: keep an LLM's sentence only when a retrieved passage backs it.

A sentence is supported by a passage when it adds nothing the passage lacks (no new number,
name, organisation, dosing term or absolute such as "always"/"guaranteed") and it is close to the
passage in meaning and wording: `cosine + lexical_weight * lexical >= score`, where cosine is the
best MiniLM similarity to one passage sentence (or two adjacent ones) and lexical is the share of
the sentence's content terms found in the passage.

The thresholds are measured on `tests/data/support_labelled.yaml` (121 sentences, 55 supported;
`benchmarks/support_calibrate.py --search`): precision 0.94 and recall 0.91 for "supported";
leave-one-passage-out 0.90 / 0.93. Every invented number, dose, organisation and wrong-passage
sentence there is rejected. What embeddings cannot see is a changed claim in the passage's own
words ("5-10 years as administrators" for "5-10 years of clinical practice").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.ingest.embeddings import MiniLMEmbeddings
from bot.text import (
    GENERIC,
    STOPWORDS,
    content_terms,
    parse_markers,
    sentences,
    stem,
    strip_markers,
    words,
)


@dataclass(frozen=True)
class Thresholds:
    """Support thresholds, measured on the labelled set."""

    score: float = 0.96  # cosine + lexical_weight * lexical must reach this
    lexical_weight: float = 0.3
    min_cosine: float = 0.5  # floor against word salad made of the passage's own words


THRESHOLDS = Thresholds()

CACHE_SIZE = 4096  # embedded sentences kept per checker
_NUMBER_WORDS = {
    "zero": "0", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "fifteen": "15", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50",
    "hundred": "100", "thousand": "1000", "million": "1000000", "half": "0.5", "dozen": "12",
    "twice": "2", "thrice": "3", "decade": "10", "decades": "10",
}  # fmt: skip
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_DOSE = re.compile(
    r"\b(?:mg|mcg|µg|ug|ml|iu|meq|mmol|milligrams?|micrograms?|dos(?:e|es|age|ages|ing)|"
    r"tablets?|capsules?|pills?|daily|bid|tid|qid|prn|titrat\w*|intravenous(?:ly)?|orally|"
    r"by mouth|injections?|prescrib\w*|units? of)\b",
    re.I,
)
_NAME = re.compile(r"\b(?:[A-Z][a-z]+(?:['’][a-z]+)?|[A-Z]{2,}[a-z]?)\b")
_NEXT_CAPITAL = re.compile(r"\s+[A-Z]")
_ABSOLUTE = frozenset(
    "always never guarantee guarantees guaranteed mandatory compulsory essential".split()
)


def numbers(text: str) -> set[str]:
    """Return the numbers a text states, digits or words ("five" -> "5", "5,000" -> "5000")."""
    found = {n.replace(",", "") for n in _NUMBER.findall(text)}
    found |= {_NUMBER_WORDS[w] for w in words(text) if w in _NUMBER_WORDS}
    return found


def dosing_terms(text: str) -> set[str]:
    """Return the dosing and prescribing terms in a text (mg, dose, twice daily, titrate...)."""
    return {m.group(0).lower() for m in _DOSE.finditer(text)}


def names(text: str) -> set[str]:
    """Return lowercased capitalised words and acronyms (a sentence's first word only when the
    next word is capitalised too, as in "Harvard Medical School")."""
    found: set[str] = set()
    for part in sentences(text) or [text]:
        body = part.lstrip('-*•#>0123456789.) "“(')
        for m in _NAME.finditer(body):
            word = m.group(0)
            if m.start() == 0 and not word.isupper() and not _NEXT_CAPITAL.match(body, m.end()):
                continue
            if word.lower() in GENERIC or word.lower() in STOPWORDS:
                continue
            found.add(re.sub(r"['’]s$", "", word.lower()))
    return found


@dataclass(frozen=True)
class Support:
    """How well one passage supports one sentence."""

    passage: int
    cosine: float
    lexical: float
    novel: tuple[str, ...]
    supported: bool

    def score(self, t: Thresholds = THRESHOLDS) -> float:
        """Return the blended similarity score the threshold applies to."""
        return self.cosine + t.lexical_weight * self.lexical


def novelties(sentence: str, evidence: str) -> tuple[str, ...]:
    """Return what the sentence states that the evidence does not: numbers, names, dosing."""
    ev_words = set(words(evidence)) | {stem(w) for w in words(evidence)}
    novel = [f"number:{n}" for n in sorted(numbers(sentence) - numbers(evidence))]
    novel += [f"name:{n}" for n in sorted(names(sentence)) if n not in ev_words]
    novel += [f"dosing:{d}" for d in sorted(dosing_terms(sentence) - dosing_terms(evidence))]
    novel += [f"absolute:{w}" for w in sorted(_ABSOLUTE & set(words(sentence)) - ev_words)]
    return tuple(novel)


def lexical(sentence: str, evidence: str) -> float:
    """Return the share of the sentence's content terms that the evidence contains."""
    terms = content_terms(sentence)
    if not terms:
        return 1.0
    return len(terms & (content_terms(evidence) | _stems(evidence))) / len(terms)


def _stems(text: str) -> set[str]:
    return {stem(w) for w in words(text)}


def units(parts: Sequence[str]) -> list[str]:
    """Return a passage's sentences and adjacent pairs, the units a claim is compared with."""
    parts = list(parts)
    return parts + [f"{a} {b}" for a, b in itertools.pairwise(parts)]


class SupportChecker:
    """Decide whether passages support sentences, with cached MiniLM embeddings."""

    def __init__(self, embeddings: MiniLMEmbeddings, thresholds: Thresholds = THRESHOLDS) -> None:
        self.embeddings = embeddings
        self.thresholds = thresholds
        self._vectors: dict[str, np.ndarray] = {}

    def warm(self, texts: Sequence[str]) -> None:
        """Embed the texts not seen yet in one batch (the cache holds at most CACHE_SIZE)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if not missing:
            return
        if len(self._vectors) + len(missing) > CACHE_SIZE:
            self._vectors.clear()
        self._vectors.update(zip(missing, self.embeddings.matrix(missing), strict=True))

    def cosine(self, sentence: str, parts: Sequence[str]) -> float:
        """Return the best cosine similarity between a sentence and a passage's units."""
        texts = [sentence, *units(parts)]
        self.warm(texts)
        rows = np.stack([self._vectors[u] for u in texts[1:]])
        return float((rows @ self._vectors[sentence]).max())

    def warm_passages(self, claims: Sequence[str], passages: Sequence[str]) -> None:
        """Embed a draft's claims and every unit of its passages in one batch."""
        self.warm([*claims, *(u for p in passages for u in units(sentences(p) or [p]))])

    def support(
        self,
        sentence: str,
        passage: str,
        index: int = 0,
        extra: str = "",
        parts: Sequence[str] | None = None,
    ) -> Support:
        """Return how well `passage` (plus `extra`, e.g. its heading) supports the sentence.

        `parts` overrides how the passage splits into sentences (e.g. the lines of feedback).
        """
        evidence = f"{extra}\n{passage}" if extra else passage
        novel = novelties(sentence, evidence)
        pieces = list(parts or []) or sentences(passage) or [passage]
        cos, lex = self.cosine(sentence, pieces), lexical(sentence, evidence)
        t = self.thresholds
        ok = not novel and cos >= t.min_cosine and cos + t.lexical_weight * lex >= t.score
        return Support(index, cos, lex, novel, ok)


# --- checking a drafted answer --------------------------------------------------------------

_MARKER_AFTER_STOP = re.compile(r"([.!?])((?:[ \t]*\[[^\]\n]{1,20}\])+)")
_PREFIX = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_EMPHASIS = re.compile(r"\*\*|__|`")
MAX_CONNECTIVE_WORDS = 14
# Content words a sentence may use and still carry no fact ("Here are the key steps:").
_CONNECTIVE = frozenset(
    stem(w)
    for w in """here guide guides say says said question questions great good answer answers
    summary overview follow following point points key help helps helpful happy hope information
    look share cover covers covered based according passage passages source sources detail details
    main short brief advice tip tips suggest suggestion suggestions note thing things few way ways
    idea ideas option options practical additionally first second third finally next overall
    luck best wish step steps important consider start started sure thank thanks glad great
    certainly absolutely course area areas focus aspect aspects keep mind remember include
    includes""".split()
)


@dataclass(frozen=True)
class Sentence:
    """One sentence of a draft: the claim without markers, its markers, where it stood."""

    claim: str
    markers: tuple[int, ...]
    line: int
    paragraph: int = 0
    prefix: str = ""


@dataclass(frozen=True)
class Decision:
    """What the check did with one sentence: keep (citing passages, 0-based) or drop, and why."""

    sentence: Sentence
    keep: bool
    cites: tuple[int, ...]
    reason: str  # supported | joint | repointed | added | connective | unsupported | empty


@dataclass
class Checked:
    """A checked answer: text with markers renumbered 1..n, and the passages behind each n."""

    text: str
    cited: list[int]  # passage indices; marker n refers to passages[cited[n - 1]]
    decisions: list[Decision]

    @property
    def supported(self) -> int:
        """Return how many sentences were kept with a citation."""
        return sum(1 for d in self.decisions if d.keep and d.cites)

    @property
    def dropped(self) -> int:
        """Return how many sentences were dropped as unsupported."""
        return sum(1 for d in self.decisions if d.reason == "unsupported")

    @property
    def substantive(self) -> int:
        """Return how many sentences stated something (kept with a citation, or dropped)."""
        return self.supported + self.dropped


def split_draft(draft: str, headings: Sequence[str] = ()) -> list[Sentence]:
    """Split a drafted answer into sentences, keeping each one's markers, line and list prefix.

    Passage headings the model copied in front of a sentence ("Step 5: Certification: ...") are
    removed, and a last sentence cut off without end punctuation (the token limit) is dropped.
    """
    text = _EMPHASIS.sub("", _MARKER_AFTER_STOP.sub(r"\2\1", draft.replace("\r", "")))
    text = strip_headings(text, headings)
    found: list[Sentence] = []
    paragraph = 0
    for number, line in enumerate(text.split("\n")):
        if not line.strip():
            paragraph += 1
            continue
        prefix_match = _PREFIX.match(line)
        prefix = prefix_match.group(0).strip() + " " if prefix_match else ""
        body = line[prefix_match.end() :] if prefix_match else line
        for k, part in enumerate(sentences(body)):
            lead = prefix if k == 0 else ""
            found.append(
                Sentence(strip_markers(part), parse_markers(part), number, paragraph, lead)
            )
    if found and cut_off(text, found[-1]):
        found.pop()
    return found


def strip_headings(text: str, headings: Sequence[str]) -> str:
    """Remove copied passage headings that stand before a sentence as a label ("Heading: ")."""
    for heading in sorted({h.strip() for h in headings if h.strip()}, key=len, reverse=True):
        label = rf"(?:\({re.escape(heading)}\):?|{re.escape(heading)}:)\s+"
        text = re.sub(
            rf"(^|\n|\]\s*|[.!?]\s+|^\s*(?:[-*•]|\d{{1,2}}[.)])\s+){label}", r"\1", text, flags=re.M
        )
    return text


def cut_off(text: str, last: Sentence) -> bool:
    """Return whether the draft's last sentence was cut off mid-way (no end punctuation)."""
    tail = strip_markers(text.rstrip().split("\n")[-1])
    return not last.prefix and not tail.endswith((".", "!", "?", ":", ")")) and len(words(tail)) > 3


def is_connective(claim: str) -> bool:
    """Return whether a sentence only frames the answer and states no fact."""
    if len(words(claim)) > MAX_CONNECTIVE_WORDS or numbers(claim) or names(claim):
        return False
    if dosing_terms(claim) or _ABSOLUTE & set(words(claim)):
        return False
    return content_terms(claim) <= _CONNECTIVE


class AnswerChecker:
    """Check every sentence of a draft against the passages it cites and rewrite its markers."""

    def __init__(self, checker: SupportChecker) -> None:
        self.checker = checker

    def decide(
        self, sentence: Sentence, passages: Sequence[str], extras: Sequence[str]
    ) -> Decision:
        """Keep a sentence citing the passages that support it, or drop it."""
        claim = sentence.claim
        if not words(claim):
            return Decision(sentence, False, (), "empty")
        valid = tuple(dict.fromkeys(n - 1 for n in sentence.markers if 1 <= n <= len(passages)))
        found = [self.checker.support(claim, p, i, extras[i]) for i, p in enumerate(passages)]
        backing = tuple(i for i in valid if found[i].supported)
        if backing:
            return Decision(sentence, True, backing, "supported")
        if len(valid) > 1 and self._joint(claim, passages, extras, valid):
            return Decision(sentence, True, valid, "joint")
        good = [s for s in found if s.supported]
        if good:
            best = max(good, key=lambda s: s.score(self.checker.thresholds)).passage
            return Decision(sentence, True, (best,), "repointed" if sentence.markers else "added")
        if is_connective(claim):
            return Decision(sentence, True, (), "connective")
        return Decision(sentence, False, (), "unsupported")

    def _joint(
        self, claim: str, passages: Sequence[str], extras: Sequence[str], cited: tuple[int, ...]
    ) -> bool:
        joined = " ".join(passages[i] for i in cited)
        return self.checker.support(claim, joined, 0, " ".join(extras[i] for i in cited)).supported

    def check(self, draft: str, passages: Sequence[str], extras: Sequence[str] = ()) -> Checked:
        """Return the draft with unsupported sentences dropped and markers renumbered 1..n."""
        extras = list(extras) or [""] * len(passages)
        found = split_draft(draft, extras)
        self.checker.warm_passages([s.claim for s in found], passages)
        decisions = [self.decide(s, passages, extras) for s in found]
        text, cited = render_checked(decisions)
        return Checked(text, cited, decisions)


def _with_markers(claim: str, numbers_: list[int]) -> str:
    if not numbers_:
        return claim
    tags = " ".join(f"[{n}]" for n in numbers_)
    if claim[-1:] in ".!?":
        return f"{claim[:-1]} {tags}{claim[-1]}"
    return f"{claim} {tags}"


def render_checked(decisions: list[Decision]) -> tuple[str, list[int]]:
    """Lay kept sentences out on their lines, numbering cited passages by first appearance."""
    cited: list[int] = []
    lines: dict[tuple[int, int], list[str]] = {}
    for d in decisions:
        if not d.keep:
            continue
        for i in d.cites:
            if i not in cited:
                cited.append(i)
        text = _with_markers(d.sentence.claim, [cited.index(i) + 1 for i in d.cites])
        where = (d.sentence.paragraph, d.sentence.line)
        lines.setdefault(where, []).append(d.sentence.prefix + text)
    blocks: list[str] = []
    paragraph = None
    for where in sorted(lines):
        if paragraph is not None and where[0] != paragraph:
            blocks.append("")
        blocks.append(" ".join(lines[where]))
        paragraph = where[0]
    return "\n".join(blocks).strip(), cited
