"""System checks on settings whose weakness start-up cannot refuse outright."""

import hashlib
import hmac
import math
from collections import Counter
from typing import Any

from django.conf import settings
from django.core import checks

# A key someone chose: at least this long, and worth at least this many bits once repeats are
# taken out (its shortest repeating unit, each character as likely as its share of the key).
HASH_KEY_MIN_LENGTH = 32
HASH_KEY_MIN_BITS = 96


def _period(text: str) -> int:
    """The length of the shortest unit that `text` repeats ("abcabcab" -> 3)."""
    return next(p for p in range(1, len(text) + 1) if text == (text[:p] * len(text))[: len(text)])


def estimated_bits(text: str) -> float:
    """A generous estimate of how much guessing `text` takes: the Shannon entropy of the
    characters of its shortest repeating unit, over that unit's length."""
    unit = text[: _period(text)] if text else ""
    counts = Counter(unit)
    return -sum(n * math.log2(n / len(unit)) for n in counts.values())


def _derived_hash_key() -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), b"securescope resource hash", hashlib.sha256
    ).hexdigest()


@checks.register(checks.Tags.security, deploy=False)
def weak_resource_hash_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn when RESOURCE_HASH_KEY is short or guessable: whoever guesses it can test ARNs
    against every stored resource hash."""
    key = settings.RESOURCE_HASH_KEY
    if key == _derived_hash_key():
        return []
    if len(key) >= HASH_KEY_MIN_LENGTH and estimated_bits(key) >= HASH_KEY_MIN_BITS:
        return []
    return [
        checks.Warning(
            "RESOURCE_HASH_KEY is weak: shorter than 32 characters or built from few distinct "
            "characters, so it can be guessed and every stored resource hash tested against "
            "known ARNs.",
            hint="Generate one with `python3 -c 'import secrets; print(secrets.token_hex(32))'`;"
            " the README's 'Rotating RESOURCE_HASH_KEY' says what changing it does.",
            id="securescope.W001",
        )
    ]
