from pathlib import Path

from bot.ingest.chunking import chunk_document, chunk_id, embed_text
from bot.ingest.documents import SourceDoc, load_corpus, read_document
from tests.helpers import CORPUS


def _doc(text: str) -> SourceDoc:
    return SourceDoc(source="g.md", title="Guide", text=text)


def test_chunks_know_title_and_section() -> None:
    doc = _doc(
        "# Guide\n\n## Step 5: Certification\n\nThe CPE credential is respected. It needs an exam."
    )
    (chunk,) = chunk_document(doc)
    assert chunk.title == "Guide"
    assert chunk.section == "Step 5: Certification"
    assert chunk.text.startswith("The CPE credential")
    assert embed_text(chunk).startswith("Step 5: Certification. ")


def test_deepest_heading_names_the_section() -> None:
    doc = _doc(
        "# G\n\n## Steps\n\n### Step 6\n\n#### Interview Preparation\n\n"
        "Research the organization well."
    )
    assert chunk_document(doc)[0].section == "Interview Preparation"


def test_long_sections_split_on_sentences_within_size() -> None:
    body = " ".join(
        f"Leaders who measure outcome {i} improve care for patients every year." for i in range(30)
    )
    doc = _doc("# G\n\n## Long\n\n" + body)
    chunks = chunk_document(doc, size=300)
    assert len(chunks) > 5
    assert all(len(c.text) <= 300 for c in chunks)
    assert all(c.text.endswith(".") for c in chunks)


def test_ids_are_stable_and_content_based() -> None:
    doc = _doc("# G\n\n## A\n\nSame text in a section that is long enough.")
    assert [c.id for c in chunk_document(doc)] == [c.id for c in chunk_document(doc)]
    assert chunk_id("g.md", "A", "x") != chunk_id("g.md", "B", "x")


def test_real_guides_chunk_small_enough_for_a_600_char_budget() -> None:
    chunks = [c for d in load_corpus(CORPUS) for c in chunk_document(d)]
    assert len(chunks) > 40
    assert max(len(c.text) for c in chunks) <= 350
    assert {c.source for c in chunks} == {p.name for p in CORPUS.glob("*.md")}


def test_corpus_is_clean_markdown() -> None:
    for path in CORPUS.glob("*.md"):
        text = path.read_text()
        assert text.startswith("---\ntitle: ")
        assert "\nPrevious\n" not in text and "Next\n" not in text
        assert "Join Zivian" not in text
        assert "Female physician in a medical setting" not in text
        assert text.count("\n## ") + text.count("\n### ") >= 8


def test_loader_reads_txt_html_and_skips_unreadable(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "notes.txt").write_text("# Notes\n\nMentors help physicians grow into leaders.")
    (tmp_path / "page.html").write_text(
        "<html><title>Page</title><nav>Menu</nav><h2>Budgets</h2><p>Defend programs.</p></html>"
    )
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (tmp_path / "binary.md").write_bytes(b"\xff\xfe\x00\x01garbage")
    docs = {d.source: d for d in load_corpus(tmp_path)}
    assert set(docs) == {"notes.txt", "page.html"}
    assert "## Budgets" in docs["page.html"].text and "Menu" not in docs["page.html"].text
    err = capsys.readouterr().err
    assert "skipped broken.pdf" in err and "skipped binary.md" in err


def test_front_matter_gives_title(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text('---\ntitle: "Real Title"\nsource: "Org"\n---\n\n# Heading\n\nBody text here.')
    assert read_document(path).title == "Real Title"
