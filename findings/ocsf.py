"""A scan's findings as OCSF 1.2.0 Detection Finding events (class 2004), one JSON object a line.

JSON Lines rather than one array: SIEMs and data lakes (Security Lake, Splunk, Elastic) ingest
newline-delimited events, and a stream of lines keeps memory flat at any scan size. The export is
deterministic like the others: keys sorted, findings in the selector's order, the event time is
the scan's finish time (OCSF `timestamp_t`: milliseconds since the epoch).

Every field is mapped in the README's OCSF table. The Detection Finding class has no `compliance`
attribute (only Compliance Finding has), so a finding's framework mapping travels in `unmapped`
as OCSF `compliance` objects; the schema test validates each event with unknown attributes
refused.
"""

import json
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from django.db.models import QuerySet

from findings.models import Finding
from rules.loading import load_catalog
from rules.schema import Rule
from scans.models import Scan
from securescope.frameworks import get_framework, version_mappings

OCSF_VERSION = "1.2.0"
CATEGORY_UID, CATEGORY_NAME = 2, "Findings"
CLASS_UID, CLASS_NAME = 2004, "Detection Finding"
ACTIVITY_CREATE = 1
SEVERITY_IDS = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
SEVERITY_CAPTIONS = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
# A muted finding was reviewed and accepted; every other one is new to whoever ingests it.
STATUS_NEW, STATUS_SUPPRESSED = (1, "New"), (3, "Suppressed")
CONTENT_TYPE = "application/x-ndjson"
FILE_EXTENSION = "ocsf.jsonl"
CHUNK_SIZE = 2000


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _product_version() -> str:
    try:
        return version("securescope")
    except PackageNotFoundError:
        return "unknown"


def _epoch_ms(value: Any) -> int | None:
    return int(value.timestamp() * 1000) if value else None


def _compliance(mapping: dict[str, Any]) -> list[dict[str, Any]]:
    """One OCSF `compliance` object per framework the rule is mapped to."""
    objects = []
    for framework_id in sorted(mapping):
        framework = get_framework(framework_id)
        entry = mapping[framework_id]
        label = framework.label if framework else framework_id
        if framework is not None and not framework.versioned:
            objects.append({"standards": [label], "requirements": [str(item) for item in entry]})
            continue
        for framework_version, sections in version_mappings(entry):
            standard = f"{label} v{framework_version}"
            objects.append({"standards": [standard], "requirements": sections})
    return objects


def _remediation(rule: Rule | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {
        "desc": f"Console: {rule.remediation.console} CLI: {rule.remediation.cli}",
        "references": list(rule.references),
    }


def ocsf_event(
    finding: Finding, *, scan: Scan, rule: Rule | None, product_version: str
) -> dict[str, Any]:
    """One finding as an OCSF Detection Finding event."""
    severity_id = SEVERITY_IDS[finding.severity]
    muted = bool(getattr(finding, "muted", False))
    status_id, status = STATUS_SUPPRESSED if muted else STATUS_NEW
    event: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": CATEGORY_NAME,
        "class_uid": CLASS_UID,
        "class_name": CLASS_NAME,
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": f"{CLASS_NAME}: Create",
        "severity_id": severity_id,
        "severity": SEVERITY_CAPTIONS[severity_id],
        "status_id": status_id,
        "status": status,
        "status_code": finding.status,
        "time": _epoch_ms(scan.finished_at or scan.created_at),
        "message": finding.title,
        "metadata": {
            "version": OCSF_VERSION,
            "profiles": ["cloud"],
            "product": {
                "name": "SecureScope",
                "vendor_name": "SecureScope",
                "version": product_version,
            },
        },
        "cloud": {"provider": "AWS", "region": finding.region},
        "finding_info": {
            "uid": finding.fingerprint,
            "title": finding.title,
            "product_uid": finding.rule_id,
        },
        "resources": [
            {
                "type": finding.resource_type,
                "uid": finding.resource_hash,
                "region": finding.region,
            }
        ],
        "unmapped": {
            "scan_id": str(scan.id),
            "account": scan.account_label,
            "rule_id": finding.rule_id,
            "service": finding.service,
            "result": finding.status,
            "muted": muted,
            "evidence": finding.evidence,
            "compliance": _compliance(finding.compliance),
        },
    }
    if rule is not None:
        event["finding_info"]["desc"] = rule.rationale
    remediation = _remediation(rule)
    if remediation is not None:
        event["remediation"] = remediation
    return event


def export_ocsf(scan: Scan, findings: QuerySet[Finding]) -> Iterator[str]:
    rules = {rule.id: rule for rule in load_catalog().rules}
    product_version = _product_version()
    for finding in findings.iterator(chunk_size=CHUNK_SIZE):
        event = ocsf_event(
            finding, scan=scan, rule=rules.get(finding.rule_id), product_version=product_version
        )
        yield _dumps(event) + "\n"
