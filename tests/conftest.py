"""Shared fixtures: real MiniLM embeddings, a real Chroma index per test session, a live server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.ingest.embeddings import MiniLMEmbeddings, make_embeddings
from tests.helpers import CORPUS, PROMPTS, LiveServer, serve_app


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests on the shared live server `slow`: they are end to end (`make test-fast`)."""
    for item in items:
        if "api_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def embeddings() -> MiniLMEmbeddings:
    return make_embeddings(Settings())


@pytest.fixture(scope="session")
def bank():  # type: ignore[no-untyped-def]
    """The interview question bank from prompts/."""
    from bot.interview.bank import load_bank

    return load_bank(PROMPTS)


@pytest.fixture(scope="session")
def guides():  # type: ignore[no-untyped-def]
    """The guides split into sections, for interview citations."""
    from bot.interview.guides import load_guides

    return load_guides(CORPUS)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """A headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    from tests.helpers import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of the guides that a test may edit."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture
def make_settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build Settings whose data dir is private to the test."""

    def build(**overrides: object) -> Settings:
        values: dict[str, object] = {"data_dir": tmp_path / "data", "corpus_dir": CORPUS}
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return build


@pytest.fixture(scope="session")
def coach(tmp_path_factory: pytest.TempPathFactory, embeddings: MiniLMEmbeddings):  # type: ignore[no-untyped-def]
    """One real Coach (real Chroma, real MiniLM) over the guides, shared by read-only tests."""
    from bot.coach import Coach

    data = tmp_path_factory.mktemp("coach-data")
    return Coach(Settings(data_dir=data, corpus_dir=CORPUS), embeddings=embeddings)


@pytest.fixture(scope="session")
def api_server(coach) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The JSON API of the shared Coach on a real uvicorn at 127.0.0.1."""
    from bot.web.api import create_app

    with serve_app(create_app(coach)) as server:
        yield server
