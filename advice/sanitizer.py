"""The last gate before text reaches a model: it fails closed.

A prompt is built from redacted evidence and curated catalog text only, so it should never hold
an identifier. If it does anyway (an evaluator that put a name into its evidence, a catalog edit),
the prompt is refused, counted and logged by kind, never by value.
"""

import logging
import re

from securescope.privacy import find_identifiers

logger = logging.getLogger(__name__)

# Values that look like identifiers but name nothing of the customer's, as the catalog's curated
# remediation uses them: service principals (sts.amazonaws.com; a customer host under
# amazonaws.com has more labels), AWS-managed policies, and ARN templates whose account is a
# <placeholder>, or empty with a <placeholder> resource (arn:aws:s3:::<bucket-name>).
# A template's resource part runs to the next space, quote or comma, and never over the start of
# another ARN; a template that still holds an identifier of another kind is no template.
_PUBLIC_VALUES = re.compile(
    r"(?<![\w.-])[a-z0-9-]+\.amazonaws\.com\b"
    r"|\barn:aws[a-z-]*:iam::aws:policy/[\w/+=,.@-]+"
    r"|\barn:aws[a-z-]*:[a-z0-9-]*:(?:<[a-z-]+>)?:<[a-z-]+>:(?:(?!arn:)[^\s\"',])*"
    r"|\barn:aws[a-z-]*:[a-z0-9-]*:(?:<[a-z-]+>)?::<[a-z-]+>(?:(?!arn:)[^\s\"',])*"
)


class PromptRefused(ValueError):
    def __init__(self, kinds: list[str]) -> None:
        self.kinds = kinds
        super().__init__(f"prompt refused: it matches identifier patterns {', '.join(kinds)}")


def identifier_kinds(text: str) -> list[str]:
    """The kinds of identifier in `text` (never the identifiers themselves)."""
    return find_identifiers(_PUBLIC_VALUES.sub(_public_or_kept, text))


def _public_or_kept(match: re.Match[str]) -> str:
    value = match.group(0)
    if value.startswith("arn:") and find_identifiers(value.split(":", 2)[-1]):
        return value
    return "<public>"


def prompt_check(text: str) -> str:
    """Return `text` unchanged if it carries no identifier; raise PromptRefused otherwise."""
    kinds = identifier_kinds(text)
    if kinds:
        logger.warning("Advice prompt refused: it matches identifier patterns %s", kinds)
        raise PromptRefused(kinds)
    return text
