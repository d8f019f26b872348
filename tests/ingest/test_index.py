"""The index stores every vector at ingest: a start-up reads them and embeds nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.coach import Coach
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.ingest.index import close, pages, read_sentences, sentence_collection
from bot.ingest.store import make_store
from bot.ingest.sync import chunk_sentences, ingest
from bot.markup import strip_links, strip_markup
from bot.retrieval.hybrid import HybridRetriever
from bot.schemas import Chunk


def _chunk(c) -> Chunk:  # type: ignore[no-untyped-def]
    return Chunk(c.id, c.source, c.title, c.section, c.text)


class Recorder:
    """Record every text the model embeds."""

    def __init__(self, embeddings: MiniLMEmbeddings, monkeypatch: pytest.MonkeyPatch) -> None:
        self.texts: list[str] = []
        original = embeddings._encode

        def encode(texts: list[str], batch_size: int = 32) -> np.ndarray:
            self.texts += texts
            return original(texts, batch_size)

        monkeypatch.setattr(embeddings, "_encode", encode)


def test_start_up_embeds_no_chunk_or_sentence(
    make_settings, embeddings: MiniLMEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    built = Coach(settings, embeddings=embeddings)
    indexed = {s for c in built.retriever.chunks.values() for s in chunk_sentences(_chunk(c))}
    close(built.store)
    embeddings._documents._data.clear()  # nothing cached from the build
    recorder = Recorder(embeddings, monkeypatch)
    coach = Coach(settings, embeddings=embeddings)
    assert not indexed & set(recorder.texts)
    rows = coach.retriever.sentence_rows
    assert set(rows) == set(coach.retriever.chunks)
    some = next(iter(coach.retriever.chunks.values()))
    fresh = embeddings.encode(chunk_sentences(_chunk(some)))
    assert np.allclose(rows[some.id], fresh, atol=1e-5)  # the stored vectors are the model's
    assert embeddings._documents.get(chunk_sentences(_chunk(some))[0]) is not None  # composer's


def test_missing_or_orphan_sentence_vectors_are_healed_once(
    make_settings, embeddings: MiniLMEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    store = make_store(settings, embeddings)
    ingest(settings, store, show_progress=False)
    sentences = sentence_collection(store)
    victim = store._collection.get(limit=1)["ids"][0]
    sentences.delete(where={"chunk": victim})
    sentences.add(ids=["gone.0"], embeddings=[[0.0] * 384], metadatas=[{"chunk": "gone"}])
    recorder = Recorder(embeddings, monkeypatch)
    retriever = HybridRetriever(store, embeddings, settings)
    assert 0 < len(recorder.texts) <= 6  # only the victim's sentences
    assert victim in read_sentences(store) and "gone" not in read_sentences(store)
    recorder.texts.clear()
    retriever.reload()
    assert recorder.texts == []


def test_index_written_before_sentence_vectors_is_adopted(
    make_settings, embeddings: MiniLMEmbeddings
) -> None:  # type: ignore[no-untyped-def]
    """An index from before this version (chunks only, no manifest) is kept and completed."""
    settings = make_settings()
    store = make_store(settings, embeddings)
    ingest(settings, store, show_progress=False)
    count = store._collection.count()
    store._client.delete_collection(store._collection.name + "_sentences")
    (settings.index_dir / "manifest.json").unlink()
    close(store)
    coach = Coach(settings, embeddings=embeddings)
    assert not list(settings.data_dir.glob("index.broken-*"))
    assert coach.store._collection.count() == count
    stored = sum(len(page["ids"]) for page in pages(sentence_collection(coach.store), []))
    assert stored == sum(len(m) for m in coach.retriever.sentence_rows.values())
    assert (settings.index_dir / "manifest.json").exists()


def test_reads_are_paged(make_settings, embeddings: MiniLMEmbeddings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import bot.ingest.index as index

    monkeypatch.setattr(index, "PAGE", 7)
    settings = make_settings()
    store = make_store(settings, embeddings)
    report = ingest(settings, store, show_progress=False)
    retriever = HybridRetriever(store, embeddings, settings)
    assert len(retriever.chunks) == report.chunks == len(retriever.matrix)
    assert retriever.retrieve("What is the CPE credential?")


def test_repeated_text_is_embedded_once_per_run(
    make_settings, corpus_copy: Path, embeddings: MiniLMEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    guide = corpus_copy / "becoming-a-medical-director.md"
    (corpus_copy / "copy-of-the-guide.md").write_text(guide.read_text())
    settings = make_settings(corpus_dir=corpus_copy)
    recorder = Recorder(embeddings, monkeypatch)
    report = ingest(settings, make_store(settings, embeddings), show_progress=False)
    assert report.added == 3
    assert len(recorder.texts) == len(set(recorder.texts))


@pytest.mark.parametrize(
    ("raw", "kept", "gone"),
    [
        ("See [the board](https://abpm.example/x).", "See the board.", "abpm.example"),
        ("Logo ![logo](https://cdn.example/l.png) here.", "Logo here.", "cdn.example"),
        ('Hi <img src="https://t.example/p.gif"> there.', "Hi there.", "t.example"),
        ("Mail <mailto:a@b.example> now.", "Mail mailto:a@b.example now.", "<mailto"),
    ],
)
def test_guide_markup_is_stripped_at_ingest(raw: str, kept: str, gone: str) -> None:
    assert " ".join(strip_markup(raw).split()) == kept
    assert gone not in strip_markup(raw) or gone == "<mailto"


def test_answers_lose_links_but_keep_citation_markers() -> None:
    text = "Email x@y.example [1][2] or visit www.y.example/a and https://y.example [3]."
    assert strip_links(text) == (
        "Email (email address removed) [1][2] or visit (link removed) and (link removed) [3]."
    )
