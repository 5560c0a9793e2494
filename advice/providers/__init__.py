"""LLM providers: one small interface, chosen from a name -> class table by settings.

Adding a provider (vLLM, Ollama, ...) is one class with `model_id` and `generate` plus one entry
in PROVIDERS; the README shows an example.
"""

from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Generation:
    text: str
    completion_tokens: int
    seconds: float


class ProviderError(Exception):
    """The model could not answer (timeout, HTTP error, crash). The message holds no output."""


class AdviceProvider(Protocol):
    model_id: str

    def generate(self, messages: list[dict[str, str]], *, schema: dict[str, Any]) -> Generation:
        """One chat completion whose content is constrained to `schema`."""


# Import paths, so llama-cpp-python is imported only where the local provider is used.
PROVIDERS: dict[str, str] = {
    "llama-cpp": "advice.providers.local_llama.LocalLlamaProvider",
    "llama-server": "advice.providers.llama_server.LlamaServerProvider",
}


def configured_provider_name() -> str | None:
    """The provider settings ask for: LLM_PROVIDER, or the one its model setting implies."""
    if settings.LLM_PROVIDER:
        return settings.LLM_PROVIDER
    if settings.LLM_MODEL_PATH:
        return "llama-cpp"
    if settings.LLM_ENDPOINT:
        return "llama-server"
    return None


def advice_disabled_reason() -> str | None:
    """Why no model writes advice here, in words for the scan page; None when one does."""
    if "llm" not in settings.FEATURE_FLAGS:
        return "the llm feature flag is off (FEATURE_FLAGS)"
    name = configured_provider_name()
    if name is None:
        return "no model is configured (LLM_MODEL_PATH or LLM_ENDPOINT)"
    if name not in PROVIDERS:
        return f"LLM_PROVIDER names an unknown provider ({name})"
    return None


@cache
def advice_provider() -> AdviceProvider:
    """The configured provider, built once per process (a local model loads once per worker)."""
    reason = advice_disabled_reason()
    if reason:
        raise ProviderError(f"advice is disabled: {reason}")
    provider_class = import_string(PROVIDERS[configured_provider_name()])
    return provider_class.from_settings()
