"""Test helpers: one real uvicorn server in a thread, a static host site, Chromium, data paths."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import uvicorn
import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
PROMPTS = ROOT / "prompts"
DATA = Path(__file__).parent / "data"
CALIBRATION = DATA / "interview_calibration.yaml"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """A running server's base URL."""

    url: str
    port: int


@contextmanager
def serve_app(app: Any, timeout: float = 120.0) -> Iterator[LiveServer]:
    """Serve `app` on a free port with the production uvicorn config until the block ends."""
    from bot.web.server import uvicorn_config

    port = free_port()
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def web_server(coach: Any, *, ui: bool = True, **overrides: Any) -> Iterator[LiveServer]:
    """Serve `create_web_app(coach)` with some settings overridden (origins, limits...)."""
    from bot.web.app import create_web_app

    settings = coach.settings.model_copy(update=overrides)
    with serve_app(create_web_app(coach, settings, ui=ui)) as server:
        yield server


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def static_site(folder: Path) -> Iterator[str]:
    """Serve `folder` with python's http.server on another port (a different origin)."""
    port = free_port()
    handler = partial(_QuietHandler, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def host_page(folder: Path, script_src: str, attrs: str = "", head: str = "") -> Path:
    """Write a host page with hostile CSS and the one widget script tag."""
    page = folder / "index.html"
    page.write_text(
        f"<!doctype html><html lang=en><head><meta charset=utf-8>{head}"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Physician network</title><style>"
        "*{font-family:serif!important;color:#c00}button{display:none}div{border:5px solid lime}"
        "body{margin:0;padding:2rem;background:#eef}</style></head><body>"
        "<main><h1>Physician network</h1><p>Leadership resources for our members.</p></main>"
        f'<script src="{script_src}" async {attrs}></script></body></html>',
        encoding="utf-8",
    )
    return page


def screenshot_dir() -> Path | None:
    """Return where to save screenshots (env DC_SCREENSHOTS, e.g. docs/screenshots) or None."""
    folder = os.environ.get("DC_SCREENSHOTS")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def calibration(question_id: str, level: str) -> str:
    """Return the calibration answer of one level for one bank question."""
    answers = yaml.safe_load(CALIBRATION.read_text("utf-8"))["answers"]
    return next(
        a["answer"] for a in answers if a["question"] == question_id and a["level"] == level
    )


# Issue 13's examples, typed as a busy physician would, in one conversation: the person's own
# context is used, and an undefined title or an asked-for figure gets an honest `no_answer`.
PERSONAL = (
    "Ortho surgeon, 12 yrs in, tired of call. Could I realistically move into a director job?"
)
EXAMPLES = (
    (PERSONAL, "With 12 years in practice"),
    ("whats a CMIO", "don't mention CMIO"),
    ("how many CME credits do directors need each year", "don't give a figure"),
)
DECLINE = "outside what I can help with"
