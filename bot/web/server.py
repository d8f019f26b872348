"""Server: build the Coach and the web app once, then serve them with uvicorn."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

import uvicorn
from fastapi import FastAPI

from bot.config import Settings
from bot.errors import BotError, startup_message
from bot.logs import log_config, setup_logging


def build_app(settings: Settings | None = None) -> FastAPI:
    """Create the Coach (building the index if missing), the web app and the retention purges."""
    from bot.coach import Coach
    from bot.sessions.retention import PurgeSchedule
    from bot.web.app import create_web_app

    coach = Coach(settings or Settings())
    coach.warm()  # before the port opens: the first question is as quick as any other
    app = create_web_app(coach)
    PurgeSchedule(coach.sessions, coach.settings).start()
    return app


def worker_app() -> FastAPI:
    """Build the app inside one uvicorn worker process (`--workers N`; settings from the env)."""
    setup_logging()
    return build_app()


def check_workers(workers: int, settings: Settings) -> None:
    """Refuse a worker count the settings cannot share state for (one line, no stack trace)."""
    if workers < 1:
        raise BotError("invalid_workers", "--workers must be 1 or more.")
    if workers > 1 and not settings.redis_url:
        raise BotError(
            "workers_need_redis",
            f"--workers {workers} needs BOT_REDIS_URL: several processes must share sessions, "
            "interviews and rate limits in Redis (or run --workers 1).",
        )


def uvicorn_config(app: FastAPI, host: str = "127.0.0.1", port: int = 7860) -> uvicorn.Config:
    """Return the uvicorn config: no access log, no Server header, client address never rewritten.

    `proxy_headers=False` keeps uvicorn from replacing the client address with X-Forwarded-For;
    the rate limiter reads that header itself, and only when BOT_TRUST_FORWARDED_FOR is true.
    """
    return uvicorn.Config(app, host=host, port=port, **_uvicorn_options())


def _uvicorn_options() -> dict[str, Any]:
    """Return the options every server shares (see `uvicorn_config`)."""
    return {
        "log_level": "warning",
        "log_config": log_config(),
        "access_log": False,
        "proxy_headers": False,
        "server_header": False,
        "lifespan": "on",
    }


def serve(
    host: str = "127.0.0.1", port: int = 7860, settings: Settings | None = None, workers: int = 1
) -> None:
    """Serve the JSON API, the Gradio app and the widget on one port (in `workers` processes)."""
    setup_logging()
    settings = settings or Settings()
    check_workers(workers, settings)
    if workers > 1:
        logging.getLogger("bot").info(
            "serving", extra={"host": host, "port": port, "workers": workers}
        )
        _serve_workers(host, port, workers)
        return
    app = build_app(settings)
    logging.getLogger("bot").info("serving", extra={"host": host, "port": port})
    uvicorn.Server(uvicorn_config(app, host, port)).run()


def _serve_workers(host: str, port: int, workers: int) -> None:
    """Run `workers` uvicorn processes on one socket, each building its own app from the env."""
    uvicorn.run(
        "bot.web.server:worker_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        **_uvicorn_options(),
    )


def main(argv: list[str] | None = None) -> None:
    """Parse `--host`, `--port` and `--workers` and serve."""
    parser = argparse.ArgumentParser(description="Serve Director Coach.")
    parser.add_argument("--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1).")
    parser.add_argument("--port", type=int, default=7860, help="Port (default 7860).")
    parser.add_argument(
        "--workers", type=int, default=1, help="Processes (default 1; more need BOT_REDIS_URL)."
    )
    args = parser.parse_args(argv)
    try:
        serve(args.host, args.port, workers=args.workers)
    except Exception as exc:
        message = startup_message(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)
