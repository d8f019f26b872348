"""Text helpers shared by retrieval, condensing and composing: tokens, stopwords, sentences."""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves also get gets getting got really much many need needs want wants may might must
    shall like tell know let lets well even still ever one ones im i'm i've ive youre you're
    it's thats what's whats
    """.split()
)
# Words every question in this domain shares; they carry no topic of their own.
GENERIC = frozenset(
    """
    medical director directors physician physicians doctor doctors become becoming role job
    career guide guides md
    """.split()
)

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
SENTENCE_END = r"(?<=[.!?])\s+"  # also a separator of the chunk splitter
_SENTENCE = re.compile(SENTENCE_END + r"(?=[A-Za-z0-9\"“(])")
# Citation markers as any engine writes them: "[1]", "[1, 3]", "[Passage 2]".
MARKER = re.compile(r"\s*\[\s*(?:passage|source|ref)?\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]", re.I)


def stem(word: str) -> str:
    """Return a light stem (plural and common suffixes off) for lexical matching."""
    for suffix in ("ications", "ication", "ations", "ation", "ments", "ment", "ings", "ing"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Return lowercase word tokens."""
    return _WORD.findall(text.lower().replace("’", "'"))


def tokens(text: str) -> list[str]:
    """Return stemmed content tokens (stopwords removed), for BM25 and overlap."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def topic_terms(text: str) -> set[str]:
    """Return the stemmed content terms that carry a topic (no stopwords or domain words)."""
    return {t for t in tokens(text) if t not in GENERIC and stem(t) not in GENERIC and len(t) > 1}


_FRAMING = re.compile(r"^(conclusion|introduction|summary|overview|final thoughts)\b", re.I)


def is_framing(section: str, title: str) -> bool:
    """Return whether a section only frames a guide (its untitled opening or its conclusion)."""
    return section == title or bool(_FRAMING.match(section))


def content_terms(text: str) -> set[str]:
    """Return the stemmed content terms of a text (no stopwords, no domain-generic words)."""
    return {stem(t) for t in topic_terms(text)}


def plain(text: str) -> str:
    """Return text lowercased, with straight apostrophes and single spaces (for span matching)."""
    return " ".join(text.replace("’", "'").split()).lower()


def sentences(text: str) -> list[str]:
    """Split prose into sentences (whitespace runs become single spaces)."""
    return [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]


def parse_markers(text: str) -> tuple[int, ...]:
    """Return the marker numbers in text ("[1]", "[1, 3]", "[Passage 2]"), in order."""
    found: list[int] = []
    for m in MARKER.finditer(text):
        found += [int(n) for n in re.split(r"\s*[,;]\s*", m.group(1)) if n]
    return tuple(found)


def strip_markers(text: str) -> str:
    """Remove markers and tidy the spacing they leave before punctuation."""
    return re.sub(r"\s+([.!?,;:])", r"\1", MARKER.sub("", text)).strip()


# Words that stand for what a question asks for, so the answer's wording can match them.
_EXPANSIONS: list[tuple[str, frozenset[str]]] = [
    (
        r"\bhow long\b|\bhow many years\b|\btimeline\b|\bhow soon\b",
        frozenset({"year", "month", "span", "time"}),
    ),
    (r"\bsalary\b|\bearn\b|\bpay\b|\bpaid\b|\bincome\b", frozenset({"compensation"})),
    (
        r"\bwho (awards|offers|gives|grants|runs|issues)\b|\bwhich (board|organi[sz]ation)\b",
        frozenset({"board", "organization", "american"}),
    ),
    (r"\bwhere\b.*\b(find|look)\b", frozenset({"board", "network", "organization"})),
    (
        r"\bwhat (does|do) [\w\s-]{0,40}\bdo\s*\??\s*$"
        r"|\bduties\b|\bday[- ]to[- ]day\b|\bresponsibilit",
        frozenset({"duty", "responsibility", "oversee", "oversight"}),
    ),
]


# Everyday words for what the guides name otherwise.
SYNONYMS: dict[str, str] = {
    "cv": "resume",
    "mba": "business",
    "mha": "administration",
    "résumé": "resume",
    "salary": "compensation",
    "pay": "compensation",
    "cert": "certification",
    "boss": "leader",
    "hospitalist": "physician",
    "doc": "physician",
}
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]{2,}|[A-Z]{2,6}s?)\b")
_COMMON_NAMES = frozenset("i md do dos mds ceo cmo cfo coo us usa ok".split())


def expansions(question: str) -> set[str]:
    """Return extra terms implied by what the question asks (e.g. "how long" -> years)."""
    extra: set[str] = set()
    for pattern, terms in _EXPANSIONS:
        if re.search(pattern, question, re.I):
            extra |= terms
    extra |= {SYNONYMS[w] for w in words(question) if w in SYNONYMS}
    return extra


def names(text: str) -> set[str]:
    """Return lowercased proper names and acronyms in a question (not its first word)."""
    found = {m.group(1).lower() for m in _NAME.finditer(text.strip())}
    return {n for n in found if n not in _COMMON_NAMES and n not in SYNONYMS}


_REFERS_BACK = re.compile(
    r"\b(it|its|that|this|those|these|they|them|their|there|he|she|one|ones|such|same|above)\b"
    r"|^(and|also|but|so|what about|how about|and what|then|ok|okay)\b",
    re.I,
)


def is_follow_up(question: str) -> bool:
    """Return whether a question leans on the previous turn (refers back, or is too short)."""
    if _REFERS_BACK.search(question.strip()):
        return len(words(question)) <= 14
    return len(topic_terms(question)) <= 1 and len(words(question)) <= 6
