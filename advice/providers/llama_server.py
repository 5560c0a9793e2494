"""llama.cpp's HTTP server (or any OpenAI-compatible /v1/chat/completions endpoint)."""

import time
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from advice.providers import Generation, ProviderError


def validated_endpoint(url: str) -> str:
    """The base URL of an OpenAI-compatible server, or ProviderError saying what is wrong.

    Only http(s) with a host; no user info (credentials do not belong in a setting that is
    printed in errors), no query or fragment. A trailing /v1 is accepted and dropped.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProviderError("LLM_ENDPOINT must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise ProviderError("LLM_ENDPOINT must not carry a user name or password")
    if parts.query or parts.fragment:
        raise ProviderError("LLM_ENDPOINT must not carry a query or fragment")
    path = parts.path.rstrip("/")
    path = path.removesuffix("/v1")
    return f"{parts.scheme}://{parts.netloc}{path}"


class LlamaServerProvider:
    def __init__(self, *, endpoint: str, model_name: str, timeout: float, max_tokens: int) -> None:
        self._base = validated_endpoint(endpoint)
        self._timeout = timeout
        self._max_tokens = max_tokens
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy from the environment sees the prompts
        self.model_id = model_name or self._served_model()

    @classmethod
    def from_settings(cls) -> "LlamaServerProvider":
        return cls(
            endpoint=settings.LLM_ENDPOINT,
            model_name=settings.LLM_MODEL_NAME,
            timeout=settings.LLM_TIMEOUT_SECONDS,
            max_tokens=settings.LLM_MAX_TOKENS,
        )

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._session.request(
                method, f"{self._base}{path}", timeout=self._timeout, **kwargs
            )
            response.raise_for_status()
            return response.json()
        except requests.Timeout:
            raise ProviderError(
                f"the LLM server did not answer within {self._timeout:g} s"
            ) from None
        except requests.HTTPError as error:
            raise ProviderError(
                f"the LLM server answered HTTP {error.response.status_code}"
            ) from None
        except (requests.RequestException, ValueError) as error:
            raise ProviderError(f"the LLM server call failed ({type(error).__name__})") from None

    def _served_model(self) -> str:
        """The id the server reports for its model: the cache key when no name is set."""
        models = self._request("get", "/v1/models").get("data") or []
        if not models or not isinstance(models[0], dict) or not models[0].get("id"):
            raise ProviderError("the LLM server lists no model; set LLM_MODEL_NAME")
        return str(models[0]["id"])

    def generate(self, messages: list[dict[str, str]], *, schema: dict[str, Any]) -> Generation:
        started = time.monotonic()
        body = self._request(
            "post",
            "/v1/chat/completions",
            json={
                "model": self.model_id,
                "messages": messages,
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "advice", "strict": True, "schema": schema},
                },
                "max_tokens": self._max_tokens,
                "temperature": 0.2,
            },
        )
        try:
            content = body["choices"][0]["message"]["content"]
            tokens = int((body.get("usage") or {}).get("completion_tokens", 0))
        except (KeyError, IndexError, TypeError, ValueError):
            raise ProviderError("the LLM server's answer is not a chat completion") from None
        if not isinstance(content, str):
            raise ProviderError("the LLM server's answer has no text content")
        return Generation(
            text=content, completion_tokens=tokens, seconds=time.monotonic() - started
        )
