"""Settings: one way to resolve paths, packaged defaults, and every field documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import resources
from bot.config import Settings
from tests.helpers import ROOT


def test_every_setting_is_documented_in_env_example() -> None:
    documented = set(
        re.findall(r"^#? ?(BOT_[A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    fields = {f"BOT_{name.upper()}" for name in Settings.model_fields}
    assert fields <= documented, sorted(fields - documented)


def test_relative_paths_resolve_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_DATA_DIR", "state/../data")
    settings = Settings(corpus_dir=Path("guides"))
    assert settings.data_dir == tmp_path.resolve() / "data"
    assert settings.corpus_dir == tmp_path.resolve() / "guides"
    assert settings.index_dir.is_absolute() and settings.db_path.parent == settings.data_dir


def test_defaults_are_the_packaged_data_outside_a_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_CORPUS_DIR", "BOT_PROMPTS_DIR", "BOT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.corpus_dir == resources.corpus_dir()
    assert settings.prompts_dir == resources.prompts_dir()
    assert (settings.prompts_dir / "questions.yaml").is_file()
    assert any(settings.corpus_dir.glob("*.md"))
    assert settings.data_dir == tmp_path.resolve() / ".data"


def test_a_local_corpus_folder_is_the_default_where_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "corpus").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_CORPUS_DIR", raising=False)
    assert Settings(_env_file=None).corpus_dir == tmp_path.resolve() / "corpus"  # type: ignore[call-arg]


def test_in_the_checkout_the_packaged_data_is_the_checkout_s() -> None:
    assert resources.prompts_dir() == ROOT / "prompts"
    assert resources.corpus_dir() == ROOT / "corpus"
