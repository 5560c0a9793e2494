"""The gate between a model's answer and a user: reject what a reviewer would reject.

Schema-constrained decoding guarantees JSON of the right shape, not sense. A small model loops,
leaves sections empty or fills one with another's text, or "fixes" an EC2 finding with an S3
command; such answers are rejected and the curated advice is shown instead, marked as such.
"""

import json
import re
from collections import Counter

from django.conf import settings

from advice.prompts import SECTIONS
from advice.sanitizer import identifier_kinds

MIN_SECTION_CHARS = 20
# A sentence-sized run of words seen three times is a loop, not emphasis.
REPEATED_RUN_WORDS = 6
REPEATED_RUN_TIMES = 3
_AWS_SERVICE = re.compile(r"\baws\s+([a-z0-9-]+)\b")


class AdviceRejected(ValueError):
    """The answer failed the gate; the message says why and never quotes the answer."""


def _sections(raw: str) -> dict[str, str]:
    try:
        answer = json.loads(raw)
    except json.JSONDecodeError as error:
        raise AdviceRejected(f"not JSON ({error.msg})") from None
    if not isinstance(answer, dict):
        raise AdviceRejected("not a JSON object")
    sections = {}
    limit = settings.ADVICE_SECTION_MAX_CHARS
    for name in SECTIONS:
        value = answer.get(name)
        if not isinstance(value, str) or len(value.strip()) < MIN_SECTION_CHARS:
            raise AdviceRejected(f"section {name} missing or too short")
        if len(value) > limit:
            raise AdviceRejected(f"section {name} longer than {limit} characters")
        sections[name] = value.strip()
    return sections


def _repeats_itself(text: str) -> bool:
    words = re.findall(r"\w+", text.lower())
    seen: dict[tuple[str, ...], int] = {}
    for start in range(len(words) - REPEATED_RUN_WORDS + 1):
        run = tuple(words[start : start + REPEATED_RUN_WORDS])
        seen[run] = seen.get(run, 0) + 1
        if seen[run] >= REPEATED_RUN_TIMES:
            return True
    return False


def _cli_loops(cli: str) -> bool:
    """A loop in a command block: one line three times, or a line that repeats itself.

    Not a run of words across lines: commands of one kind share their first words by nature
    (four network ACL entries, three detach calls).
    """
    lines = [line.strip() for line in cli.splitlines() if line.strip()]
    most = max(Counter(lines).values(), default=0)
    return most >= REPEATED_RUN_TIMES or any(_repeats_itself(line) for line in lines)


def _words_of(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def advice_checked(raw: str, *, curated_cli: str) -> dict[str, str]:
    """The answer's sections if it passes the gate; raises AdviceRejected otherwise."""
    sections = _sections(raw)
    seen: dict[str, str] = {}
    for name, text in sections.items():
        loops = _cli_loops(text) if name == "remediation_cli" else _repeats_itself(text)
        if loops:
            raise AdviceRejected(f"section {name} repeats itself")
        # A section that only repeats an earlier one drops what it was asked for.
        earlier = seen.setdefault(_words_of(text), name)
        if earlier != name:
            raise AdviceRejected(f"section {name} repeats section {earlier}")
        kinds = identifier_kinds(text)
        if kinds:
            raise AdviceRejected(f"section {name} holds identifier-like text ({', '.join(kinds)})")
    curated = set(_AWS_SERVICE.findall(curated_cli))
    if curated:
        used = set(_AWS_SERVICE.findall(sections["remediation_cli"]))
        if not used & curated:
            raise AdviceRejected(
                f"remediation_cli uses none of the curated commands' services "
                f"({', '.join(sorted(curated))})"
            )
        if used - curated:
            raise AdviceRejected(
                f"remediation_cli contradicts the curated commands' services: "
                f"{', '.join(sorted(used - curated))}"
            )
    return sections
