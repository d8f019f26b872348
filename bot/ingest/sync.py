"""Ingest: build or update the index incrementally; unchanged documents are left alone."""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import asdict, dataclass

from langchain_chroma import Chroma

from bot.config import Settings
from bot.ingest.chunking import chunk_document, embed_text
from bot.ingest.documents import SourceDoc, load_corpus
from bot.schemas import Chunk


@dataclass
class IngestReport:
    """What an ingest run changed, in documents, and the chunks now indexed."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    chunks: int = 0

    def public(self) -> dict[str, int]:
        """Return the contract's `--json` shape."""
        return asdict(self)


def indexed_ids(store: Chroma) -> dict[str, set[str]]:
    """Return the chunk ids in the index, grouped by source file."""
    got = store.get(include=["metadatas"])
    by_source: dict[str, set[str]] = defaultdict(set)
    for cid, meta in zip(got["ids"], got["metadatas"], strict=False):
        by_source[str((meta or {}).get("source", ""))].add(cid)
    return by_source


def _metadata(chunk: Chunk, doc: SourceDoc, position: int) -> dict[str, str | int]:
    return {
        "position": position,
        "source": chunk.source,
        "title": chunk.title,
        "section": chunk.section,
        "text": chunk.text,
        "doc_hash": doc.digest,
    }


def _add(store: Chroma, chunks: list[Chunk], doc: SourceDoc) -> None:
    if chunks:
        store.add_texts(
            texts=[embed_text(c) for c in chunks],
            metadatas=[_metadata(c, doc, i) for i, c in enumerate(chunks)],
            ids=[c.id for c in chunks],
        )


def _progress(total: int, show: bool):  # type: ignore[no-untyped-def]
    from rich.progress import Progress

    progress = Progress(disable=not show, transient=True)
    return progress, progress.add_task("Indexing guides", total=total)


def ingest(settings: Settings, store: Chroma, show_progress: bool | None = None) -> IngestReport:
    """Sync the index with the corpus: add new, re-chunk edited, drop deleted documents."""
    docs = load_corpus(settings.corpus_dir)
    existing = indexed_ids(store)
    report = IngestReport()
    show = sys.stderr.isatty() if show_progress is None else show_progress
    progress, task = _progress(len(docs), show)
    with progress:
        for doc in docs:
            chunks = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
            new_ids = {c.id for c in chunks}
            old_ids = existing.pop(doc.source, set())
            if new_ids != old_ids:
                if old_ids:
                    store.delete(ids=sorted(old_ids))
                _add(store, chunks, doc)
                if old_ids:
                    report.updated += 1
                else:
                    report.added += 1
            progress.advance(task)
    for ids in existing.values():
        store.delete(ids=sorted(ids))
        report.removed += 1
    report.chunks = len(store.get(include=[])["ids"])
    return report
