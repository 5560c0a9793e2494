"""The last gate before text reaches a model: it fails closed.

A prompt is built from redacted evidence and curated catalog text only, so it should never hold
an identifier. If it does anyway (an evaluator that put a name into its evidence, a catalog edit),
the prompt is refused, counted and logged by kind, never by value.
"""

import logging
import re

from securescope.privacy import find_identifiers

logger = logging.getLogger(__name__)

# Dotted host names under any two-letter (country) top-level domain or a common generic or
# private one, beyond the AWS-style ones privacy.py knows. Wider than privacy.py on purpose; not
# every dotted word, so that a JMESPath query such as cluster.identity.oidc.issuer can pass.
_TLDS = (
    "com|net|org|io|dev|app|cloud|info|biz|tech|online|site|aws|internal|intranet|local|lan"
    "|corp|home|private|example|test|localdomain|[a-z]{2}"
)
_HOSTNAME = re.compile(
    rf"\b(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:{_TLDS})\b(?![.-]?\w)", re.I
)


# Values that look like identifiers but name nothing of the customer's, as the catalog's curated
# remediation uses them: service principals (sts.amazonaws.com; a customer host under
# amazonaws.com has more labels), AWS-managed policies, and ARN templates whose account is a
# <placeholder>, or empty with a <placeholder> resource (arn:aws:s3:::<bucket-name>).
_PUBLIC_VALUES = re.compile(
    r"(?<![\w.-])[a-z0-9-]+\.amazonaws\.com\b"
    r"|\barn:aws[a-z-]*:iam::aws:policy/[\w/+=,.@-]+"
    r"|\barn:aws[a-z-]*:[a-z0-9-]*:(?:<[a-z-]+>)?:<[a-z-]+>:[^\s\"',]*"
    r"|\barn:aws[a-z-]*:[a-z0-9-]*:(?:<[a-z-]+>)?::<[a-z-]+>[^\s\"',]*"
)


class PromptRefused(ValueError):
    def __init__(self, kinds: list[str]) -> None:
        self.kinds = kinds
        super().__init__(f"prompt refused: it matches identifier patterns {', '.join(kinds)}")


def identifier_kinds(text: str) -> list[str]:
    """The kinds of identifier in `text` (never the identifiers themselves)."""
    text = _PUBLIC_VALUES.sub("<public>", text)
    kinds = find_identifiers(text)
    if "hostname" not in kinds and _HOSTNAME.search(text):
        kinds.append("hostname")
    return kinds


def prompt_check(text: str) -> str:
    """Return `text` unchanged if it carries no identifier; raise PromptRefused otherwise."""
    kinds = identifier_kinds(text)
    if kinds:
        logger.warning("Advice prompt refused: it matches identifier patterns %s", kinds)
        raise PromptRefused(kinds)
    return text
