"""Prometheus metrics: request latency, retrieval latency and verdict counts."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUEST_SECONDS = Histogram(
    "bot_request_seconds", "HTTP request latency", ["route", "method", "status"]
)
RETRIEVAL_SECONDS = Histogram("bot_retrieval_seconds", "Hybrid retrieval latency")
VERDICTS = Counter("bot_answers_total", "Answers by verdict", ["verdict"])
