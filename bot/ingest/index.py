"""The index on disk: open it healed, read it in pages, and keep sentence vectors beside the chunks.

The index is derived data. At open it is checked (manifest, SQLite integrity, a probe of the
nearest-neighbour index); a missing, unreadable or incompatible index is moved aside, with one log
line saying where, and rebuilt from the corpus. A manifest records what built it (format, model,
chunking) and a stamp of the corpus, so a changed corpus is synced at the next start.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import sqlite3
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import chromadb
import chromadb.errors
import numpy as np
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma

from bot.config import Settings
from bot.heal import move_aside, reason_of, sqlite_problem
from bot.ingest.documents import SUFFIXES
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.ingest.store import make_store

log = logging.getLogger("bot.ingest.index")

FORMAT = 2  # 1: chunk vectors only; 2: sentence vectors stored beside them
MANIFEST = "manifest.json"
SENTENCES = "_sentences"
PAGE = 5000  # rows per read (SQLite caps the variables of one statement)
WRITE_BATCH = 5000  # rows per write (Chroma's batch limit is about 5,400)
# Sentence vectors are read whole, never searched: a cheap graph keeps writes fast.
SENTENCE_META = {
    "hnsw:space": "cosine",
    "hnsw:M": 8,
    "hnsw:construction_ef": 16,
}
PROBES = 3  # stored chunk vectors looked up at open; most must find themselves
# hnswlib's persisted header (as Chroma writes it): format version, then offsetLevel0,
# max_elements, cur_element_count and size_data_per_element (the fields checked here).
HNSW_HEADER = struct.Struct("<i4Q")
HNSW_VERSION = 1


def spec(settings: Settings, embeddings: MiniLMEmbeddings) -> dict[str, Any]:
    """Return what an index must have been built with to be reused."""
    return {
        "format": FORMAT,
        "model": Path(embeddings.model_path).name,
        "dimension": embeddings.dimension,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "collection": settings.collection,
    }


def manifest_path(settings: Settings) -> Path:
    """Return where the manifest lives (beside the embedded index, or in the data dir)."""
    if settings.chroma_host:
        return settings.data_dir / f"chroma-server-{settings.collection}.json"
    return settings.index_dir / MANIFEST


def read_manifest(settings: Settings) -> dict[str, Any] | None:
    """Return the manifest, or None when there is none; raise ValueError when it is unreadable."""
    path = manifest_path(settings)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"unreadable manifest ({reason_of(exc)})") from exc
    if not isinstance(data, dict):
        raise ValueError("unreadable manifest (not an object)")
    return data


def write_manifest(settings: Settings, embeddings: MiniLMEmbeddings, stamp: str) -> None:
    """Record what built the index and the corpus stamp it matches (written atomically)."""
    path = manifest_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({**spec(settings, embeddings), "corpus": stamp}, indent=1), "utf-8")
    tmp.replace(path)


def corpus_stamp(folder: Path) -> str:
    """Return a stamp of the corpus files (names, sizes, modification times): cheap to compute."""
    digest = hashlib.sha256()
    paths = sorted(p for p in folder.glob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
    for path in paths:
        info = path.stat()
        digest.update(f"{path.name}\x1f{info.st_size}\x1f{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


def mismatch(settings: Settings, embeddings: MiniLMEmbeddings) -> str | None:
    """Return why the manifest rules the index out (other format, model or chunking), or None."""
    manifest = read_manifest(settings)
    if manifest is None:
        return None
    wanted = spec(settings, embeddings)
    for key, value in wanted.items():
        if key != "collection" and manifest.get(key) != value:
            return f"built with {key}={manifest.get(key)!r}, this version needs {value!r}"
    return None


def is_stale(settings: Settings, store: Chroma) -> bool:
    """Return whether the index must be synced with the corpus (new, changed or not stamped)."""
    try:
        manifest = read_manifest(settings)
    except ValueError:
        return True
    if manifest is None or manifest.get("format") != FORMAT:
        return True
    if manifest.get("corpus") != corpus_stamp(settings.corpus_dir):
        return True
    return not store._collection.count()


@contextmanager
def index_lock(settings: Settings) -> Iterator[None]:
    """Hold the data dir's index lock: processes starting together heal and sync one at a time."""
    if settings.chroma_host:
        yield
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with (settings.data_dir / ".index.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_index_failure(exc: BaseException) -> bool:
    """Return whether an error came from the index's files (Chroma, SQLite, a Rust panic)."""
    if isinstance(exc, KeyboardInterrupt | SystemExit) or _is_busy(exc):
        return False
    return isinstance(exc, chromadb.errors.ChromaError | sqlite3.Error) or (
        type(exc).__name__ == "PanicException"
    )


def _is_busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text


def _client(settings: Settings) -> Any:
    return chromadb.PersistentClient(
        path=str(settings.index_dir),
        settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True),
    )


def index_problem(settings: Settings, embeddings: MiniLMEmbeddings) -> str | None:
    """Return why the embedded index cannot be used as it is, or None when it is sound or absent."""
    folder = settings.index_dir
    if not folder.exists():
        return None
    if not folder.is_dir():
        return "not a folder"
    if not any(folder.iterdir()):
        return None
    try:
        problem = (
            mismatch(settings, embeddings)
            or sqlite_problem(folder / "chroma.sqlite3")
            or hnsw_problem(folder)
        )
    except ValueError as exc:
        return str(exc)
    if problem:
        return problem
    try:
        client = _client(settings)
    except BaseException as exc:  # Chroma raises its own errors, SQLite's and Rust panics alike
        if not is_index_failure(exc) and not isinstance(exc, ValueError):
            raise
        return reason_of(exc)
    try:
        return _probe(client, settings, embeddings.dimension)
    except BaseException as exc:
        if not is_index_failure(exc) and not isinstance(exc, ValueError | IndexError):
            raise
        return reason_of(exc)
    finally:
        client.close()


def hnsw_problem(folder: Path) -> str | None:
    """Return why a segment's HNSW files disagree with their header, or None when they agree.

    The header says how many elements are stored and how many bytes each takes: the level-0
    data and the per-element lengths must hold at least that much. A truncated or overwritten
    file fails this whatever its bytes, where loading it may succeed by chance.
    """
    for header in sorted(folder.glob("*/header.bin")):
        segment, raw = header.parent, header.read_bytes()
        if len(raw) < HNSW_HEADER.size:
            return f"the HNSW header of segment {segment.name} is truncated"
        version, _, capacity, count, per_element = HNSW_HEADER.unpack_from(raw)
        if version != HNSW_VERSION or count > capacity:
            return f"the HNSW header of segment {segment.name} is not one this version writes"
        for name, needed in (("data_level0.bin", count * per_element), ("length.bin", 4 * count)):
            path = segment / name
            if not path.is_file() or path.stat().st_size < needed:
                return f"the HNSW file {name} of segment {segment.name} is shorter than it says"
    return None


def _probe(client: Any, settings: Settings, dimension: int) -> str | None:
    """Read a few stored vectors of each collection and look each one up in the graph."""
    names = {c.name for c in client.list_collections()}
    for name in (settings.collection, settings.collection + SENTENCES):
        if name not in names:
            continue
        collection = client.get_collection(name)
        count = collection.count()
        if not count:
            continue
        if (collection.metadata or {}).get("hnsw:space") != "cosine":
            return f"collection {name} does not use cosine distance"
        offsets = sorted({0, count // 2, count - 1})[:PROBES]
        vectors = [
            np.asarray(collection.get(limit=1, offset=o, include=["embeddings"])["embeddings"][0])
            for o in offsets
        ]
        if any(v.shape != (dimension,) for v in vectors):
            return f"collection {name} holds vectors of another width"
        found = collection.query(query_embeddings=vectors, n_results=10, include=["distances"])
        if name != settings.collection:
            continue  # the sentence graph is cheap (never searched): that it loads is enough
        misses = sum(1 for d in found["distances"] if not d or min(d) > 1e-3)
        if misses * 2 > len(vectors):
            return f"the nearest-neighbour index of {name} does not find stored vectors"
    return None


def open_store(settings: Settings, embeddings: MiniLMEmbeddings) -> Chroma:
    """Open the index; a damaged or incompatible embedded index is moved aside and started anew."""
    if not settings.chroma_host:
        problem = index_problem(settings, embeddings)
        if problem:
            move_aside(settings.index_dir, "the index", problem)
    return make_store(settings, embeddings)


def quarantine(settings: Settings, store: Chroma | None, reason: str) -> None:
    """Close the store and move the embedded index aside (after it failed while in use)."""
    if store is not None:
        close(store)
    if settings.index_dir.exists():
        move_aside(settings.index_dir, "the index", reason)


def close(store: Chroma) -> None:
    """Release the store's Chroma client (so its files can be moved)."""
    closer = getattr(store._client, "close", None)
    if closer is not None:
        try:
            closer()
        except Exception as exc:  # closing a broken client must not hide the first error
            log.debug("closing the index failed: %s", reason_of(exc))


def sentence_collection(store: Chroma) -> Any:
    """Return the collection of sentence vectors that sits beside the chunk collection."""
    return store._client.get_or_create_collection(
        name=store._collection.name + SENTENCES, metadata=SENTENCE_META
    )


def pages(collection: Any, include: list[str]) -> Iterator[dict[str, Any]]:
    """Yield a collection's rows in pages (a single read of everything exceeds SQLite's limits)."""
    offset = 0
    while True:
        got = collection.get(include=include, limit=PAGE, offset=offset)
        if not got["ids"]:
            return
        yield got
        offset += len(got["ids"])


def read_sentences(store: Chroma) -> dict[str, np.ndarray]:
    """Return each chunk's sentence vectors (rows in sentence order), read from the index."""
    parts: dict[str, dict[int, np.ndarray]] = {}
    for got in pages(sentence_collection(store), ["embeddings", "metadatas"]):
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        for sid, meta, vec in zip(got["ids"], got["metadatas"], vectors, strict=True):
            chunk = str((meta or {}).get("chunk", ""))
            parts.setdefault(chunk, {})[int(str(sid).rsplit(".", 1)[-1])] = vec
    return {
        chunk: np.stack([rows[i] for i in sorted(rows)]) if rows else np.zeros((0, 0))
        for chunk, rows in parts.items()
    }


def write_sentences(store: Chroma, rows: dict[str, np.ndarray]) -> None:
    """Store sentence vectors for chunks (ids `CHUNK.i`), in batches."""
    ids, metas, vecs = [], [], []
    for chunk, matrix in rows.items():
        for i, vec in enumerate(matrix):
            ids.append(f"{chunk}.{i}")
            metas.append({"chunk": chunk})
            vecs.append(vec)
    collection = sentence_collection(store)
    for start in range(0, len(ids), WRITE_BATCH):
        end = start + WRITE_BATCH
        collection.upsert(
            ids=ids[start:end], embeddings=np.asarray(vecs[start:end]), metadatas=metas[start:end]
        )


def delete_sentences(store: Chroma, chunk_ids: list[str]) -> None:
    """Drop the sentence vectors of these chunks."""
    collection = sentence_collection(store)
    for start in range(0, len(chunk_ids), 500):
        collection.delete(where={"chunk": {"$in": chunk_ids[start : start + 500]}})
