"""Test helpers: run an ASGI app on a real uvicorn server at 127.0.0.1 in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml

CALIBRATION = Path(__file__).parent / "data" / "interview_calibration.yaml"


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
def serve_app(
    app: Any, ready_path: str = "/healthz", timeout: float = 30.0
) -> Iterator[LiveServer]:
    """Serve `app` on a free port until the block ends."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + ready_path, timeout=2).status_code < 500:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        raise RuntimeError("server did not start")
    try:
        yield LiveServer(url, port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def calibration(question_id: str, level: str) -> str:
    """Return the calibration answer of one level for one bank question."""
    answers = yaml.safe_load(CALIBRATION.read_text("utf-8"))["answers"]
    return next(
        a["answer"] for a in answers if a["question"] == question_id and a["level"] == level
    )
