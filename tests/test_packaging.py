"""Packaging: every subpackage of `bot` is listed for the wheel, and the data folders map in."""

from __future__ import annotations

import tomllib

from tests.helpers import ROOT


def _setuptools() -> dict[str, object]:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return dict(tomllib.load(handle)["tool"]["setuptools"])


def test_every_subpackage_is_in_the_wheel() -> None:
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "bot").rglob("__init__.py")
    }
    listed = set(_setuptools()["packages"])  # type: ignore[call-overload]
    assert on_disk <= listed, sorted(on_disk - listed)


def test_prompts_and_corpus_ship_as_package_data() -> None:
    config = _setuptools()
    assert config["package-dir"] == {
        "bot.resources.corpus": "corpus",
        "bot.resources.prompts": "prompts",
    }
    assert (ROOT / "prompts" / "__init__.py").is_file() and (
        ROOT / "corpus" / "__init__.py"
    ).is_file()
