"""Hybrid retrieval: dense (Chroma) and BM25 over the same chunks, fused, deduplicated, floored."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from langchain_chroma import Chroma
from langchain_community.retrievers import BM25Retriever
from langchain_core.documents import Document

from bot.config import Settings
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.schemas import Passage
from bot.text import content_terms, expansions, is_framing, names, sentences, tokens, words

RRF_K = 60
CANDIDATES = 20
SENTENCE_WEIGHT = 0.5  # similarity = mix of whole-chunk and best-sentence cosine
COVERAGE_WEIGHT = 0.45  # rerank bonus for covering the question's topic terms
FRAMING_PENALTY = 0.05  # a guide's opening or conclusion restates; sections with substance first
RELEVANCE_BAR = 0.56  # best similarity + COVERAGE_SHARE * topic coverage must reach this
COVERAGE_SHARE = 0.5


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
    """Dense + BM25 retrieval over one Chroma collection, with a relevance floor."""

    def __init__(self, store: Chroma, embeddings: MiniLMEmbeddings, settings: Settings) -> None:
        self.store = store
        self.embeddings = embeddings
        self.settings = settings
        self.chunks: dict[str, IndexedChunk] = {}
        self.reload()

    def reload(self) -> None:
        """Load every chunk and its embedding from the store and rebuild BM25."""
        got = self.store.get(include=["metadatas", "documents", "embeddings"])
        self.chunks, docs = {}, []
        for row, (cid, meta, doc) in enumerate(
            zip(got["ids"], got["metadatas"], got["documents"], strict=True)
        ):
            meta = meta or {}
            self.chunks[cid] = IndexedChunk(
                cid,
                str(meta.get("source", "")),
                str(meta.get("title", "")),
                str(meta.get("section", "")),
                str(meta.get("text", doc)),
                row,
            )
            docs.append(Document(page_content=doc, metadata={"id": cid}))
        vectors = got["embeddings"]
        self.matrix = np.asarray(
            vectors if len(got["ids"]) else np.zeros((0, self.embeddings.dimension)), np.float32
        )
        self.sentence_rows = self._sentence_rows()
        self.chunk_terms = {
            cid: content_terms(f"{c.section} {c.text}") for cid, c in self.chunks.items()
        }
        self.vocabulary = {
            w for c in self.chunks.values() for w in words(f"{c.title} {c.section} {c.text}")
        }
        self.bm25 = (
            BM25Retriever.from_documents(docs, preprocess_func=tokens, k=CANDIDATES)
            if docs
            else None
        )

    def _sentence_rows(self) -> dict[str, np.ndarray]:
        ids = list(self.chunks)
        texts = [sentences(self.chunks[cid].text) or [self.chunks[cid].text] for cid in ids]
        flat = self.embeddings.matrix([t for group in texts for t in group])
        rows, start = {}, 0
        for cid, group in zip(ids, texts, strict=True):
            rows[cid], start = flat[start : start + len(group)], start + len(group)
        return rows

    def idf(self, term: str) -> float:
        """Return a term's BM25 idf over the chunks; unseen terms weigh the most."""
        table = self.bm25.vectorizer.idf if self.bm25 is not None else {}
        return float(table.get(term, max(table.values(), default=1.0) + 1.0))

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
            if n not in self.vocabulary and n.rstrip("s") not in self.vocabulary
        }

    def similarity(self, query_vec: np.ndarray, cid: str) -> float:
        """Return the blend of whole-chunk and best-sentence cosine similarity."""
        best = float((self.sentence_rows[cid] @ query_vec).max())
        return (1 - SENTENCE_WEIGHT) * self.cosine(query_vec, cid) + SENTENCE_WEIGHT * best

    def _rerank(self, query: str, query_vec: np.ndarray, ids: list[str]) -> list[tuple[str, float]]:
        terms = query_terms(query)
        scored = []
        for rank, cid in enumerate(ids):
            sim = self.similarity(query_vec, cid)
            cover = len(terms & self.chunk_terms[cid]) / max(1, len(terms))
            framing = (
                FRAMING_PENALTY
                if is_framing(self.chunks[cid].section, self.chunks[cid].title)
                else 0
            )
            scored.append((cid, sim, sim + COVERAGE_WEIGHT * cover - 0.002 * rank - framing))
        return [(cid, sim) for cid, sim, _ in sorted(scored, key=lambda x: -x[2])]

    def _dense(self, query_vec: np.ndarray, n: int) -> list[str]:
        hits = self.store.similarity_search_by_vector(query_vec.tolist(), k=n)
        return [str(d.id) for d in hits if d.id in self.chunks]

    def _lexical(self, query: str) -> list[str]:
        terms = tokens(query)
        if self.bm25 is None or not terms:
            return []
        scores = self.bm25.vectorizer.get_scores(terms)
        order = np.argsort(-np.asarray(scores))[:CANDIDATES]
        ids = [str(self.bm25.docs[i].metadata["id"]) for i in order if scores[i] > 0]
        return [cid for cid in ids if cid in self.chunks]

    def cosine(self, query_vec: np.ndarray, cid: str) -> float:
        """Return the cosine similarity between a query vector and an indexed chunk."""
        return float(self.matrix[self.chunks[cid].row] @ query_vec)

    def retrieve(self, query: str, k: int = 5, floor: float | None = None) -> list[Passage]:
        """Return up to `k` passages for `query`, best first; [] when nothing clears the floor."""
        if not self.chunks or not query.strip():
            return []
        floor = self.settings.relevance_floor if floor is None else floor
        qvec = np.asarray(self.embeddings.embed_query(query), np.float32)
        fused = rrf([self._dense(qvec, CANDIDATES), self._lexical(query)])[:CANDIDATES]
        passages: list[Passage] = []
        for cid, score in self._rerank(query, qvec, fused):
            chunk = self.chunks[cid]
            if score < floor * 0.6 or any(near_duplicate(chunk.text, p.text) for p in passages):
                continue
            passages.append(
                Passage(chunk.source, chunk.title, chunk.section, chunk.text, score, chunk.id)
            )
            if len(passages) == k:
                break
        return passages if self.relevant(query, passages, floor) else []

    def relevant(self, query: str, passages: list[Passage], floor: float) -> bool:
        """Return whether the passages clear the relevance floor (similarity and topic coverage)."""
        if not passages or floor <= 0:
            return bool(passages)
        best = max(p.score for p in passages)
        if best < floor or self.unknown_names(query):
            return False
        return best + COVERAGE_SHARE * self.coverage(query, passages[:3]) >= RELEVANCE_BAR


def make_retriever(
    settings: Settings, store: Chroma, embeddings: MiniLMEmbeddings
) -> HybridRetriever:
    """Create the hybrid retriever over the store's chunks."""
    return HybridRetriever(store, embeddings, settings)
