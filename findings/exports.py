"""Deterministic, streamed exports of a scan's findings: JSON, CSV and Markdown.

Each exporter yields text chunks, so a web response and a file write share one code path and
memory stays flat however many findings a scan has. The same scan exports byte-identical files:
keys are sorted, findings come in the selector's total order, timestamps are UTC ISO 8601.
"""

import io
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.db.models import Count, QuerySet

from advice.prompts import SECTIONS as ADVICE_SECTIONS
from advice.render import markdown_neutralised
from advice.selectors import AdviceLookup
from findings.columns import EXPORTED_COLUMNS, JSON_COLUMNS
from findings.compliance import compliance_summary
from findings.models import Finding
from findings.ocsf import CONTENT_TYPE as OCSF_CONTENT_TYPE
from findings.ocsf import FILE_EXTENSION as OCSF_FILE_EXTENSION
from findings.ocsf import export_ocsf
from findings.report_html import CONTENT_TYPE as HTML_CONTENT_TYPE
from findings.report_html import export_html
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
    yield '{"scan":' + _dumps(scan_summary(scan)) + ',"findings":['
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


def _md_cell(value: Any) -> str:
    text = value if isinstance(value, str) else _dumps(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_compliance(scan: Scan) -> Iterator[str]:
    frameworks = compliance_summary(scan=scan)
    if not frameworks:
        return
    yield (
        "## Compliance\n\n"
        "Share of evaluated findings that pass, over the whole scan.\n\n"
        "| Framework | Rules | Pass | Fail | Not evaluated | Passing |\n|---|---|---|---|---|---|\n"
    )
    for tally in frameworks:
        name = f"{tally.name} v{tally.version}" if tally.version else tally.name
        percent = f"{tally.percent} %" if tally.percent is not None else "n/a"
        yield (
            f"| {_md_cell(name)} | {len(tally.rule_ids)} | {tally.passed} | {tally.failed} | "
            f"{tally.not_evaluated} | {percent} |\n"
        )
    yield "\n"


def _md_advice(pieces: dict[str, dict[str, Any]]) -> Iterator[str]:
    """The distinct advice of one rule's failing findings, below the rule's table."""
    for piece in pieces.values():
        if piece["source"] == "model":
            origin = f"Remediation advice written by {piece['model']} at {piece['generated_at']}."
        else:
            origin = "Remediation: the rule catalog's curated advice."
        # The advice's own headings sit one level below the rule's.
        body = ("\n" + markdown_neutralised(piece["markdown"])).replace("\n### ", "\n#### ")
        yield f"\n_{origin}_\n{body}"


def export_markdown(scan: Scan, findings: QuerySet[Finding]) -> Iterator[str]:
    """A report: summary, compliance table, then the findings by severity, then by rule."""
    summary = scan_summary(scan)
    failing = summary["failing_by_severity"]
    counts = ", ".join(f"{name} {failing.get(name, 0)}" for name in Severity.values)
    muted = summary.get("muted_failing_by_severity", {})
    muted_line = (
        "- Muted failing findings, left out of the counts above: "
        + ", ".join(f"{name} {count}" for name, count in muted.items() if count)
        + "\n"
        if muted
        else ""
    )
    groups = Counter()
    for row in findings.order_by().values("severity", "rule_id").annotate(count=Count("id")):
        groups[row["severity"]] += row["count"]
        groups[row["severity"], row["rule_id"]] = row["count"]
    yield (
        f"# SecureScope scan of account {summary['account']}\n\n"
        "## Summary\n\n"
        f"- Scan: `{summary['id']}`\n"
        f"- Status: {summary['status']}\n"
        f"- Regions: {', '.join(summary['regions'])}\n"
        f"- Started: {summary['created_at']}, finished: {summary['finished_at']}\n"
        f"- Failing findings by severity: {counts or 'none'}\n"
        f"{muted_line}"
        f"- Findings in this report: {sum(groups[s] for s in Severity.values)}\n"
        f"- Rules disabled (not evaluated): {', '.join(summary['disabled_rules']) or 'none'}\n\n"
    )
    yield from _md_compliance(scan)
    ordered = findings.annotate(report_rank=Severity.rank_expression()).order_by(
        "report_rank", "rule_id", "region", "resource_type", "resource_hash"
    )
    advice = AdviceLookup(scan.id)
    # Distinct advice of the current rule's failing findings, keyed by its text.
    rule_advice: dict[str, dict[str, Any]] = {}
    severity = rule_id = None
    for finding in ordered.iterator(chunk_size=CHUNK_SIZE):
        # A blank line ends the previous table before the next heading.
        gap = "\n" if rule_id else ""
        if rule_id and (finding.severity != severity or finding.rule_id != rule_id):
            yield from _md_advice(rule_advice)
            rule_advice = {}
        if finding.severity != severity:
            severity, rule_id = finding.severity, None
            yield f"{gap}## {Severity(severity).label} ({groups[severity]})\n\n"
            gap = ""
        if finding.rule_id != rule_id:
            rule_id = finding.rule_id
            yield (
                f"{gap}### {finding.rule_id}: {_md_cell(finding.title)} "
                f"({groups[severity, rule_id]})\n\n"
                "| Status | Region | Resource type | Resource hash | Evidence | Muted |\n"
                "|---|---|---|---|---|---|\n"
            )
        cells = (
            finding.status,
            finding.region,
            finding.resource_type,
            finding.resource_hash,
            finding.evidence,
            "muted" if getattr(finding, "muted", False) else "",
        )
        yield "| " + " | ".join(_md_cell(cell) for cell in cells) + " |\n"
        if finding.status == Finding.Status.FAIL:
            piece = advice.advice_for(rule_id=finding.rule_id, evidence=finding.evidence)
            rule_advice.setdefault(piece["markdown"], piece)
    yield from _md_advice(rule_advice)
    if severity is None:
        yield "No findings match the filters.\n"


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
