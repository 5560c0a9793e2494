"""Anonymization shared by findings, exports and (later) LLM prompts.

Resources are stored as an HMAC of their ARN, accounts as an HMAC of their id plus a masked label.
`redact_evidence` is the last gate before evidence is stored: any string that still looks like an
identifier is replaced, so a careless evaluator cannot leak one.
"""

import hashlib
import hmac
import ipaddress
import re
from typing import Any

from django.conf import settings

REDACTED = "[redacted]"

# CIDRs that mean "the whole internet": evidence needs them and they identify no one.
WORLD_CIDRS = frozenset({"0.0.0.0/0", "::/0"})

IDENTIFIER_PATTERNS: dict[str, re.Pattern[str]] = {
    "arn": re.compile(r"\barn:aws[a-z-]*:", re.IGNORECASE),
    "account_id": re.compile(r"(?<!\d)\d{12}(?!\d)"),
    "resource_id": re.compile(
        r"\b(?:i|vol|sg|snap|ami|eni|vpc|subnet|igw|nat|rtb|acl|eipalloc|lt|pcx|tgw|vpce)-"
        r"[0-9a-f]{8,17}\b"
    ),
    "access_key_id": re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA)[A-Z0-9]{16}\b"),
    "email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    "hostname": re.compile(
        r"\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
        r"(?:com|net|org|io|internal|local|aws|amazonaws\.com|eks\.amazonaws\.com)\b",
        re.IGNORECASE,
    ),
    "ipv4": re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![\d.])"),
    "ipv6": re.compile(r"(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:/\d{1,3})?", re.I),
}


def _keyed_hash(value: str, purpose: bytes) -> str:
    key = hmac.new(settings.RESOURCE_HASH_KEY.encode(), purpose, hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def resource_hash(arn: str) -> str:
    """Hex HMAC-SHA256 of the ARN keyed with RESOURCE_HASH_KEY (documented in the README)."""
    return hmac.new(settings.RESOURCE_HASH_KEY.encode(), arn.encode(), hashlib.sha256).hexdigest()


def account_hash(account_id: str) -> str:
    return _keyed_hash(account_id, b"account")


def account_label(account_id: str) -> str:
    return f"****{account_id[-4:]}"


def find_identifiers(text: str) -> list[str]:
    """Names of the identifier kinds found in `text` (never the identifiers themselves)."""
    found = []
    for kind, pattern in IDENTIFIER_PATTERNS.items():
        for match in pattern.finditer(text):
            if kind in ("ipv4", "ipv6") and _is_world_or_not_an_address(match.group(0)):
                continue
            found.append(kind)
            break
    return found


def _is_world_or_not_an_address(candidate: str) -> bool:
    if candidate in WORLD_CIDRS:
        return True
    try:
        ipaddress.ip_network(candidate, strict=False)
    except ValueError:
        return True
    return False


def redact_evidence(evidence: Any) -> Any:
    """A copy of `evidence` where every string that carries an identifier is replaced."""
    if isinstance(evidence, dict):
        return {str(key): redact_evidence(value) for key, value in evidence.items()}
    if isinstance(evidence, list | tuple):
        return [redact_evidence(item) for item in evidence]
    if isinstance(evidence, str) and find_identifiers(evidence):
        return REDACTED
    return evidence
