"""Anonymization shared by findings, exports, log lines and LLM prompts.

Resources are stored as an HMAC of their ARN, accounts as an HMAC of their id plus a masked label.
`redact_evidence` is the last gate before evidence is stored: an allow-list by type, so that a
careless evaluator cannot leak an identifier the patterns do not know. Its limit: a short token
is admitted by shape, and a name shaped like an enum value (a bucket called `logs`) looks like
one; evaluators keep names out of evidence in the first place.
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

# Dotted host names under any two-letter (country) top-level domain or a common generic,
# private or AWS one; not every dotted word, so that a JMESPath query such as
# cluster.identity.oidc.issuer can pass.
_TLDS = (
    "com|net|org|io|dev|app|cloud|info|biz|tech|online|site|aws|internal|intranet|local|lan"
    "|corp|home|private|example|test|localdomain|[a-z]{2}"
)
# Resource id prefixes: EC2 and VPC ids, security group rules, prefix lists, KMS multi-region.
_ID_PREFIXES = (
    "i|vol|sg|sgr|pl|snap|ami|eni|vpc|subnet|igw|eigw|nat|rtb|acl|eipalloc|eipassoc|lt|pcx|tgw"
    "|tgw-attach|vpce|dopt|fl|r|cvpn-endpoint|mrk"
)
# The one set of identifier patterns: evidence storage, log lines and model prompts all use it.
# Boundaries are "not a letter or digit" rather than \b, so that `_i-0abc...` still matches.
IDENTIFIER_PATTERNS: dict[str, re.Pattern[str]] = {
    "arn": re.compile(r"\barn:aws[a-z-]*:", re.IGNORECASE),
    "account_id": re.compile(r"(?<!\d)(?:\d{12}|\d{4}-\d{4}-\d{4})(?!\d)"),
    "resource_id": re.compile(
        rf"(?<![a-z0-9])(?:{_ID_PREFIXES})-[0-9a-f]{{8,32}}(?![0-9a-z])", re.IGNORECASE
    ),
    # KMS key ids, and any other UUID: none of ours is ever evidence.
    "uuid": re.compile(
        r"(?<![0-9a-f])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-f])",
        re.IGNORECASE,
    ),
    "access_key_id": re.compile(
        r"(?<![A-Z0-9])(?:AKIA|ASIA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA)[A-Z0-9]{16}(?![A-Z0-9])"
    ),
    "email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    "hostname": re.compile(
        rf"\b(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:{_TLDS})\b(?![.-]?\w)", re.I
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


def redact_identifiers(text: str, kinds: tuple[str, ...]) -> str:
    """`text` with every match of the patterns of `kinds` replaced by REDACTED."""
    for kind in kinds:
        text = IDENTIFIER_PATTERNS[kind].sub(REDACTED, text)
    return text


def _is_world_or_not_an_address(candidate: str) -> bool:
    if candidate in WORLD_CIDRS:
        return True
    try:
        ipaddress.ip_network(candidate, strict=False)
    except ValueError:
        return True
    return False


# What evidence may hold, by type (everything else is replaced by REDACTED where findings are
# stored): booleans, None, numbers that are not 12-digit account ids, and strings that match no
# identifier pattern and are one of: a world CIDR, a resource hash, a version, a short token
# (an enum value, a port range, an API action) or a sentence a rule wrote (a reason).
_RESOURCE_HASH = re.compile(r"[0-9a-f]{64}")
_VERSION = re.compile(r"v?\d{1,4}(?:\.\d{1,4}){0,3}(?:-[a-z0-9.]{1,20})?", re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z0-9_.:/*+@-]{1,64}")
_SENTENCE = re.compile(r"[A-Za-z0-9 _.,:;()/*+<>=%'-]{1,200}")
_ACCOUNT_ID_NUMBER = 10**11


def allowed_value(value: Any) -> bool:
    """Whether a scalar may be stored as evidence as it is."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return not (_ACCOUNT_ID_NUMBER <= abs(value) < 10 * _ACCOUNT_ID_NUMBER)
    if not isinstance(value, str):
        return False
    if value in WORLD_CIDRS or _RESOURCE_HASH.fullmatch(value):
        return True
    if find_identifiers(value):
        return False
    return bool(
        value == ""
        or _VERSION.fullmatch(value)
        or _TOKEN.fullmatch(value)
        or _SENTENCE.fullmatch(value)
    )


def redact_evidence(evidence: Any) -> Any:
    """A copy of `evidence` holding only what the allow-list admits: dicts and lists of allowed
    values, under keys that are allowed tokens; anything else (a value, or a key with what it
    holds) is replaced by REDACTED, numbered when several keys of one dict are."""
    if isinstance(evidence, dict):
        redacted: dict[str, Any] = {}
        for key, value in evidence.items():
            if isinstance(key, str) and _TOKEN.fullmatch(key) and allowed_value(key):
                redacted[key] = redact_evidence(value)
            else:
                redacted[f"{REDACTED} {len(redacted) + 1}"] = REDACTED
        return redacted
    if isinstance(evidence, list | tuple):
        return [redact_evidence(item) for item in evidence]
    return evidence if allowed_value(evidence) else REDACTED
