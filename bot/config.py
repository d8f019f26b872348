"""Settings: every knob of Director Coach, read from BOT_* environment variables and `.env`.

Relative paths (in the environment, `.env` or arguments) are relative to the current working
directory and are made absolute when Settings is built, so every stage sees the same folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot import resources


def default_corpus() -> Path:
    """Return `./corpus` when the working directory has one, else the packaged guides."""
    local = Path("corpus")
    return local if local.is_dir() else resources.corpus_dir()


class Settings(BaseSettings):
    """Described settings for every stage; override with `BOT_<NAME>` environment variables."""

    model_config = SettingsConfigDict(env_prefix="BOT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        Path(".data"),
        validate_default=True,
        description="Index, sessions and feedback live here.",
    )
    corpus_dir: Path = Field(
        default_factory=default_corpus,
        validate_default=True,
        description="Documents to ingest; default ./corpus if present, else the packaged guides.",
    )
    prompts_dir: Path = Field(
        default_factory=resources.prompts_dir,
        validate_default=True,
        description="Prompt templates and question bank; default the packaged prompts.",
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
    public_hosts: str = Field(
        "localhost,127.0.0.1,::1",
        description="Comma-separated host names the server answers to (Host header; `*.example.org`"
        " matches subdomains, `*` any host); others get 400, against DNS rebinding.",
    )

    redis_url: str | None = Field(
        None,
        description="Redis URL (redis://host:6379/0) for sessions, interviews, feedback and rate"
        " limits shared by several processes; unset = SQLite file and in-process limits.",
    )
    retention_days: float = Field(
        30.0,
        ge=0,
        description="Days turns, interviews and feedback are kept; 0 = only until the session"
        " ends (idle for BOT_SESSION_IDLE_MINUTES).",
    )
    session_idle_minutes: float = Field(
        30.0, gt=0, description="A session with no activity for this long has ended."
    )
    admin_token: str = Field(
        "",
        description="Bearer token for /api/admin/* and /metrics; empty = no admin routes and"
        " /metrics open.",
    )

    @field_validator("data_dir", "corpus_dir", "prompts_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("chroma_host", "chroma_port", "redis_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def origins(self) -> list[str]:
        """Return the allowed browser origins as a list."""
        return [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]

    @property
    def hosts(self) -> list[str]:
        """Return the host names the server answers to, lowercased, without brackets."""
        return [h.strip().strip("[]").lower() for h in self.public_hosts.split(",") if h.strip()]

    @property
    def index_dir(self) -> Path:
        """Return the folder of the embedded Chroma index."""
        return self.data_dir / "index"

    @property
    def db_path(self) -> Path:
        """Return the path of the SQLite session and feedback store."""
        return self.data_dir / "sessions.sqlite3"
