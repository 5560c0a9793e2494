import json
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.text import Truncator

from findings.identifiers import Identity
from securescope.frameworks import UNMAPPED_KEY, all_frameworks, get_framework

register = template.Library()


@register.filter
def as_json(value: object) -> str:
    """Evidence as compact, key-sorted JSON: the same text the exports carry."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


# Characters of evidence a list row shows; the finding's page shows all of it.
SUMMARY_LENGTH = 160
# Items of a list of plain values shown before "+N".
SUMMARY_ITEMS = 6


def _summary_value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if all(isinstance(item, str | int | float) for item in value):
            shown = ", ".join(map(str, value[:SUMMARY_ITEMS]))
            more = len(value) - SUMMARY_ITEMS
            return f"{shown} +{more}" if more > 0 else shown or "none"
        return f"{len(value)} entries"
    if isinstance(value, dict):
        return f"{len(value)} fields"
    return str(value)


@register.filter
def evidence_summary(evidence: dict[str, Any]) -> str:
    """One line of evidence for a list row: each key with its value, lists of rules and
    nested objects counted, cut at SUMMARY_LENGTH. Rendering a page of rows as JSON cost more
    than the rest of the row together on findings with long rule lists."""
    summary = " · ".join(f"{key}: {_summary_value(evidence[key])}" for key in sorted(evidence))
    if len(summary) <= SUMMARY_LENGTH:
        return summary
    return summary[: SUMMARY_LENGTH - 1] + "…"


@register.simple_tag(takes_context=True)
def resource_hash_cell(context: template.Context, resource_hash: str) -> str:
    """A resource's hash, and its name and ARN while a reveal of the scan lasts: a tag rather
    than an included template, as it renders once per row."""
    cell = format_html(
        '<code title="{0}" data-copy="{0}">{1}</code>',
        resource_hash,
        Truncator(resource_hash).chars(17),
    )
    who = identity_of(context.get("identities"), resource_hash)
    if not who:
        return cell
    name = format_html("<strong>{}</strong> ", who.name) if who.name else ""
    return format_html(
        '{}<span class="identity">{}<code class="arn">{}</code></span>', cell, name, who.arn
    )


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
def identity_of(identities: dict[str, Identity] | None, resource_hash: str) -> Identity | None:
    """The revealed (or stored) identity of a hash on this page, or None."""
    return identities.get(resource_hash) if identities else None
