"""Settings: every knob of Director Coach, read from BOT_* environment variables and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Described settings for every stage; override with `BOT_<NAME>` environment variables."""

    model_config = SettingsConfigDict(env_prefix="BOT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("./.data"), description="Index, sessions and feedback live here.")
    corpus_dir: Path = Field(Path("./corpus"), description="Documents to ingest.")
    prompts_dir: Path = Field(
        REPO_ROOT / "prompts", description="Prompt templates and question bank."
    )
    collection: str = Field("director_coach", description="Chroma collection name.")
    embedding_model: str = Field(
        "", description="Sentence-transformers model path; empty = packaged MiniLM."
    )
    torch_threads: int = Field(
        1, description="CPU threads for embeddings (1 keeps tail latency flat)."
    )

    llm: Literal["grounded", "openai", "local"] = Field("grounded", description="Answer engine.")
    llm_base_url: str = Field("", description="OpenAI-compatible endpoint URL.")
    llm_model: str = Field("", description="Model name (openai) or GGUF path (local).")
    llm_api_key: str = Field("", description="API key for the endpoint.")
    llm_timeout: float = Field(
        15.0, description="Seconds before an LLM call falls back to grounded."
    )
    llm_max_tokens: int = Field(320, description="Longest LLM reply, in tokens.")

    chroma_host: str | None = Field(None, description="Chroma server host; unset = embedded store.")
    chroma_port: int | None = Field(None, description="Chroma server port.")

    chunk_size: int = Field(
        350, description="Most characters per chunk (measured: benchmarks/chunk_size.py)."
    )
    chunk_overlap: int = Field(
        0, description="Characters of overlap between chunks of one section."
    )
    top_k: int = Field(4, description="Passages given to the answer engine.")
    relevance_floor: float = Field(
        0.30, description="Minimum cosine similarity of the best passage."
    )
    max_message_chars: int = Field(4000, description="Longest accepted message or answer.")

    allowed_origins: str = Field(
        "", description="Comma-separated browser origins allowed to call the API."
    )
    rate_limit: str = Field(
        "30/minute", description="Per-client limit on chat and interview routes."
    )
    trust_forwarded_for: bool = Field(
        False, description="Use X-Forwarded-For (only behind a trusted proxy)."
    )
    max_body_bytes: int = Field(64_000, description="Largest accepted request body.")
    log_message_text: bool = Field(
        False, description="Log message text (off: no patient data in logs)."
    )

    @field_validator("chroma_host", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def origins(self) -> list[str]:
        """Return the allowed browser origins as a list."""
        return [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]

    @property
    def index_dir(self) -> Path:
        """Return the folder of the embedded Chroma index."""
        return self.data_dir / "index"

    @property
    def db_path(self) -> Path:
        """Return the path of the SQLite session and feedback store."""
        return self.data_dir / "sessions.sqlite3"
