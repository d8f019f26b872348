"""axe-core in the browser (the copy `axe-playwright-python` ships): violations by impact."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

# Moderate findings that stay, each with its reason in the README ("Accessibility").
ALLOWED_MODERATE: frozenset[str] = frozenset()
BLOCKING = frozenset({"serious", "critical"})


def wait_until_loaded(page: Any) -> None:
    """Wait until Gradio's transient "Loading..." text (`.loading`) has left the page."""
    page.wait_for_function("() => !document.querySelector('.loading')", timeout=30_000)


def audit(page: Any) -> list[dict[str, Any]]:
    """Run axe on the whole page (open shadow roots included) once it has loaded."""
    wait_until_loaded(page)
    result = Axe().run(page)
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result.response["violations"]
    ]


def assert_accessible(page: Any, where: str) -> list[dict[str, Any]]:
    """Fail on any serious or critical violation, or a moderate one not accepted in the README."""
    found = audit(page)
    bad = [v for v in found if v["impact"] in BLOCKING or v["id"] not in ALLOWED_MODERATE]
    assert not bad, f"{where}: {bad}"
    return found
