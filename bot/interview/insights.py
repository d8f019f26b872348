"""Warmup-style insights beside the score: guide terms, talking points, repeats, length, time."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.interview.bank import KeyPoint, Question
from bot.text import GENERIC, STOPWORDS, stem, words

SPEAKING_WPM = 130  # words a minute when speaking in an interview
MAX_TERMS = 8
REPEAT_MIN = 3
MAX_REPEATS = 5
MIN_LETTERS = 4


def _content_words(text: str) -> list[str]:
    return [
        w
        for w in words(text)
        if w.isalpha() and len(w) >= MIN_LETTERS and w not in STOPWORDS and w not in GENERIC
    ]


def guide_terms(points: tuple[KeyPoint, ...]) -> list[str]:
    """Return the guides' words for a question: its key points' text and verbatim quotes."""
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for point in points:
        for word in _content_words(f"{point.text} {point.quote}"):
            counts[stem(word)] += 1
            spelling.setdefault(stem(word), word)
    ranked = sorted(counts, key=lambda term: (-counts[term], list(spelling).index(term)))
    return [spelling[term] for term in ranked]


def speaking_time(seconds: int) -> str:
    """Return seconds as "1 min 25 s" or "40 s"."""
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def repeated_words(answer: str) -> list[dict[str, Any]]:
    """Return the content words said at least three times, most repeated first."""
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for word in _content_words(answer):
        counts[stem(word)] += 1
        spelling.setdefault(stem(word), word)
    repeated = [(n, term) for term, n in counts.items() if n >= REPEAT_MIN]
    return [
        {"word": spelling[term], "count": n}
        for n, term in sorted(repeated, key=lambda x: (-x[0], x[1]))[:MAX_REPEATS]
    ]


def insights(question: Question, answer: str, covered: list[int]) -> dict[str, Any]:
    """Return the insights on one answer (no score depends on them)."""
    said = {stem(w) for w in words(answer)}
    terms = guide_terms(question.key_points)
    count = len(words(answer))
    seconds = round(count * 60 / SPEAKING_WPM)
    return {
        "words": count,
        "speaking_seconds": seconds,
        "speaking_time": speaking_time(seconds),
        "guide_terms_used": [t for t in terms if stem(t) in said][:MAX_TERMS],
        "guide_terms_missed": [t for t in terms if stem(t) not in said][:MAX_TERMS],
        "talking_points_covered": [question.key_points[i].text for i in covered],
        "repeated_words": repeated_words(answer),
    }
