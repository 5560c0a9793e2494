import json
from typing import Any

from django import template

from securescope.frameworks import UNMAPPED_KEY, all_frameworks, get_framework

register = template.Library()


@register.filter
def as_json(value: object) -> str:
    """Evidence as compact, key-sorted JSON: the same text the exports carry."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


@register.filter
def compliance_rows(compliance: dict[str, Any]) -> list[tuple[str, str]]:
    """(framework label, mapping) for each framework a finding maps, in the registry's order;
    a framework the registry no longer knows is shown by its id."""
    rows = [
        (framework.label, framework.describe(compliance[framework.id]))
        for framework in all_frameworks()
        if framework.id in compliance
    ]
    rows += [
        (key, as_json(mapping))
        for key, mapping in compliance.items()
        if key != UNMAPPED_KEY and get_framework(key) is None
    ]
    return rows


@register.filter
def unmapped_reason(compliance: dict[str, Any]) -> str:
    """Why no framework maps the finding's rule; empty when one does."""
    return compliance.get(UNMAPPED_KEY, "")


@register.filter
def identity_of(identities: dict | None, resource_hash: str) -> object:
    """The revealed (or stored) identity of a hash on this page, or None."""
    return identities.get(resource_hash) if identities else None
