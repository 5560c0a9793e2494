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


def finding_record(finding: Finding) -> dict[str, Any]:
    return {name: getattr(finding, name) for name in FINDING_FIELDS}


def export_json(scan: Scan, findings: QuerySet[Finding]) -> Iterator[str]:
    yield '{"scan":' + _dumps(scan_summary(scan)) + ',"findings":['
    separator = "\n"
    for finding in findings.iterator(chunk_size=CHUNK_SIZE):
        yield separator + _dumps(finding_record(finding))
        separator = ",\n"
    yield "\n]}\n"


def export_csv(scan: Scan, findings: QuerySet[Finding]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FINDING_FIELDS)
    for finding in findings.iterator(chunk_size=CHUNK_SIZE):
        record = finding_record(finding)
        writer.writerow(
            _dumps(record[name]) if name in ("evidence", "compliance") else record[name]
            for name in FINDING_FIELDS
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
    for finding in findings.iterator(chunk_size=CHUNK_SIZE):
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


EXPORTERS: dict[str, Callable[[Scan, QuerySet[Finding]], Iterator[str]]] = {
    "json": export_json,
    "csv": export_csv,
    "md": export_markdown,
}
