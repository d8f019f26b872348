"""Answer stage: the grounded composer and the LLM engines behind one `Engine` protocol."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.answer.engine import Engine
    from bot.config import Settings
    from bot.ingest.embeddings import MiniLMEmbeddings


def make_engine(settings: Settings, embeddings: MiniLMEmbeddings) -> Engine:
    """Create the configured answer engine (`BOT_LLM`)."""
    from bot.answer.grounded import GroundedEngine

    if settings.llm == "grounded":
        return GroundedEngine(embeddings, settings.top_k, settings.prompts_dir)
    from bot.answer.llm_engine import make_llm_engine

    grounded = GroundedEngine(embeddings, settings.top_k, settings.prompts_dir)
    return make_llm_engine(settings, embeddings, grounded)
