"""Ingest: build or update the index incrementally; unchanged documents are left alone.

Every vector is computed here, once: each chunk's and each of its sentences' (retrieval reranks by
the best sentence). Both are stored in the index, so a start-up reads them and embeds nothing.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from langchain_chroma import Chroma

from bot.config import Settings
from bot.heal import secure_tree
from bot.ingest.chunking import chunk_document, embed_text
from bot.ingest.documents import SourceDoc, load_corpus
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.ingest.flags import flag_document
from bot.ingest.index import (
    WRITE_BATCH,
    corpus_stamp,
    delete_sentences,
    pages,
    write_manifest,
    write_sentences,
)
from bot.schemas import Chunk
from bot.text import sentences

FLUSH_CHUNKS = 512  # chunks embedded per batch (across documents, so batches stay full)


@dataclass
class IngestReport:
    """What an ingest run changed, in documents, the chunks now indexed and sentences to review."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    chunks: int = 0
    flagged: list[dict[str, Any]] = field(default_factory=list)
    embedded: int = 0  # chunks embedded in this run
    seconds: float = 0.0

    def public(self) -> dict[str, Any]:
        """Return the contract's `--json` shape, plus the sentences flagged for review."""
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "chunks": self.chunks,
            "flagged": self.flagged,
        }


def chunk_sentences(chunk: Chunk) -> list[str]:
    """Return the sentences of a chunk whose vectors are stored (the chunk itself if none)."""
    return sentences(chunk.text) or [chunk.text]


@dataclass
class _Indexed:
    """The index's chunk ids, document hashes and review flags, by source file."""

    ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    hashes: dict[str, str] = field(default_factory=dict)
    flags: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _read_index(store: Chroma) -> _Indexed:
    found = _Indexed()
    for got in pages(store._collection, ["metadatas"]):
        for cid, meta in zip(got["ids"], got["metadatas"], strict=False):
            meta = meta or {}
            source = str(meta.get("source", ""))
            found.ids[source].add(cid)
            found.hashes.setdefault(source, str(meta.get("doc_hash", "")))
            if meta.get("flags"):
                found.flags[source] = json.loads(str(meta["flags"]))
    return found


def _metadata(chunk: Chunk, doc: SourceDoc, position: int, flags: str) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "position": position,
        "source": chunk.source,
        "title": chunk.title,
        "section": chunk.section,
        "text": chunk.text,
        "doc_hash": doc.digest,
        "flags": flags if position == 0 else "",
    }
    return meta


class _Writer:
    """Queue chunks across documents; embed each distinct text once and store in batches.

    New chunks get their chunk and sentence vectors; chunks a document kept (same id) only get
    their metadata refreshed. Texts repeated across documents (licence boilerplate) are embedded
    once per run.
    """

    def __init__(self, store: Chroma, embeddings: MiniLMEmbeddings) -> None:
        self.store = store
        self.embeddings = embeddings
        self.pending: list[tuple[Chunk, dict[str, Any]]] = []
        self.refresh: list[tuple[str, dict[str, Any]]] = []
        self.known: dict[str, np.ndarray] = {}
        self.written = 0

    def add(
        self, chunks: list[Chunk], doc: SourceDoc, flags: list[dict[str, Any]], kept: set[str]
    ) -> None:
        """Queue one document: new chunks to embed, kept ones to refresh (flags on the first)."""
        text = json.dumps(flags, ensure_ascii=False) if flags else ""
        for i, chunk in enumerate(chunks):
            meta = _metadata(chunk, doc, i, text)
            if chunk.id in kept:
                self.refresh.append((chunk.id, meta))
            else:
                self.pending.append((chunk, meta))
        if len(self.pending) >= FLUSH_CHUNKS:
            self.flush()

    def _vectors(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        self.known.update(zip(missing, self.embeddings.encode(missing), strict=True))
        return np.stack([self.known[t] for t in texts])

    def flush(self) -> None:
        """Embed and store everything queued."""
        for start in range(0, len(self.refresh), WRITE_BATCH):
            part = self.refresh[start : start + WRITE_BATCH]
            self.store._collection.update(ids=[i for i, _ in part], metadatas=[m for _, m in part])
        self.refresh = []
        if not self.pending:
            return
        chunks = [c for c, _ in self.pending]
        texts = [embed_text(c) for c in chunks]
        vectors = self._vectors(texts)
        groups = [chunk_sentences(c) for c in chunks]
        self._vectors([s for group in groups for s in group])
        for start in range(0, len(chunks), WRITE_BATCH):
            end = start + WRITE_BATCH
            self.store._collection.upsert(
                ids=[c.id for c in chunks[start:end]],
                embeddings=vectors[start:end],
                metadatas=[m for _, m in self.pending[start:end]],
                documents=texts[start:end],
            )
        write_sentences(
            self.store,
            {c.id: self._vectors(group) for c, group in zip(chunks, groups, strict=True)},
        )
        self.written += len(chunks)
        self.pending = []


def _progress(total: int, show: bool):  # type: ignore[no-untyped-def]
    from rich.progress import Progress

    progress = Progress(disable=not show, transient=True)
    return progress, progress.add_task("Indexing guides", total=total)


def _delete(store: Chroma, ids: set[str]) -> None:
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        store.delete(ids=ordered[start : start + 500])
    delete_sentences(store, ordered)


def ingest(settings: Settings, store: Chroma, show_progress: bool | None = None) -> IngestReport:
    """Sync the index with the corpus: add new, re-chunk edited, drop deleted documents.

    An edited document keeps the chunks whose text did not change (their ids are content
    hashes); only new chunks are embedded.
    """
    started = time.perf_counter()
    stamp = corpus_stamp(settings.corpus_dir)  # before reading: an edit meanwhile re-syncs later
    docs = load_corpus(settings.corpus_dir)
    embeddings = cast(MiniLMEmbeddings, store.embeddings)
    index = _read_index(store)
    report = IngestReport()
    writer = _Writer(store, embeddings)
    show = sys.stderr.isatty() if show_progress is None else show_progress
    progress, task = _progress(len(docs), show)
    flagged: dict[str, list[dict[str, Any]]] = {}
    with progress:
        for doc in docs:
            chunks = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
            old_ids = index.ids.pop(doc.source, set())
            new_ids = {c.id for c in chunks}
            if new_ids != old_ids or index.hashes.get(doc.source) != doc.digest:
                flagged[doc.source] = flag_document(doc)
                _delete(store, old_ids - new_ids)
                writer.add(chunks, doc, flagged[doc.source], kept=old_ids & new_ids)
                report.updated += bool(old_ids)
                report.added += not old_ids
            else:
                flagged[doc.source] = index.flags.get(doc.source, [])
            progress.advance(task)
        writer.flush()
    for ids in index.ids.values():
        _delete(store, ids)
        report.removed += 1
    report.chunks = store._collection.count()
    report.flagged = [f for source in sorted(flagged) for f in flagged[source]]
    report.embedded = writer.written
    if not settings.chroma_host:
        secure_tree(settings.data_dir)
    write_manifest(settings, embeddings, stamp)
    report.seconds = time.perf_counter() - started
    return report


def sentence_matrix(embeddings: MiniLMEmbeddings, chunks: list[Chunk]) -> dict[str, np.ndarray]:
    """Embed the sentences of chunks (used to heal chunks whose sentence vectors are missing)."""
    groups = [chunk_sentences(c) for c in chunks]
    flat = embeddings.encode([s for group in groups for s in group])
    rows, start = {}, 0
    for chunk, group in zip(chunks, groups, strict=True):
        rows[chunk.id], start = flat[start : start + len(group)], start + len(group)
    return rows


def ingest_healed(settings: Settings, embeddings: MiniLMEmbeddings) -> IngestReport:
    """Open the index (healed), sync it, and close it; a failing embedded index is rebuilt once."""
    from bot.heal import reason_of
    from bot.ingest.index import close, index_lock, is_index_failure, open_store, quarantine

    with index_lock(settings):
        for attempt in range(2):
            store = open_store(settings, embeddings)
            try:
                return ingest(settings, store)
            except BaseException as exc:
                if settings.chroma_host or attempt or not is_index_failure(exc):
                    raise
                quarantine(settings, store, reason_of(exc))
            finally:
                close(store)
    raise AssertionError("unreachable")


def format_flagged(flagged: list[dict[str, Any]], limit: int = 20) -> str:
    """Return the sentences flagged for review as readable lines (the first `limit`)."""
    lines = [f"{len(flagged)} sentences to review (instructions to the reader, addresses, links):"]
    for item in flagged[:limit]:
        lines.append(
            f"  {item['source']} — {item['section']} [{', '.join(item['reasons'])}]: {item['text']}"
        )
    if len(flagged) > limit:
        lines.append(f"  … and {len(flagged) - limit} more (--json lists them all)")
    return "\n".join(lines)
