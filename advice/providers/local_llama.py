"""llama-cpp-python inside the advice worker: the model file is loaded once per process."""

import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from advice.providers import Generation, ProviderError


class LocalLlamaProvider:
    def __init__(
        self, *, model_path: str, threads: int | None, context: int, max_tokens: int
    ) -> None:
        path = Path(model_path)
        if path.suffix != ".gguf" or not path.is_file():
            raise ProviderError(f"LLM_MODEL_PATH is not a .gguf file: {path.name}")
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ProviderError(
                "llama-cpp-python is not installed: pip install -e '.[llm]' (deploy/start does "
                "when LLM_MODEL_PATH is set)"
            ) from None

        # The chat template comes from the GGUF's metadata (chat_format left unset).
        self._llama = Llama(
            model_path=str(path), n_ctx=context, n_threads=threads, seed=0, verbose=False
        )
        self._max_tokens = max_tokens
        # One Llama context is not safe to share between threads.
        self._lock = threading.Lock()
        self.model_id = path.name

    @classmethod
    def from_settings(cls) -> "LocalLlamaProvider":
        return cls(
            model_path=settings.LLM_MODEL_PATH,
            threads=settings.LLM_THREADS or None,
            context=settings.LLM_CONTEXT,
            max_tokens=settings.LLM_MAX_TOKENS,
        )

    def generate(self, messages: list[dict[str, str]], *, schema: dict[str, Any]) -> Generation:
        started = time.monotonic()
        with self._lock:
            try:
                response = self._llama.create_chat_completion(
                    messages=messages,
                    response_format={"type": "json_object", "schema": schema},
                    max_tokens=self._max_tokens,
                    temperature=0.2,
                )
            except Exception as error:
                # Whatever llama.cpp or the chat template raised, the advice falls back to curated.
                raise ProviderError(f"llama.cpp failed ({type(error).__name__})") from None
        return Generation(
            text=response["choices"][0]["message"]["content"] or "",
            completion_tokens=response["usage"]["completion_tokens"],
            seconds=time.monotonic() - started,
        )
