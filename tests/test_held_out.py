"""scripts/held_out.py: kept refits live in DIR/batch-N, and --reuse only evaluates them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from scripts import held_out


def _row(batch: int, folder: Path) -> dict[str, object]:
    return {"batch": batch, "questions": 1, "folder": str(folder)}


def test_reuse_needs_keep(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["held_out.py", "7", "--reuse"])
    with pytest.raises(SystemExit) as exit_:
        held_out.main()
    assert exit_.value.code == 2
    assert "--reuse needs --keep" in capsys.readouterr().err


def test_reuse_evaluates_the_kept_copies_without_refitting_or_writing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refits: list[int] = []
    monkeypatch.setattr(held_out, "refit", lambda b, p, f: refits.append(b))
    monkeypatch.setattr(held_out, "evaluate", _row)
    monkeypatch.setattr(held_out, "write_results", lambda rows: pytest.fail("wrote results"))
    monkeypatch.setattr(
        sys, "argv", ["held_out.py", "7", "9", "--keep", str(tmp_path), "--reuse", "--json"]
    )
    held_out.main()
    assert refits == []
    out = capsys.readouterr().out
    assert str(tmp_path / "batch-7") in out and str(tmp_path / "batch-9") in out


def test_keep_refits_into_its_own_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    refits: list[tuple[int, Path]] = []
    monkeypatch.setattr(held_out, "refit", lambda b, p, f: refits.append((b, f)))
    monkeypatch.setattr(held_out, "evaluate", _row)
    row = held_out.held_out(8, tmp_path / "prompts", keep=tmp_path / "kept")
    assert refits == [(8, tmp_path / "kept" / "batch-8")]
    assert row["folder"] == str(tmp_path / "kept" / "batch-8")
