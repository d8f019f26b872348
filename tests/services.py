"""Real services for multi-process tests: redis-server, a Chroma server and app.py processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.helpers import ROOT, free_port


def _wait(check: object, what: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        try:
            if check():  # type: ignore[operator]
                return
        except Exception:  # not listening yet
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within {timeout:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """Run Debian's redis-server on a free loopback port; yield its URL (db 0)."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed (make redis installs it)")
    import redis

    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    args = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(
        [*args, "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait(lambda: redis.Redis.from_url(url).ping(), "redis-server", proc, 20)
        yield url
    finally:
        _stop(proc)


@contextmanager
def chroma_server(folder: Path) -> Iterator[int]:
    """Run `chroma run` (from chromadb) on a free loopback port; yield the port."""
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        pytest.skip("the chroma server command is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    heartbeat = f"http://127.0.0.1:{port}/api/v2/heartbeat"
    try:
        _wait(lambda: httpx.get(heartbeat, timeout=1).is_success, "chroma", proc, 60)
        yield port
    finally:
        _stop(proc)


@dataclass
class AppProcess:
    """A running `python app.py` process."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """Kill the process at once (SIGKILL), as a crash would."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


def app_env(**settings: object) -> dict[str, str]:
    """Return the environment for an app process: this one's, offline, plus BOT_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env |= {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env |= {f"BOT_{k.upper()}": str(v) for k, v in settings.items()}
    return env


@contextmanager
def app_process(
    folder: Path, *extra: str, timeout: float = 300, **settings: object
) -> Iterator[AppProcess]:
    """Start `.venv/bin/python app.py --port N` with BOT_ settings; yield once /healthz is up."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"app-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(port), *extra],
            cwd=ROOT,
            env=app_env(**settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            healthy = lambda: httpx.get(url + "/healthz", timeout=2).is_success  # noqa: E731
            _wait(healthy, "app.py", proc, timeout)
        except RuntimeError as exc:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{exc}; log:\n{tail}") from None
        yield AppProcess(url, proc, log)
    finally:
        _stop(proc)
