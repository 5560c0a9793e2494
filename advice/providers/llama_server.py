"""llama.cpp's HTTP server (or any OpenAI-compatible /v1/chat/completions endpoint)."""

import ipaddress
import re
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from advice.providers import Generation, ProviderError

MODEL_ID = re.compile(r"[\w.:/-]{1,200}")


def validated_endpoint(url: str, *, allow_http: bool = False) -> str:
    """The base URL of an OpenAI-compatible server, or ProviderError saying what is wrong.

    https, or http to this host (or with `allow_http`, for a private network between
    containers): prompts and advice cross no network in clear. A host; no user info
    (credentials do not belong in a setting that is printed in errors), no query or fragment.
    A trailing /v1 is accepted and dropped.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProviderError("LLM_ENDPOINT must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise ProviderError("LLM_ENDPOINT must not carry a user name or password")
    if parts.query or parts.fragment:
        raise ProviderError("LLM_ENDPOINT must not carry a query or fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname) and not allow_http:
        raise ProviderError(
            "LLM_ENDPOINT must be https:// unless the server is on this host (http://127.0.0.1); "
            "LLM_ENDPOINT_ALLOW_HTTP=true accepts http:// on a private network"
        )
    path = parts.path.rstrip("/")
    path = path.removesuffix("/v1")
    return f"{parts.scheme}://{parts.netloc}{path}"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validated_model_id(model_id: str) -> str:
    """The model's id as the server or the settings give it, if it is a plain name: it is
    printed in exports and pages, so markup or formulas must not ride in on it."""
    if not MODEL_ID.fullmatch(model_id):
        raise ProviderError(
            "the LLM model id must be letters, digits and . _ : / - only (up to 200); "
            "set LLM_MODEL_NAME"
        )
    return model_id


class LlamaServerProvider:
    def __init__(
        self,
        *,
        endpoint: str,
        model_name: str,
        timeout: float,
        max_tokens: int,
        allow_http: bool = False,
    ) -> None:
        self._base = validated_endpoint(endpoint, allow_http=allow_http)
        self._timeout = timeout
        self._max_tokens = max_tokens
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy from the environment sees the prompts
        self.model_id = validated_model_id(model_name or self._served_model())

    @classmethod
    def from_settings(cls) -> "LlamaServerProvider":
        return cls(
            endpoint=settings.LLM_ENDPOINT,
            model_name=settings.LLM_MODEL_NAME,
            timeout=settings.LLM_TIMEOUT_SECONDS,
            max_tokens=settings.LLM_MAX_TOKENS,
            allow_http=settings.LLM_ENDPOINT_ALLOW_HTTP,
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
