"""Guides: the corpus Markdown split into headed sections and paragraphs, for citations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.ingest.documents import read_document

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$")


@dataclass(frozen=True)
class Section:
    """One headed section of a guide and its paragraphs."""

    source: str
    title: str
    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Guides:
    """Every guide in the corpus, as sections in reading order."""

    sections: tuple[Section, ...]

    def titles(self) -> dict[str, str]:
        """Return the title of each guide by file name."""
        return {s.source: s.title for s in self.sections}

    def named(self, source: str, heading: str) -> list[Section]:
        """Return the sections of `source` whose heading is exactly `heading`."""
        return [s for s in self.sections if s.source == source and s.heading == heading]

    def paragraph(self, source: str, heading: str, quote: str) -> str | None:
        """Return the paragraph of the named section that contains `quote` verbatim."""
        for section in self.named(source, heading):
            for paragraph in section.paragraphs:
                if quote in paragraph:
                    return paragraph
        return None


def _split_sections(source: str, title: str, text: str) -> list[Section]:
    sections: list[Section] = []
    heading, lines = title, []
    for line in [*text.splitlines(), "# end"]:
        match = _HEADING.match(line)
        if not match:
            lines.append(line)
            continue
        paragraphs = [" ".join(p.split()) for p in "\n".join(lines).split("\n\n") if p.strip()]
        if paragraphs:
            sections.append(Section(source, title, heading, tuple(paragraphs)))
        heading, lines = match.group(2), []
    return sections


def load_guides(corpus_dir: Path) -> Guides:
    """Read every Markdown guide in `corpus_dir` into sections."""
    found: list[Section] = []
    for path in sorted(corpus_dir.glob("*.md")):
        doc = read_document(path)
        found.extend(_split_sections(doc.source, doc.title, doc.text))
    return Guides(tuple(found))
