from pathlib import Path

from bot.ingest.embeddings import MiniLMEmbeddings
from bot.ingest.store import make_store
from bot.ingest.sync import ingest


def test_ingest_is_idempotent_and_removes_stale_chunks(
    make_settings,
    corpus_copy: Path,
    embeddings: MiniLMEmbeddings,  # type: ignore[no-untyped-def]
) -> None:
    settings = make_settings(corpus_dir=corpus_copy)
    store = make_store(settings, embeddings)
    first = ingest(settings, store, show_progress=False)
    assert (first.added, first.updated, first.removed) == (2, 0, 0)
    assert first.chunks > 40

    again = ingest(settings, store, show_progress=False)
    assert again.public() == {
        "added": 0,
        "updated": 0,
        "removed": 0,
        "chunks": first.chunks,
        "flagged": [],
    }
    assert again.embedded == 0

    guide = corpus_copy / "becoming-a-medical-director.md"
    text = guide.read_text()
    guide.write_text(text.replace("highly respected in the field", "widely respected by boards"))
    edited = ingest(settings, store, show_progress=False)
    assert (edited.added, edited.updated, edited.removed) == (0, 1, 0)
    assert 1 <= edited.embedded <= 2  # only the edited passage is embedded again
    assert edited.chunks == first.chunks
    texts = [m["text"] for m in store.get(include=["metadatas"])["metadatas"]]
    assert any("widely respected by boards" in t for t in texts)
    assert not any("highly respected in the field" in t for t in texts)

    (corpus_copy / "clinical-practice-to-healthcare-leadership.md").unlink()
    removed = ingest(settings, store, show_progress=False)
    assert (removed.added, removed.updated, removed.removed) == (0, 0, 1)
    sources = {m["source"] for m in store.get(include=["metadatas"])["metadatas"]}
    assert sources == {"becoming-a-medical-director.md"}


def test_new_file_types_are_ingested_and_bad_ones_skipped(
    make_settings,
    corpus_copy: Path,
    embeddings: MiniLMEmbeddings,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    (corpus_copy / "extra.txt").write_text(
        "# Board Prep\n\nRehearse a two-minute story about a budget turnaround."
    )
    (corpus_copy / "bad.pdf").write_bytes(b"not a pdf")
    settings = make_settings(corpus_dir=corpus_copy)
    report = ingest(settings, make_store(settings, embeddings), show_progress=False)
    assert report.added == 3
    assert "skipped bad.pdf" in capsys.readouterr().err


def test_index_persists_across_store_instances(make_settings, embeddings: MiniLMEmbeddings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    count = ingest(settings, make_store(settings, embeddings), show_progress=False).chunks
    reopened = make_store(settings, embeddings)
    assert len(reopened.get(include=[])["ids"]) == count
    assert ingest(settings, reopened, show_progress=False).added == 0
