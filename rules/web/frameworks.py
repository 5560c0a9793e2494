"""Compliance frameworks as the Rules page shows them, from the framework registry."""

from typing import Any

from securescope.frameworks import UNMAPPED_KEY, all_frameworks, get_framework


def framework_choices() -> list[tuple[str, str]]:
    return [
        *((framework.id, framework.label) for framework in all_frameworks()),
        (UNMAPPED_KEY, "No framework"),
    ]


def framework_mappings(compliance: dict[str, Any]) -> list[tuple[str, str]]:
    """(framework name, what maps the rule there) for each framework of a rule's mapping."""
    rows = []
    for framework_id, mapping in compliance.items():
        if framework_id == UNMAPPED_KEY:
            continue
        framework = get_framework(framework_id)
        if framework is None:
            rows.append((framework_id, str(mapping)))
        else:
            rows.append((framework.label, framework.describe(mapping)))
    return rows
