"""Server: build the Coach and the web app once, then serve them with uvicorn."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn
from fastapi import FastAPI

from bot.config import Settings
from bot.errors import startup_message
from bot.logs import setup_logging


def build_app(settings: Settings | None = None) -> FastAPI:
    """Create the Coach (building the index if missing) and the full web app around it."""
    from bot.coach import Coach
    from bot.web.app import create_web_app

    return create_web_app(Coach(settings or Settings()))


def uvicorn_config(app: FastAPI, host: str = "127.0.0.1", port: int = 7860) -> uvicorn.Config:
    """Return the uvicorn config: no access log, no Server header, client address never rewritten.

    `proxy_headers=False` keeps uvicorn from replacing the client address with X-Forwarded-For;
    the rate limiter reads that header itself, and only when BOT_TRUST_FORWARDED_FOR is true.
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        lifespan="on",
    )


def serve(host: str = "127.0.0.1", port: int = 7860, settings: Settings | None = None) -> None:
    """Serve the JSON API, the Gradio app and the widget on one port."""
    setup_logging()
    app = build_app(settings)
    logging.getLogger("bot").info("serving", extra={"host": host, "port": port})
    uvicorn.Server(uvicorn_config(app, host, port)).run()


def main(argv: list[str] | None = None) -> None:
    """Parse `--host` and `--port` and serve."""
    parser = argparse.ArgumentParser(description="Serve Director Coach.")
    parser.add_argument("--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1).")
    parser.add_argument("--port", type=int, default=7860, help="Port (default 7860).")
    args = parser.parse_args(argv)
    try:
        serve(args.host, args.port)
    except Exception as exc:
        message = startup_message(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)
