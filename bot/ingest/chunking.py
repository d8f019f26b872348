"""Chunking: split each guide by its headings, then into sentence-aligned pieces with stable ids."""

from __future__ import annotations

import hashlib
import re

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from bot.ingest.documents import SourceDoc
from bot.markup import strip_markup
from bot.schemas import Chunk
from bot.text import SENTENCE_END

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]


def chunk_id(source: str, section: str, text: str) -> str:
    """Return a stable content-hash id for a chunk."""
    return hashlib.sha256(f"{source}\x1f{section}\x1f{text}".encode()).hexdigest()[:24]


def _splitter(size: int, overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=overlap,
        separators=["\n\n", "\n", SENTENCE_END, "; ", ", ", " "],
        is_separator_regex=True,
        keep_separator="end",
        strip_whitespace=True,
    )


def _section_name(meta: dict[str, str], title: str) -> str:
    for key in ("h4", "h3", "h2"):
        if meta.get(key):
            return meta[key]
    return meta.get("h1") or title


def _clean(text: str) -> str:
    """Drop images, HTML and link targets (a link keeps its words), then tidy the spacing."""
    text = strip_markup(text)
    return re.sub(r"[ \t]+", " ", re.sub(r"\n{3,}", "\n\n", text)).strip()


def chunk_document(doc: SourceDoc, size: int = 350, overlap: int = 0) -> list[Chunk]:
    """Split one guide into heading-aware chunks of at most `size` characters."""
    sections = MarkdownHeaderTextSplitter(_HEADERS, strip_headers=True).split_text(doc.text)
    splitter = _splitter(size, overlap)
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section in sections:
        name = _section_name(dict(section.metadata), doc.title)
        for raw in splitter.split_text(_clean(section.page_content)):
            piece = " ".join(raw.split())
            if len(piece) < 25:
                continue
            cid = chunk_id(doc.source, name, piece)
            if cid not in seen:
                seen.add(cid)
                chunks.append(Chunk(cid, doc.source, doc.title, name, piece))
    return chunks


def embed_text(chunk: Chunk) -> str:
    """Return the text that is embedded and indexed: section heading, then the passage."""
    return f"{chunk.section}. {chunk.text}" if chunk.section != chunk.title else chunk.text
