"""A damaged index or session store heals at the next start: moved aside (kept), rebuilt, served.

Each file kind is corrupted on disk and a real `python app.py` (or the CLI) is started on it. The
index gets 1,500 extra vectors so Chroma writes its HNSW segment files (a small index lives in
SQLite only).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest

from bot.coach import Coach
from bot.config import Settings
from bot.ingest.embeddings import MiniLMEmbeddings
from bot.ingest.index import close, hnsw_problem, index_problem, manifest_path
from tests.helpers import CORPUS, ROOT, free_port

pytestmark = pytest.mark.slow  # a real server end to end; `make test-fast` skips it

QUESTION = "What is the CPE credential?"
FILLER = 1500


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, embeddings: MiniLMEmbeddings) -> Path:
    """A healthy data dir: the guides indexed, HNSW files on disk, one stored conversation."""
    data = tmp_path_factory.mktemp("heal") / "data"
    coach = Coach(Settings(data_dir=data, corpus_dir=CORPUS), embeddings=embeddings)
    session = coach.ask(QUESTION).session_id
    (data.parent / "session").write_text(session)
    vectors = np.random.default_rng(0).normal(size=(FILLER, embeddings.dimension))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    meta = {"source": "filler.md", "title": "Filler", "section": "Filler", "text": "filler"}
    coach.store._collection.add(
        ids=[f"filler-{i}" for i in range(FILLER)],
        embeddings=vectors.astype(np.float32),
        metadatas=[meta] * FILLER,
        documents=["filler"] * FILLER,
    )
    close(coach.store)
    coach.sessions.close()
    assert hnsw_segment(data), "Chroma wrote no HNSW segment files"
    return data


@pytest.fixture
def old_session(built: Path) -> str:
    """The id of the conversation stored before the damage."""
    return (built.parent / "session").read_text()


@pytest.fixture
def data(built: Path, tmp_path: Path) -> Path:
    """A private copy of the healthy data dir, to damage."""
    target = tmp_path / "data"
    shutil.copytree(built, target)
    return target


def hnsw_segment(data: Path) -> Path | None:
    """Return the folder of the chunk collection's HNSW files (the large one)."""
    folders = [p for p in (data / "index").iterdir() if (p / "data_level0.bin").exists()]
    large = [p for p in folders if (p / "data_level0.bin").stat().st_size > 1_000_000]
    return large[0] if large else None


def env(data: Path) -> dict[str, str]:
    return os.environ | {"BOT_DATA_DIR": str(data), "BOT_CORPUS_DIR": str(CORPUS)}


@contextmanager
def app_server(data: Path, log: Path) -> Iterator[str]:
    """Run `python app.py --port N` on `data`, stderr to `log`; yield its URL once healthy."""
    port = free_port()
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(port)],
            cwd=ROOT,
            env=env(data),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 300
            while True:
                assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
                assert time.monotonic() < deadline, "the server did not become healthy"
                try:
                    if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def json_lines(log: Path) -> list[dict[str, object]]:
    """Return the server's log lines, each of which must be one JSON object."""
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert "Traceback" not in log.read_text()
    return [json.loads(line) for line in lines]


def healed(lines: list[dict[str, object]], what: str) -> Path:
    """Return where the one heal line for `what` says the damaged file went."""
    found = [line for line in lines if line.get("what") == what and line.get("moved_to")]
    assert len(found) == 1, lines
    return Path(str(found[0]["moved_to"]))


def answers_from_the_guides(url: str) -> None:
    reply = httpx.post(url + "/api/chat", json={"message": QUESTION}, timeout=120)
    assert reply.status_code == 200
    assert reply.json()["verdict"] == "answered"
    assert "American Board" in reply.json()["answer"]


def test_damaged_index_database_and_session_store_heal_on_server_start(
    data: Path, tmp_path: Path, old_session: str
) -> None:
    garbage = os.urandom(8192)
    (data / "index" / "chroma.sqlite3").write_bytes(garbage)
    (data / "sessions.sqlite3").write_bytes(garbage[::-1])
    log = tmp_path / "server.log"
    with app_server(data, log) as url:
        answers_from_the_guides(url)
        gone = httpx.get(f"{url}/api/session/{old_session}", timeout=30)
        assert gone.status_code == 404  # a new, empty store; the old one is kept aside
    lines = json_lines(log)
    index_aside = healed(lines, "the index")
    store_aside = healed(lines, "the session store")
    assert (index_aside / "chroma.sqlite3").read_bytes() == garbage  # kept for inspection
    assert store_aside.read_bytes() == garbage[::-1]  # users' data: never deleted
    assert index_aside.parent == data and store_aside.parent == data
    assert (data / "index" / "manifest.json").exists()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.rglob("*") if p.is_file()}
    assert modes and set(modes.values()) == {0o600}, modes


def test_old_conversations_survive_a_healed_index(
    data: Path, tmp_path: Path, old_session: str
) -> None:
    segment = hnsw_segment(data)
    assert segment is not None
    for name in ("header.bin", "data_level0.bin", "length.bin", "link_lists.bin"):
        (segment / name).write_bytes(os.urandom(512))
    log = tmp_path / "server.log"
    with app_server(data, log) as url:
        answers_from_the_guides(url)
        turns = httpx.get(f"{url}/api/session/{old_session}", timeout=30)
        assert turns.status_code == 200 and turns.json()["turns"]  # the session store was fine
    aside = healed(json_lines(log), "the index")
    assert (aside / segment.name / "header.bin").exists()
    assert not any(line.get("what") == "the session store" for line in json_lines(log))


def test_cli_heals_a_truncated_index(data: Path) -> None:
    database = data / "index" / "chroma.sqlite3"
    database.write_bytes(database.read_bytes()[: database.stat().st_size // 2])
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", QUESTION, "--json"],
        cwd=ROOT,
        env=env(data),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["verdict"] == "answered"
    assert "moved it to" in done.stderr and "Traceback" not in done.stderr
    assert len(list(data.glob("index.broken-*"))) == 1


@pytest.mark.parametrize("name", ["header.bin", "data_level0.bin", "length.bin"])
def test_each_damaged_hnsw_file_is_detected(
    data: Path, embeddings: MiniLMEmbeddings, name: str
) -> None:
    settings = Settings(data_dir=data, corpus_dir=CORPUS)
    assert index_problem(settings, embeddings) is None
    segment = hnsw_segment(data)
    assert segment is not None
    (segment / name).write_bytes(os.urandom(256))
    assert index_problem(settings, embeddings)


def test_hnsw_files_shorter_than_their_header_says_are_damaged(data: Path) -> None:
    index = Settings(data_dir=data, corpus_dir=CORPUS).index_dir
    assert hnsw_problem(index) is None
    segment = hnsw_segment(data)
    assert segment is not None
    length = segment / "length.bin"
    length.write_bytes(length.read_bytes()[:-4])  # one element's entry lost
    assert "length.bin" in (hnsw_problem(index) or "")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"format": 1}, "format"),
        ({"model": "other-model"}, "model"),
        ({"chunk_size": 999}, "chunk_size"),
    ],
)
def test_an_index_from_another_version_is_rebuilt(
    data: Path, embeddings: MiniLMEmbeddings, change: dict[str, object], expected: str
) -> None:
    settings = Settings(data_dir=data, corpus_dir=CORPUS)
    path = manifest_path(settings)
    path.write_text(json.dumps(json.loads(path.read_text()) | change))
    assert expected in str(index_problem(settings, embeddings))
    coach = Coach(settings, embeddings=embeddings)
    assert len(list(data.glob("index.broken-*"))) == 1
    assert not any(c.source == "filler.md" for c in coach.retriever.chunks.values())
    assert coach.ask(QUESTION).verdict == "answered"


def test_an_unreadable_manifest_or_a_file_in_place_of_the_index_heals(
    data: Path, embeddings: MiniLMEmbeddings
) -> None:
    settings = Settings(data_dir=data, corpus_dir=CORPUS)
    manifest_path(settings).write_bytes(b"\xff\x00 not json")
    assert "manifest" in str(index_problem(settings, embeddings))
    shutil.rmtree(data / "index")
    (data / "index").write_text("not a folder")
    coach = Coach(settings, embeddings=embeddings)
    assert coach.ask(QUESTION).verdict == "answered"
    assert (data / "index").is_dir() and len(list(data.glob("index.broken-*"))) == 1


def test_a_missing_index_is_built_without_moving_anything(
    data: Path, embeddings: MiniLMEmbeddings
) -> None:
    shutil.rmtree(data / "index")
    coach = Coach(Settings(data_dir=data, corpus_dir=CORPUS), embeddings=embeddings)
    assert coach.ask(QUESTION).verdict == "answered"
    assert not list(data.glob("*.broken-*"))


def test_a_changed_corpus_is_synced_at_the_next_start(
    data: Path, embeddings: MiniLMEmbeddings, corpus_copy: Path
) -> None:
    settings = Settings(data_dir=data, corpus_dir=corpus_copy)
    Coach(settings, embeddings=embeddings)  # same guides: matches, nothing moved
    (corpus_copy / "board-prep.md").write_text(
        "# Board preparation\n\nRehearse a two-minute story about the sepsis bundle turnaround."
    )
    coach = Coach(settings, embeddings=embeddings)
    assert any(c.source == "board-prep.md" for c in coach.retriever.chunks.values())
    assert not list(data.glob("*.broken-*"))
