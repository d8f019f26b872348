"""Replicas A and B on one real redis-server and one real Chroma server (`chroma run`).

A document added to the corpus and ingested through A (POST /api/admin/ingest) is retrieved
through B: the ingest bumps a version key in Redis and B reloads its retriever when it changes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from tests.helpers import CORPUS
from tests.services import app_process, chroma_server, redis_server

pytestmark = pytest.mark.slow

TOKEN = "replica-admin-token-0123456789"

NEW_GUIDE = """# Night-shift leadership

## Running a nocturnist programme

A nocturnist programme needs a medical director who schedules overnight hospitalists, audits
handoffs each morning and meets the night nursing supervisor weekly; the Zephyrine handoff
checklist cut overnight escalations by a third.
"""


def test_a_document_ingested_through_a_is_retrieved_through_b(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis") as redis_url:
        _ingest_through_a_retrieve_through_b(tmp_path, redis_url)


def _ingest_through_a_retrieve_through_b(tmp_path: Path, redis_url: str) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    shared = {
        "redis_url": redis_url,
        "corpus_dir": corpus,
        "admin_token": TOKEN,
        "rate_limit": "1000/minute",
    }
    with chroma_server(tmp_path / "chroma") as port:
        shared |= {"chroma_host": "127.0.0.1", "chroma_port": port}
        with (
            app_process(tmp_path / "a", data_dir=tmp_path / "a", **shared) as a,
            app_process(tmp_path / "b", data_dir=tmp_path / "b", **shared) as b,
        ):
            query = {"query": "What cut overnight escalations in a nocturnist programme?"}
            before = httpx.post(b.url + "/api/retrieve", json=query, timeout=60).json()
            assert all("Zephyrine" not in p["text"] for p in before["passages"])
            (corpus / "night-shift.md").write_text(NEW_GUIDE, encoding="utf-8")
            auth = {"Authorization": f"Bearer {TOKEN}"}
            assert httpx.post(a.url + "/api/admin/ingest", timeout=120).status_code == 401
            report = httpx.post(a.url + "/api/admin/ingest", headers=auth, timeout=300)
            assert report.status_code == 200 and report.json()["added"] == 1
            after = httpx.post(b.url + "/api/retrieve", json=query, timeout=60).json()
            assert "Zephyrine" in after["passages"][0]["text"]
            assert not (tmp_path / "a" / "index").exists()  # the Chroma server holds it
