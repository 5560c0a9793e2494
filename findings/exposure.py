"""Exposure paths as people read them: the failing path findings of each account's latest
succeeded scan, most severe first, each with its chain and the findings it is built from."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from findings.models import Finding
from findings.services import finding_fingerprint
from findings.tallies import Tally
from scans.models import Scan
from securescope.severity import Severity

# The catalog's service of path rules (rules/catalog/exposure.yaml).
PATH_SERVICE = "exposure"


@dataclass
class ExposurePath:
    finding: Finding
    scan: Scan
    chain: list[dict[str, Any]]
    # (link as the evidence names it, the finding it is in this scan, or None when it was not
    # stored: a rule switched off, or a region not scanned).
    built_from: list[tuple[dict[str, str], Finding | None]] = field(default_factory=list)


def latest_succeeded_scans(*, account_hash: str = "") -> list[Scan]:
    """Each account's latest succeeded scan (one account's when `account_hash` is given)."""
    succeeded = Scan.objects.filter(status=Scan.Status.SUCCEEDED)
    latest_id = (
        succeeded.filter(account_hash=OuterRef("account_hash")).order_by("-created_at").values("id")
    )
    latest = succeeded.filter(id=Subquery(latest_id[:1]))
    if account_hash:
        latest = latest.filter(account_hash=account_hash)
    return list(latest.order_by("account_label", "-created_at"))


def path_findings(
    *, scans: Iterable[Scan], region: str = "", severities: list[str] | None = None
) -> QuerySet[Finding]:
    findings = Finding.objects.filter(
        scan__in=list(scans), service=PATH_SERVICE, status=Finding.Status.FAIL
    )
    if severities is not None:
        findings = findings.filter(severity__in=severities)
    if region:
        findings = findings.filter(region=region)
    return findings.order_by(Severity.rank_expression(), "rule_id", "region", "resource_hash")


def exposure_paths(
    *, scans: list[Scan], region: str = "", severities: list[str] | None = None
) -> list[ExposurePath]:
    """The paths of `scans`, with their links resolved in two queries whatever their number."""
    by_id = {scan.id: scan for scan in scans}
    findings = list(path_findings(scans=scans, region=region, severities=severities))
    wanted = {
        (finding.scan_id, _fingerprint(link))
        for finding in findings
        for link in finding.evidence.get("built_from", [])
    }
    linked = {
        (found.scan_id, found.fingerprint): found
        for found in Finding.objects.filter(
            scan_id__in=list(by_id), fingerprint__in=[fingerprint for _, fingerprint in wanted]
        )
    }
    return [
        ExposurePath(
            finding=finding,
            scan=by_id[finding.scan_id],
            chain=finding.evidence.get("chain", []),
            built_from=[
                (link, linked.get((finding.scan_id, _fingerprint(link))))
                for link in finding.evidence.get("built_from", [])
            ],
        )
        for finding in findings
    ]


def _fingerprint(link: dict[str, str]) -> str:
    return finding_fingerprint(
        rule_id=link.get("rule", ""),
        resource_hash=link.get("resource", ""),
        region=link.get("region", ""),
    )


def reachable_resource_count(*, scan: Scan, tallies: list[Tally] | None = None) -> int:
    """Resources at the end of at least one failing path: reachable from the internet, with
    administrator, escalation or metadata-service credentials behind them. `tallies`: the
    closed scan's stored tallies, which name the path rules that failed: the count then reads
    those rules' findings alone instead of every failing finding of the scan."""
    findings = path_findings(scans=[scan])
    if tallies:
        failed_paths = {
            tally.rule_id
            for tally in tallies
            if tally.service == PATH_SERVICE and tally.status == Finding.Status.FAIL
        }
        if not failed_paths:
            return 0
        findings = findings.filter(rule_id__in=sorted(failed_paths))
    return findings.values("resource_hash").distinct().count()
