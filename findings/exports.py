"""Deterministic, streamed exports of a scan's findings: JSON, CSV and Markdown.

Each exporter yields text chunks, so a web response and a file write share one code path and
memory stays flat however many findings a scan has. The same scan exports byte-identical files:
keys are sorted, findings come in the selector's total order, timestamps are UTC ISO 8601.
"""

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import QuerySet

from advice.selectors import AdviceLookup
from findings.models import Finding
from scans.models import Scan

FINDING_FIELDS = (
    "rule_id",
    "title",
    "service",
    "severity",
    "status",
    "region",
    "resource_type",
    "resource_hash",
    "evidence",
    "compliance",
)
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}
ADVICE_FIELDS = ("source", "model", "generated_at", "markdown")
CHUNK_SIZE = 2000


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _timestamp(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def scan_summary(scan: Scan) -> dict[str, Any]:
    return {
        "id": str(scan.id),
        "account": scan.account_label,
        "status": scan.status,
        "regions": sorted(scan.regions),
        "created_at": _timestamp(scan.created_at),
        "finished_at": _timestamp(scan.finished_at),
        "failing_by_severity": scan.severity_counts,
        # Rules an operator switched off were not evaluated in this scan.
        "disabled_rules": scan.rule_settings.get("disabled", []),
    }


def finding_record(finding: Finding, advice: AdviceLookup) -> dict[str, Any]:
    """The finding's exported fields; a failing one carries its advice (model or curated)."""
    record = {name: getattr(finding, name) for name in FINDING_FIELDS}
    if finding.status == Finding.Status.FAIL:
        record["advice"] = advice.advice_for(rule_id=finding.rule_id, evidence=finding.evidence)
    return record


def export_json(scan: Scan, findings: QuerySet[Finding]) -> Iterator[str]:
    advice = AdviceLookup(scan.id)
    yield '{"scan":' + _dumps(scan_summary(scan)) + ',"findings":['
    separator = "\n"
    for finding in findings.iterator(chunk_size=CHUNK_SIZE):
        yield separator + _dumps(finding_record(finding, advice))
        separator = ",\n"
    yield "\n]}\n"


def export_csv(scan: Scan, findings: QuerySet[Finding]) -> Iterator[str]:
    advice = AdviceLookup(scan.id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*FINDING_FIELDS, *(f"advice_{name}" for name in ADVICE_FIELDS)])
    for finding in findings.iterator(chunk_size=CHUNK_SIZE):
        record = finding_record(finding, advice)
        finding_advice = record.get("advice", {})
        writer.writerow(
            [
                *(
                    _dumps(record[name]) if name in ("evidence", "compliance") else record[name]
                    for name in FINDING_FIELDS
                ),
                *(finding_advice.get(name) or "" for name in ADVICE_FIELDS),
            ]
        )
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _md_cell(value: Any) -> str:
    text = value if isinstance(value, str) else _dumps(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def export_markdown(scan: Scan, findings: QuerySet[Finding]) -> Iterator[str]:
    summary = scan_summary(scan)
    counts = ", ".join(f"{name} {count}" for name, count in scan.failing_counts)
    yield (
        f"# SecureScope scan of account {summary['account']}\n\n"
        f"- Scan: `{summary['id']}`\n"
        f"- Status: {summary['status']}\n"
        f"- Regions: {', '.join(summary['regions'])}\n"
        f"- Started: {summary['created_at']}, finished: {summary['finished_at']}\n"
        f"- Failing findings by severity: {counts or 'none'}\n"
        f"- Rules disabled (not evaluated): {', '.join(summary['disabled_rules']) or 'none'}\n\n"
        "| Status | Severity | Rule | Title | Region | Resource type | Resource hash | Evidence |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    advice = AdviceLookup(scan.id)
    # Distinct advice per rule, in first-seen order: one section per kind of failure, not per
    # finding. Bounded by the number of (rule, evidence shape) pairs, not by findings.
    advice_by_rule: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for finding in findings.iterator(chunk_size=CHUNK_SIZE):
        if finding.status == Finding.Status.FAIL:
            finding_advice = advice.advice_for(rule_id=finding.rule_id, evidence=finding.evidence)
            advice_by_rule.setdefault((finding.rule_id, finding.title), {}).setdefault(
                finding_advice["markdown"], finding_advice
            )
        cells = (
            finding.status,
            finding.severity,
            finding.rule_id,
            finding.title,
            finding.region,
            finding.resource_type,
            finding.resource_hash,
            finding.evidence,
        )
        yield "| " + " | ".join(_md_cell(cell) for cell in cells) + " |\n"
    if advice_by_rule:
        yield "\n## Remediation advice\n"
    for (rule_id, title), pieces in advice_by_rule.items():
        yield f"\n### {rule_id}: {title}\n"
        for piece in pieces.values():
            if piece["source"] == "model":
                origin = f"Written by {piece['model']} at {piece['generated_at']}."
            else:
                origin = "Curated remediation from the rule catalog."
            # The advice's own headings sit one level below the rule's.
            body = piece["markdown"].replace("\n### ", "\n#### ")
            body = "#" + body if body.startswith("### ") else body
            yield f"\n_{origin}_\n\n{body}"


EXPORTERS: dict[str, Callable[[Scan, QuerySet[Finding]], Iterator[str]]] = {
    "json": export_json,
    "csv": export_csv,
    "md": export_markdown,
}
