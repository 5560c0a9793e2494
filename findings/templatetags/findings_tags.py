import json
from collections.abc import Callable, Iterable
from typing import Any

from django import template
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from findings.identifiers import Identity
from findings.models import Finding
from findings.tallies import RuleGroup
from findings.triage import ResourceRow
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
    return _hash_cell(context.get("identities"), resource_hash)


def _hash_cell(identities: dict[str, Identity] | None, resource_hash: str) -> str:
    cell = format_html(
        '<code title="{0}" data-copy="{0}">{1}</code>',
        resource_hash,
        Truncator(resource_hash).chars(17),
    )
    who = identity_of(identities, resource_hash)
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


# Never a rule id (those are upper case) nor a finding id: stands for one in a reversed URL.
_RULE_PLACEHOLDER = "rule-id"
_FINDING_PLACEHOLDER = "0"
_RULE_GROUP_BODY = (
    '<tbody class="rule-group" data-rule="{rule}">\n'
    "      <tr>\n"
    '        <td><input type="checkbox" name="rule" value="{rule}" form="bulk"'
    ' aria-label="Select every finding of {rule} shown"></td>\n'
    '        <td><button type="button" class="expand small secondary" aria-expanded="false"'
    ' aria-controls="rows-{rule}" data-expands="rows-{rule}" hx-get="{rows_url}?{query}"'
    ' hx-target="#rows-{rule} td" hx-trigger="click once"><span class="visually-hidden">'
    'Findings of {rule}</span><span aria-hidden="true" class="chevron"></span></button></td>\n'
    '        <td><span class="sev {severity}">{severity}</span></td>\n'
    "        <td><strong>{rule}</strong><br>{title}</td>\n"
    '        <td class="number">{failing}</td>\n'
    '        <td class="number">{passing}</td>\n'
    '        <td class="number">{not_evaluated}</td>\n'
    "      </tr>\n"
    '      <tr class="rule-rows" id="rows-{rule}" hidden><td colspan="7"><p class="hint">'
    "Loading…</p></td></tr>\n"
    "    </tbody>\n    "
)


@register.simple_tag
def rule_group_bodies(
    groups: Iterable[RuleGroup], scan_id: object, filter_query: str
) -> SafeString:
    """One table body per rule of the grouped findings view. A page holds one per failing rule
    (over a hundred on a real account), and a tag renders them at a fraction of a template
    loop's cost; the rows' URL is reversed once."""
    rows_url = reverse("findings:rule", args=[scan_id, _RULE_PLACEHOLDER])
    return format_html_join(
        "",
        _RULE_GROUP_BODY,
        (
            {
                "rule": group.rule_id,
                "rows_url": rows_url.replace(_RULE_PLACEHOLDER, group.rule_id),
                "query": filter_query,
                "severity": group.severity,
                "title": group.title,
                "failing": localize(group.failing),
                "passing": localize(group.passing),
                "not_evaluated": localize(group.not_evaluated),
            }
            for group in groups
        ),
    )


_MUTED_TAG = SafeString(' <span class="muted-tag">muted</span>')


def _detail_url() -> Callable[[int], str]:
    """A finding's page address by its id, from one reverse() for a whole page of rows."""
    before, _, after = reverse("findings:detail", args=[_FINDING_PLACEHOLDER]).rpartition(
        _FINDING_PLACEHOLDER
    )
    return lambda finding_id: f"{before}{finding_id}{after}"


_FINDING_ROW = (
    "<tr>\n"
    '        <td><input type="checkbox" name="finding" value="{id}" form="bulk"'
    ' aria-label="Select {rule} on {short_hash}"></td>\n'
    '        <td><span class="result {status}">{status}</span>{muted}</td>\n'
    '        <td><span class="sev {severity}">{severity}</span></td>\n'
    '        <td><a href="{url}"><strong>{rule}</strong></a><br>{title}</td>\n'
    "        <td>{service}</td>\n"
    "        <td>{region}</td>\n"
    "        <td>{type}</td>\n"
    '        <td class="hash">{hash_cell}</td>\n'
    '        <td class="evidence">{evidence}</td>\n'
    "      </tr>\n      "
)
_RULE_FINDING_ROW = (
    "<tr>\n"
    '      <td><input type="checkbox" name="finding" value="{id}" form="bulk"'
    ' aria-label="Select {rule} on {short_hash}"></td>\n'
    '      <td><a href="{url}"><span class="result {status}">{status}</span></a>{muted}</td>\n'
    "      <td>{region}</td>\n"
    "      <td>{type}</td>\n"
    '      <td class="hash">{hash_cell}</td>\n'
    '      <td class="evidence">{evidence}</td>\n'
    "    </tr>\n    "
)


def _finding_rows(row: str, context: template.Context, findings: Iterable[Finding]) -> SafeString:
    identities = context.get("identities")
    detail_url = _detail_url()
    return format_html_join(
        "",
        row,
        (
            {
                "id": finding.id,
                "rule": finding.rule_id,
                "short_hash": Truncator(finding.resource_hash).chars(13),
                "status": finding.status,
                "muted": _MUTED_TAG if getattr(finding, "muted", False) else "",
                "severity": finding.severity,
                "url": detail_url(finding.id),
                "title": finding.title,
                "service": finding.service,
                "region": finding.region,
                "type": finding.resource_type,
                "hash_cell": _hash_cell(identities, finding.resource_hash),
                "evidence": evidence_summary(finding.evidence),
            }
            for finding in findings
        ),
    )


@register.simple_tag(takes_context=True)
def finding_rows(context: template.Context, findings: Iterable[Finding]) -> SafeString:
    """The flat list's rows: a tag for the reason resource_rows is one."""
    return _finding_rows(_FINDING_ROW, context, findings)


@register.simple_tag(takes_context=True)
def rule_finding_rows(context: template.Context, findings: Iterable[Finding]) -> SafeString:
    """The rows of one rule unfolded in the grouped view (its rule and severity are the
    group's)."""
    return _finding_rows(_RULE_FINDING_ROW, context, findings)


_RESOURCE_ROW = (
    '<tr class="resource" data-resource="{hash}">\n'
    '        <td><input type="checkbox" name="resource" value="{key}" form="bulk"'
    ' aria-label="Select every finding of {type} {short_hash}"></td>\n'
    '        <td><span class="sev {worst}">{worst}</span></td>\n'
    '        <td class="hash">{type}<br>{hash_cell}</td>\n'
    "        <td>{region}</td>\n"
    '        <td class="number">{count}</td>\n'
    '        <td><ul class="resource-rules">{rules}</ul></td>\n'
    "      </tr>\n      "
)
_RESOURCE_RULE = (
    '<li><span class="sev {severity}">{severity}</span> <a href="{url}">{rule}</a>{status}{muted}'
    "</li>"
)


@register.simple_tag(takes_context=True)
def resource_rows(context: template.Context, resources: Iterable[ResourceRow]) -> SafeString:
    """One row per resource of the resource view, each listing its rules: a page shows a
    hundred resources and their findings, and a tag renders them at a fraction of a template
    loop's cost; the findings' URL is reversed once."""
    identities = context.get("identities")
    detail_url = _detail_url()
    return format_html_join(
        "",
        _RESOURCE_ROW,
        (
            {
                "hash": resource.resource_hash,
                "key": resource.key,
                "type": resource.resource_type,
                "short_hash": Truncator(resource.resource_hash).chars(13),
                "worst": resource.worst,
                "hash_cell": _hash_cell(identities, resource.resource_hash),
                "region": resource.region,
                "count": localize(resource.count),
                "rules": format_html_join(
                    "",
                    _RESOURCE_RULE,
                    (
                        {
                            "severity": finding.severity,
                            "url": detail_url(finding.id),
                            "rule": finding.rule_id,
                            "status": format_html(
                                ' <span class="result {0}">{0}</span>', finding.status
                            )
                            if finding.status != Finding.Status.FAIL
                            else "",
                            "muted": _MUTED_TAG if getattr(finding, "muted", False) else "",
                        }
                        for finding in resource.findings
                    ),
                ),
            }
            for resource in resources
        ),
    )
