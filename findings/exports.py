"""Deterministic, streamed exports of a scan's findings: JSON and CSV here, the Markdown and
HTML reports and OCSF in their own modules.

Each exporter yields text chunks, so a web response and a file write share one code path and
memory stays flat however many findings a scan has. The same scan exports byte-identical files:
keys are sorted, findings come in the selector's total order, timestamps are UTC ISO 8601.
"""

import io
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.db.models import QuerySet

from advice.prompts import SECTIONS as ADVICE_SECTIONS
from advice.selectors import AdviceLookup
from findings.columns import EXPORTED_COLUMNS, JSON_COLUMNS
from findings.compliance import FrameworkScore
from findings.models import Finding
from findings.ocsf import CONTENT_TYPE as OCSF_CONTENT_TYPE
from findings.ocsf import FILE_EXTENSION as OCSF_FILE_EXTENSION
from findings.ocsf import export_ocsf
from findings.report_html import CONTENT_TYPE as HTML_CONTENT_TYPE
from findings.report_html import export_html, scan_coverage
from findings.report_markdown import export_markdown
from findings.scan_scores import compliance_scores
from findings.selectors import muted_failing_by_severity
from scans.models import Scan
from securescope.csv_safety import csv_writer
from securescope.severity import Severity

# A finding's exported columns, and whether an active mute covers it.
FINDING_FIELDS = (*EXPORTED_COLUMNS, "muted")
ADVICE_FIELDS = ("source", "model", "generated_at", "markdown")
# A revealed export only (the caller holds the identities): each finding's ARN and Name tag.
IDENTITY_FIELDS = ("resource_arn", "resource_name")
# A spreadsheet runs a cell that starts so as a formula; a Name tag is anyone's text.
CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# CSV gives each advice section a column of its own (advice_rationale, advice_remediation_cli...).
ADVICE_SECTION_COLUMNS = tuple(f"advice_{name}" for name in ADVICE_SECTIONS)
# Scan facts a CSV has no header section for: repeated on every row, so that any row, or a
# spreadsheet filtered down to a few, still says them; no comment line that parsers choke on.
CSV_SCAN_FIELDS = ("disabled_rules",)
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "ocsf": OCSF_CONTENT_TYPE,
    "html": HTML_CONTENT_TYPE,
}
CHUNK_SIZE = 2000


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _timestamp(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def scan_summary(scan: Scan) -> dict[str, Any]:
    """The scan's facts. Failing counts leave out the findings active mutes cover; only when
    some are muted does `muted_failing_by_severity` say how many, so a scan without mutes
    exports exactly as it did before mutes were counted."""
    summary = {
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
    # Counted when the scan closed: a running scan has no failing counts to take mutes from.
    muted = muted_failing_by_severity(scan=scan) if scan.severity_counts else {}
    if any(muted.values()):
        summary["failing_by_severity"] = {
            severity: scan.severity_counts.get(severity, 0) - muted[severity]
            for severity in Severity.values
        }
        summary["muted_failing_by_severity"] = muted
    return summary


def compliance_record(scores: list[FrameworkScore]) -> list[dict[str, Any]]:
    """Each framework scored per requirement; `findings_pass_percent` is the secondary,
    resource-weighted figure."""
    return [
        {
            "framework": score.framework_id,
            "name": score.name,
            "version": score.version,
            "score_percent": score.percent,
            "summary": score.summary,
            "passed": score.passed,
            "failed": score.failed,
            "not_evaluated": score.not_evaluated,
            "manual": score.manual,
            "findings_pass_percent": score.findings.percent if score.findings else None,
            "requirements": [
                {
                    "id": requirement.id,
                    "title": requirement.title,
                    "level": requirement.level,
                    "status": requirement.status.value,
                    "failing": requirement.failing,
                    "rules": requirement.rule_ids,
                    "reason": requirement.reason,
                }
                for requirement in score.requirements
            ],
        }
        for score in scores
    ]


def scan_record(scan: Scan) -> dict[str, Any]:
    """The JSON export's `scan` object: the summary, each framework scored per requirement,
    and what the scan could not see (the permission ledger, NOT_EVALUATED reasons by rule,
    region errors, warnings), all over the whole scan whatever the findings' filters."""
    coverage = scan_coverage(scan, Finding.objects.filter(scan_id=scan.id))
    return {
        **scan_summary(scan),
        "compliance": compliance_record(compliance_scores(scan=scan)),
        "permissions": {"denied": coverage["denied"], "unavailable": coverage["unavailable"]},
        "not_evaluated": coverage["not_evaluated"],
        "region_errors": [
            {"region": region, "error": error} for region, error in coverage["region_errors"]
        ],
        "warnings": [
            {"region": region, "warning": warning} for region, warning in coverage["warnings"]
        ],
    }


def finding_record(finding: Finding, advice: AdviceLookup) -> dict[str, Any]:
    """One finding as exported; `muted` is True when an active mute covers it. A failing one
    carries its advice, the model's or the catalog's curated one (`source` says which), as
    Markdown and by section."""
    record = {name: getattr(finding, name, False) for name in FINDING_FIELDS}
    if finding.status == Finding.Status.FAIL:
        record["advice"] = advice.advice_for(rule_id=finding.rule_id, evidence=finding.evidence)
    return record


def identity_record(finding: Finding, identities: Mapping[str, Any]) -> dict[str, str | None]:
    """`resource_arn` and `resource_name` of a revealed export; None for a resource not found."""
    identity = identities.get(finding.resource_hash)
    if identity is None:
        return dict.fromkeys(IDENTITY_FIELDS)
    return {"resource_arn": identity.arn, "resource_name": identity.name}


def _csv_text(value: str | None) -> str:
    text = value or ""
    return f"'{text}" if text.startswith(CSV_FORMULA_PREFIXES) else text


def export_json(
    scan: Scan, findings: QuerySet[Finding], *, identities: Mapping[str, Any] | None = None
) -> Iterator[str]:
    advice = AdviceLookup(scan.id)
    yield '{"scan":' + _dumps(scan_record(scan)) + ',"findings":['
    separator = "\n"
    for finding in findings.iterator(chunk_size=CHUNK_SIZE):
        record = finding_record(finding, advice)
        if identities is not None:
            record.update(identity_record(finding, identities))
        yield separator + _dumps(record)
        separator = ",\n"
    yield "\n]}\n"


def export_csv(
    scan: Scan, findings: QuerySet[Finding], *, identities: Mapping[str, Any] | None = None
) -> Iterator[str]:
    advice = AdviceLookup(scan.id)
    summary = scan_summary(scan)
    scan_cells = [_dumps(summary[name]) for name in CSV_SCAN_FIELDS]
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(
        [
            *FINDING_FIELDS,
            *(f"advice_{name}" for name in ADVICE_FIELDS),
            *ADVICE_SECTION_COLUMNS,
            *(f"scan_{name}" for name in CSV_SCAN_FIELDS),
            *(IDENTITY_FIELDS if identities is not None else ()),
        ]
    )
    for finding in findings.iterator(chunk_size=CHUNK_SIZE):
        record = finding_record(finding, advice)
        finding_advice = record.get("advice", {})
        identity_cells = (
            [_csv_text(value) for value in identity_record(finding, identities).values()]
            if identities is not None
            else []
        )
        sections = finding_advice.get("sections") or {}
        writer.writerow(
            [
                *(
                    _dumps(record[name]) if name in JSON_COLUMNS else record[name]
                    for name in FINDING_FIELDS
                ),
                *(finding_advice.get(name) or "" for name in ADVICE_FIELDS),
                *(sections.get(name, "") for name in ADVICE_SECTIONS),
                *scan_cells,
                *identity_cells,
            ]
        )
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


EXPORTERS: dict[str, Callable[[Scan, QuerySet[Finding]], Iterator[str]]] = {
    "json": export_json,
    "csv": export_csv,
    "md": export_markdown,
    "ocsf": export_ocsf,
    "html": export_html,
}
# Revealed exports, called with `identities=`: the formats with a field per value.
REVEALED_EXPORTERS: dict[str, Callable[..., Iterator[str]]] = {
    "json": export_json,
    "csv": export_csv,
}
# A download's file extension where it is not the format's name.
FILE_EXTENSIONS = {"ocsf": OCSF_FILE_EXTENSION}
