"""Vector store: Chroma through langchain-chroma, embedded under BOT_DATA_DIR or a Chroma server."""

from __future__ import annotations

from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from bot.config import Settings


def make_client(settings: Settings) -> Any:
    """Create the Chroma client: HTTP when BOT_CHROMA_HOST is set, else persistent on disk."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port or 8000, settings=chroma_settings
        )
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)


def make_store(settings: Settings, embeddings: Embeddings, client: Any = None) -> Chroma:
    """Create the LangChain Chroma store, always with our embedding function (cosine space)."""
    return Chroma(
        collection_name=settings.collection,
        embedding_function=embeddings,
        client=client if client is not None else make_client(settings),
        collection_metadata={"hnsw:space": "cosine"},
    )
