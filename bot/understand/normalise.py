"""Normalise casual typing: abbreviations from `prompts/understand.yaml`, typos against the guides.

A word that is neither in the guides nor in the embedding model's vocabulary is replaced by
the guides' word one edit away (two for long words), so "leadrship" reads "leadership" and
"interveiw" reads "interview", while words the guides never use ("CMIO", "dyad") stay as typed.
A word typed in capitals is an acronym, never a typo: "FACHE" stays, not "face".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")


def _pattern(key: str) -> re.Pattern[str]:
    flags = 0 if key.isupper() else re.IGNORECASE
    return re.compile(r"(?<![\w/])" + re.escape(key) + r"(?![\w/])", flags)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Return the optimal-string-alignment distance of a and b, or limit + 1 when above it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


class Normaliser:
    """Rewrite a message in the guides' words; keeps its meaning and everything it names."""

    def __init__(
        self, table: dict[str, str], corpus_words: Iterable[str], known_words: Iterable[str]
    ) -> None:
        keys = sorted(table, key=len, reverse=True)
        self._rules = [(_pattern(k), str(table[k])) for k in keys]
        self.corpus = {w.lower() for w in corpus_words if w.isalpha()}
        self.known = self.corpus | {w.lower() for w in known_words} | {k.lower() for k in table}
        self._by_start: dict[tuple[str, int], list[str]] = {}
        for word in self.corpus:
            self._by_start.setdefault((word[0], len(word)), []).append(word)
        self._memo: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        """Return the text with abbreviations expanded and typos corrected."""
        text = _WORD.sub(lambda m: self.spell(m.group(0)), text)
        for pattern, replacement in self._rules:
            text = pattern.sub(replacement, text)
        return " ".join(text.split())

    def spell(self, word: str) -> str:
        """Return the guides' word for a misspelt word, or the word unchanged."""
        low = word.lower().replace("’", "'")
        if len(low) < 5 or low in self.known or not low.isalpha() or word.isupper():
            return word  # a word typed in capitals is an acronym ("FACHE"), not a typo
        if low not in self._memo:
            if len(self._memo) > 10_000:
                self._memo.clear()
            self._memo[low] = self._closest(low)
        return self._memo[low] or word

    def _closest(self, low: str) -> str:
        """Return the guides' word nearest to `low` (same first letter), or ""."""
        limit = 1 if len(low) < 8 else 2
        best, best_distance = "", limit + 1
        for size in range(len(low) - limit, len(low) + limit + 1):
            for candidate in self._by_start.get((low[0], size), []):
                distance = edit_distance(low, candidate, limit)
                if distance < best_distance or (distance == best_distance and candidate < best):
                    best, best_distance = candidate, distance
        return best if best_distance <= limit else ""
