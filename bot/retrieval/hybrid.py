"""Hybrid retrieval: dense (Chroma) and BM25 over the same chunks, fused, deduplicated, floored."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import bm25s
import numpy as np
from langchain_chroma import Chroma

from bot.config import Settings
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.ingest.index import delete_sentences, pages, read_sentences, write_sentences
from bot.ingest.sync import chunk_sentences, sentence_matrix
from bot.retrieval.query_encoder import QueryEncoder, load_query_encoder
from bot.schemas import Chunk, Passage
from bot.text import (
    STOPWORDS,
    content_terms,
    expansions,
    is_framing,
    names,
    plain,
    tokens,
    words,
)

RRF_K = 60
CANDIDATES = 20  # per list, and reranked after fusion
# A large corpus needs a deeper list: among 12,000 chunks, 20 lost guide passages to distractors
# (eval hit rates -0.10; 40: -0.05, and the same figures as 20 on the guides alone).
DEEP_CANDIDATES = 40
DEEP_FROM_CHUNKS = 1000
SENTENCE_WEIGHT = 0.5  # similarity = mix of whole-chunk and best-sentence cosine
COVERAGE_WEIGHT = 0.45  # rerank bonus for covering the question's topic terms
FRAMING_PENALTY = 0.05  # a guide's opening or conclusion restates; sections with substance first
RELEVANCE_BAR = 0.56  # best similarity + COVERAGE_SHARE * topic coverage must reach this
COVERAGE_SHARE = 0.5
BM25_METHOD = "robertson"  # Okapi BM25 (k1 1.5, b 0.75), as rank-bm25 scored it
IDF_EPSILON = 0.25  # Okapi's floor for terms in most chunks: a quarter of the mean idf
ENCODER_WEIGHT = 0.5  # share of the query encoder's reading in the order of fused candidates


def query_terms(query: str) -> set[str]:
    """Return the stemmed topic terms of a query plus the terms its question type implies."""
    return content_terms(query) | expansions(query)


@dataclass(frozen=True)
class IndexedChunk:
    """A chunk as stored in the index, with its embedding row number."""

    id: str
    source: str
    title: str
    section: str
    text: str
    row: int


def rrf(rankings: list[list[str]], weights: list[float] | None = None, k: int = RRF_K) -> list[str]:
    """Fuse ranked id lists with reciprocal rank fusion; return ids best first."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank + 1)
    return sorted(scores, key=lambda item: -scores[item])


def near_duplicate(a: str, b: str, threshold: float = 0.8) -> bool:
    """Return whether two passages share most of their words (Jaccard over token sets)."""
    ta, tb = set(tokens(a)), set(tokens(b))
    if not ta or not tb:
        return a.strip() == b.strip()
    return len(ta & tb) / len(ta | tb) >= threshold


class HybridRetriever:
    """Dense + BM25 retrieval over one Chroma collection, with a relevance floor.

    Args:
        store: the LangChain Chroma store holding the chunks and their vectors.
        embeddings: MiniLM embeddings for queries (the same model the index was built with).
        settings: `top_k`, `relevance_floor` and the other retrieval knobs.
        query_encoder: the fine-tuned question reader (`query_encoder.py`), if one is fitted: its
            nearest passages (by best sentence) join the fusion as a third list, and the fused
            candidates are ordered by the mean of both readings. Passage scores, and so the
            floors, stay MiniLM's.

    Example:
        >>> retriever = make_retriever(settings, store, embeddings)
        >>> [(p.section, round(p.score, 2)) for p in retriever.retrieve("What is the CPE?", 2)]
        [('Step 5: Certification', 0.63), ('Continuing Medical Education (CME)', 0.37)]
        >>> retriever.retrieve("best pizza in Chicago", 2)  # nothing clears the floor
        []
    """

    def __init__(
        self,
        store: Chroma,
        embeddings: MiniLMEmbeddings,
        settings: Settings,
        query_encoder: QueryEncoder | None = None,
    ) -> None:
        self.store = store
        self.embeddings = embeddings
        self.settings = settings
        self.query_encoder = query_encoder
        self.chunks: dict[str, IndexedChunk] = {}
        self.reload()

    def reload(self) -> None:
        """Load every chunk with its stored vectors (chunk and sentences); rebuild BM25.

        Nothing is embedded here except sentences missing from the index (an index written by an
        older version, or damaged): those are embedded once and stored.
        """
        self.chunks = {}
        texts: list[str] = []
        vectors: list[np.ndarray] = []
        for got in pages(self.store._collection, ["metadatas", "documents", "embeddings"]):
            for cid, meta, doc in zip(got["ids"], got["metadatas"], got["documents"], strict=True):
                meta = meta or {}
                self.chunks[cid] = IndexedChunk(
                    cid,
                    str(meta.get("source", "")),
                    str(meta.get("title", "")),
                    str(meta.get("section", "")),
                    str(meta.get("text", doc)),
                    len(texts),
                )
                texts.append(str(doc))
            vectors.append(np.asarray(got["embeddings"], np.float32))
        self.matrix = (
            np.concatenate(vectors) if vectors else np.zeros((0, self.embeddings.dimension))
        ).astype(np.float32, copy=False)
        self._ids = list(self.chunks)
        self.depth = DEEP_CANDIDATES if len(self._ids) > DEEP_FROM_CHUNKS else CANDIDATES
        groups = {cid: chunk_sentences(self._as_chunk(c)) for cid, c in self.chunks.items()}
        self.sentence_rows = self._sentence_rows(groups)
        self._stack_sentences(groups)
        self.chunk_terms = {
            cid: content_terms(f"{c.section} {c.text}") for cid, c in self.chunks.items()
        }
        self.plain_texts = {cid: plain(c.text) for cid, c in self.chunks.items()}
        self.vocabulary = {
            w for c in self.chunks.values() for w in words(f"{c.title} {c.section} {c.text}")
        }
        self._build_bm25([tokens(t) for t in texts])

    def _sentence_rows(self, groups: dict[str, list[str]]) -> dict[str, np.ndarray]:
        """Read each chunk's sentence vectors; embed and store any that are missing or stale."""
        rows = read_sentences(self.store)
        stale = [cid for cid, m in rows.items() if len(groups.get(cid, ())) != len(m)]
        if stale:
            delete_sentences(self.store, stale)
        missing = [
            self._as_chunk(self.chunks[c]) for c in groups if len(groups[c]) != len(rows.get(c, ()))
        ]
        if missing:
            fresh = sentence_matrix(self.embeddings, missing)
            write_sentences(self.store, fresh)
            rows.update(fresh)
        return {cid: rows[cid] for cid in groups}

    def _stack_sentences(self, groups: dict[str, list[str]]) -> None:
        """Stack every chunk's sentences and vectors (chunk order) for whole-index scoring."""
        self.sentence_texts = [s for cid in self._ids for s in groups[cid]]
        blocks = [self.sentence_rows[cid] for cid in self._ids]
        self.sentence_matrix = (
            np.concatenate(blocks) if blocks else np.zeros((0, self.embeddings.dimension))
        ).astype(np.float32, copy=False)
        sizes = [len(b) for b in blocks]
        self._sentence_starts = np.cumsum([0, *sizes])[:-1].astype(np.int64)
        self.sentence_rows = {  # views into the stack: the vectors are held once
            cid: self.sentence_matrix[start : start + size]
            for cid, start, size in zip(self._ids, self._sentence_starts, sizes, strict=True)
        }
        for cid in self._ids:  # the composer reuses them: no re-embedding
            self.embeddings.remember(groups[cid], self.sentence_rows[cid])

    def best_sentences(self, vector: np.ndarray) -> np.ndarray:
        """Return, per chunk (index order), its best sentence's cosine with a vector."""
        if not len(self.sentence_matrix):
            return np.zeros(0, np.float32)
        return np.maximum.reduceat(self.sentence_matrix @ vector, self._sentence_starts)

    @staticmethod
    def _as_chunk(chunk: IndexedChunk) -> Chunk:
        return Chunk(chunk.id, chunk.source, chunk.title, chunk.section, chunk.text)

    def _build_bm25(self, corpus: list[list[str]]) -> None:
        """Index the chunks' tokens with bm25s (sparse matrix) and keep Okapi idf per term."""
        self.bm25: Any = None
        self._idf: dict[str, float] = {}
        if not corpus:
            return
        self.bm25 = bm25s.BM25(method=BM25_METHOD, k1=1.5, b=0.75)
        self.bm25.index([doc or [""] for doc in corpus], show_progress=False)
        frequency: dict[str, int] = {}
        for doc in corpus:
            for term in set(doc):
                frequency[term] = frequency.get(term, 0) + 1
        n = len(corpus)
        idf = {t: math.log(n - f + 0.5) - math.log(f + 0.5) for t, f in frequency.items()}
        floor = IDF_EPSILON * sum(idf.values()) / max(1, len(idf))
        self._idf = {t: (v if v >= 0 else floor) for t, v in idf.items()}
        self._unseen_idf = max(self._idf.values(), default=1.0) + 1.0

    def idf(self, term: str) -> float:
        """Return a term's BM25 idf over the chunks; unseen terms weigh the most."""
        if not self._idf:
            return 2.0
        return self._idf.get(term, self._unseen_idf)

    def coverage(self, query: str, passages: list[Passage]) -> float:
        """Return the idf-weighted share of the query's topic terms found in the passages."""
        terms = content_terms(query)
        if not terms:
            return 1.0
        found = set().union(*(self.chunk_terms.get(p.chunk_id, set()) for p in passages))
        found |= {t for t in terms if expansions(query) & found}
        total = sum(self.idf(t) for t in terms)
        return sum(self.idf(t) for t in terms & found) / total

    def unknown_names(self, query: str) -> set[str]:
        """Return names and acronyms in the query that no guide mentions (a state, a vendor)."""
        return {
            n
            for n in names(query)
            if n not in self.vocabulary
            and n.rstrip("s") not in self.vocabulary
            and n not in STOPWORDS
        }

    def similarity(self, query_vec: np.ndarray, cid: str) -> float:
        """Return the blend of whole-chunk and best-sentence cosine similarity."""
        best = float((self.sentence_rows[cid] @ query_vec).max())
        return (1 - SENTENCE_WEIGHT) * self.cosine(query_vec, cid) + SENTENCE_WEIGHT * best

    def _rerank(
        self, query: str, query_vec: np.ndarray, ids: list[str], tuned: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """Order fused candidates by similarity, topic coverage and, with a query encoder, the
        mean of MiniLM's similarity and the encoder's best-sentence cosine."""
        terms = query_terms(query)
        scored = []
        for rank, cid in enumerate(ids):
            sim = self.similarity(query_vec, cid)
            read = sim
            if tuned is not None:
                read += ENCODER_WEIGHT * (float(tuned[self.chunks[cid].row]) - sim)
            cover = len(terms & self.chunk_terms[cid]) / max(1, len(terms))
            framing = (
                FRAMING_PENALTY
                if is_framing(self.chunks[cid].section, self.chunks[cid].title)
                else 0
            )
            scored.append((cid, sim, read + COVERAGE_WEIGHT * cover - 0.002 * rank - framing))
        return [(cid, sim) for cid, sim, _ in sorted(scored, key=lambda x: -x[2])]

    def _dense(self, query_vec: np.ndarray, n: int) -> list[str]:
        """Return the n chunks nearest the query: exact cosine over the loaded vectors."""
        if not len(self.matrix):
            return []
        scores = self.matrix @ query_vec
        top = _top(scores, n)
        return [self._ids[i] for i in top]

    def _lexical(self, query: str) -> list[str]:
        known = [t for t in tokens(query) if t in self.bm25.vocab_dict] if self.bm25 else []
        if not known:
            return []
        scores = self.bm25.get_scores(known)
        return [self._ids[i] for i in _top(scores, self.depth) if scores[i] > 0]

    def cosine(self, query_vec: np.ndarray, cid: str) -> float:
        """Return the cosine similarity between a query vector and an indexed chunk."""
        return float(self.matrix[self.chunks[cid].row] @ query_vec)

    def retrieve(self, query: str, k: int = 5, floor: float | None = None) -> list[Passage]:
        """Return up to `k` passages for `query`, best first; [] when nothing clears the floor."""
        if not self.chunks or not query.strip():
            return []
        floor = self.settings.relevance_floor if floor is None else floor
        qvec = np.asarray(self.embeddings.embed_query(query), np.float32)
        lists = [self._dense(qvec, self.depth), self._lexical(query)]
        tuned = None
        if self.query_encoder is not None and len(self.sentence_matrix):
            tuned = self.best_sentences(self.query_encoder.embed_query(query))
            lists.append([self._ids[i] for i in _top(tuned, self.depth)])
        fused = rrf(lists)[: self.depth]
        passages: list[Passage] = []
        for cid, score in self._rerank(query, qvec, fused, tuned):
            chunk = self.chunks[cid]
            if score < floor * 0.6 or any(near_duplicate(chunk.text, p.text) for p in passages):
                continue
            passages.append(
                Passage(chunk.source, chunk.title, chunk.section, chunk.text, score, chunk.id)
            )
            if len(passages) == k:
                break
        return passages if self.relevant(query, passages, floor) else []

    def holding(self, query: str, spans: list[str]) -> list[Passage]:
        """Return the passages whose text holds one of `spans`, scored for `query`."""
        wanted = [plain(s) for s in spans if s.strip()]
        if not wanted:
            return []
        qvec = np.asarray(self.embeddings.embed_query(query), np.float32)
        found = []
        for cid, chunk in self.chunks.items():
            if any(w in self.plain_texts[cid] for w in wanted):
                score = self.cosine(qvec, cid)
                found.append(
                    Passage(chunk.source, chunk.title, chunk.section, chunk.text, score, cid)
                )
        return sorted(found, key=lambda p: -p.score)

    def relevant(self, query: str, passages: list[Passage], floor: float) -> bool:
        """Return whether the passages clear the relevance floor (similarity and topic coverage)."""
        if not passages or floor <= 0:
            return bool(passages)
        best = max(p.score for p in passages)
        if best < floor or self.unknown_names(query):
            return False
        return best + COVERAGE_SHARE * self.coverage(query, passages[:3]) >= RELEVANCE_BAR


def _top(scores: np.ndarray, n: int) -> list[int]:
    """Return the indices of the n highest scores, best first."""
    if len(scores) > n:
        part = np.argpartition(-scores, n)[:n]
        return [int(i) for i in part[np.argsort(-scores[part], kind="stable")]]
    return [int(i) for i in np.argsort(-scores, kind="stable")]


def make_retriever(
    settings: Settings, store: Chroma, embeddings: MiniLMEmbeddings
) -> HybridRetriever:
    """Create the hybrid retriever over the store's chunks, with the fitted query encoder."""
    encoder = load_query_encoder(embeddings.model_path, settings.prompts_dir)
    return HybridRetriever(store, embeddings, settings, encoder)
