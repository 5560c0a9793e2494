"""The README's tables that the code decides: the read-only IAM policy the collectors need, the
ARN hashed for each resource type they produce, and the pace of AWS calls per service.

Higher layers add tables of their own (`rules/readme_tables.py`: compliance coverage);
`scans/management/readme.py` passes the whole set to `rewritten` and `stale_tables`. Each table
sits between two HTML comments in the README, which `manage.py docs_tables --write` rewrites in
place and `--check` compares; the documentation tests use the same functions.
"""

import re
from collections.abc import Callable, Mapping

from scans.collection.collectors import REGISTRY
from scans.collection.context import NOT_COLLECTED_ARN_FORM
from scans.collection.permissions import policy_document, scan_actions
from securescope.ratelimit import SERVICE_THROTTLES

NOT_COLLECTED_ROW = (
    "| any type a unit could not list (denied or unavailable) | "
    f"`{NOT_COLLECTED_ARN_FORM}`, one NOT_EVALUATED finding per rule; REGION is the literal "
    "`global` in the account-wide unit |"
)


def iam_policy() -> str:
    return f"```json\n{policy_document(scan_actions())}\n```"


def arn_table() -> str:
    forms: dict[str, str] = {}
    for collector in REGISTRY.values():
        for resource_type, form in collector.arn_forms.items():
            if forms.setdefault(resource_type, form) != form:
                raise ValueError(f"{resource_type}: two collectors give different ARN forms")
    rows = [f"| `{resource_type}` | {forms[resource_type]} |" for resource_type in sorted(forms)]
    return "\n".join(["| resource type | ARN hashed |", "|---|---|", *rows, NOT_COLLECTED_ROW])


def pacing_table() -> str:
    rows = [
        f"| `{service}` | {throttle.burst:g} | {throttle.refill:g} | {throttle.source} |"
        for service, throttle in sorted(SERVICE_THROTTLES.items())
    ]
    other = (
        "| every other service | 2 x `AWS_CALLS_PER_SECOND` | `AWS_CALLS_PER_SECOND` "
        "| AWS publishes no figure for the read calls a scan makes |"
    )
    header = "| service | bucket (calls at once) | refill (calls per second) | AWS's figure |"
    return "\n".join([header, "|---|---|---|---|", *rows, other])


TABLES: dict[str, Callable[[], str]] = {
    "iam-policy": iam_policy,
    "arn-table": arn_table,
    "pacing-table": pacing_table,
}


def _markers(name: str) -> tuple[str, str]:
    return (
        f"<!-- {name}: written by `manage.py docs_tables --write`; edit the code, not this -->",
        f"<!-- end of {name} -->",
    )


def _section(name: str) -> re.Pattern:
    begin, end = _markers(name)
    return re.compile(f"{re.escape(begin)}\n(.*?)\n{re.escape(end)}", re.DOTALL)


def rewritten(text: str, tables: Mapping[str, Callable[[], str]] = TABLES) -> str:
    """`text` (the README) with every generated table brought up to date."""
    for name, build in tables.items():
        found = _section(name).search(text)
        if found is None:
            raise ValueError(f"the README has no {name} section markers")
        begin, end = _markers(name)
        text = f"{text[: found.start()]}{begin}\n{build()}\n{end}{text[found.end() :]}"
    return text


def stale_tables(text: str, tables: Mapping[str, Callable[[], str]] = TABLES) -> list[str]:
    """The names of the generated tables whose text in the README differs from the code's."""
    stale = []
    for name, build in tables.items():
        found = _section(name).search(text)
        if found is None or found.group(1) != build():
            stale.append(name)
    return stale
