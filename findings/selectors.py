"""Read queries over findings and mutes: lists, one finding, its history and mutes, counts."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, models
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone

from findings.comparison import scan_comparison
from findings.models import Finding, FindingTally, Mute
from scans.models import Scan, ScanRegion
from securescope.severity import Severity


class Change(models.TextChoices):
    """How a failing finding compares with the previous scan of the same account."""

    NEW = "new", "New since the previous scan"
    UNCHANGED = "unchanged", "Failing in both scans"
    RESOLVED = "resolved", "Resolved since the previous scan"


class MutedFilter(models.TextChoices):
    HIDE = "", "Hide muted"
    INCLUDE = "include", "Include muted"
    ONLY = "only", "Only muted"


# Sortable columns; every order ends on the export order so pages never overlap.
SORT_KEYS = {
    "rule": ("rule_id",),
    "severity": ("severity_rank", "rule_id"),
    "status": ("status", "rule_id"),
    "service": ("service", "rule_id"),
    "region": ("region", "rule_id"),
    "resource_type": ("resource_type", "rule_id"),
    "title": ("title", "rule_id"),
}
EXPORT_ORDER = ("rule_id", "region", "resource_type", "resource_hash")
# What finding_list reads of a scan, a comparison with the previous one included.
COMPARED_FIELDS = ("id", "account_hash", "created_at", "status", "regions", "rule_settings")


def _earlier_succeeded(scan: Scan) -> QuerySet[Scan]:
    return Scan.objects.filter(
        account_hash=scan.account_hash, created_at__lt=scan.created_at, status=Scan.Status.SUCCEEDED
    ).order_by("-created_at")


def previous_scan(*, scan: Scan) -> Scan | None:
    """The last succeeded scan of the same account before this one.

    A partial, failed or cancelled scan lacks whole regions: compared with it, everything they
    held would read as resolved, and then as new again on the next good scan.
    """
    return _earlier_succeeded(scan).first()


def _previous_scan_and_marks(scan: Scan) -> tuple[Scan | None, bool]:
    """previous_scan, and whether `scan` marked its findings `is_new` against it when it
    closed: not when the previous scan changed since (deleted, or closed later)."""
    previous = (
        _earlier_succeeded(scan)
        .annotate(
            marked=Exists(
                FindingTally.objects.filter(scan_id=scan.id, compared_with=OuterRef("id"))
            )
        )
        .first()
    )
    return previous, bool(previous and previous.marked)


def incomplete_units(*, scan: Scan) -> list[ScanRegion]:
    """What a finished scan that did not succeed lacks: its units that did not succeed. No
    query for any other scan."""
    if not scan.is_finished or scan.status == Scan.Status.SUCCEEDED:
        return []
    return list(
        ScanRegion.objects.filter(scan_id=scan.id)
        .exclude(status=ScanRegion.Status.SUCCEEDED)
        .order_by("region")
    )


def default_scan() -> Scan | None:
    """The scan the findings page opens on: the latest succeeded one; the latest finished one
    (its page says what it lacks) only while no scan has succeeded."""
    finished = Scan.objects.filter(status__in=Scan.TERMINAL_STATUSES).order_by("-created_at")
    return finished.filter(status=Scan.Status.SUCCEEDED).first() or finished.first()


def active_mutes(*, account_hash: str) -> QuerySet[Mute]:
    return Mute.objects.filter(account_hash=account_hash, expires_at__gt=timezone.now())


@dataclass(frozen=True)
class AccountMutes:
    """An account's active mutes as a condition on findings, read once and handed to the
    queries of one request; `condition` is None when the account mutes nothing."""

    condition: Q | None


def account_mutes(*, account_hash: str) -> AccountMutes:
    return AccountMutes(muted_condition(account_hash))


def muted_condition(account_hash: str) -> Q | None:
    """The account's active mutes as a plain condition, None when there is none.

    Mutes are few (people write them), so one small query and an IN list keep the findings
    count an index scan, where a correlated EXISTS would probe the mutes once per finding.
    """
    return mutes_condition(
        active_mutes(account_hash=account_hash).values_list("rule_id", "fingerprint")
    )


def mutes_condition(rows: Iterable[tuple[str, str]]) -> Q | None:
    """(rule id, fingerprint) mutes as a condition on findings; an empty fingerprint mutes the
    whole rule. None when there is none."""
    rows = list(rows)
    whole_rules = {rule_id for rule_id, fingerprint in rows if not fingerprint}
    fingerprints = {fingerprint for _, fingerprint in rows if fingerprint}
    condition = None
    if whole_rules:
        condition = Q(rule_id__in=sorted(whole_rules))
    if fingerprints:
        by_fingerprint = Q(fingerprint__in=sorted(fingerprints))
        condition = by_fingerprint if condition is None else condition | by_fingerprint
    return condition


def _fails_in(scan_id: object) -> Exists:
    return Exists(
        Finding.objects.filter(
            scan_id=scan_id, fingerprint=OuterRef("fingerprint"), status=Finding.Status.FAIL
        )
    )


def finding_list(
    *,
    scan_id: object = None,
    scan: Scan | None = None,
    severities: list[str] | None = None,
    status: str | None = None,
    rule_ids: list[str] | None = None,
    service: str = "",
    region: str = "",
    resource_type: str = "",
    section: str = "",
    search: str = "",
    change: str = "",
    muted: str = MutedFilter.HIDE,
    sort: str = "",
    mutes: AccountMutes | None = None,
) -> QuerySet[Finding]:
    """A scan's findings, filtered, each annotated with `muted`; export order unless sorted.

    `severities=None` keeps every severity; an empty list keeps none.
    `section` is "<framework>:<section>" (cis_aws_foundations:5.2). `change` compares with the
    previous scan of the same account: "resolved" lists that scan's findings instead.
    """
    if scan is None:
        scan = Scan.objects.only(*COMPARED_FIELDS).get(id=scan_id)
    findings = Finding.objects.filter(scan_id=scan.id)
    if change:
        previous, marked = _previous_scan_and_marks(scan)
        if change == Change.RESOLVED:
            findings = (
                Finding.objects.filter(scan_id=previous.id, status=Finding.Status.FAIL).exclude(
                    _fails_in(scan.id)
                )
                if previous
                else Finding.objects.none()
            )
        else:
            findings = findings.filter(status=Finding.Status.FAIL)
            if marked:
                findings = findings.filter(is_new=change == Change.NEW)
            elif previous and change == Change.UNCHANGED:
                findings = findings.filter(_fails_in(previous.id))
            elif previous:
                findings = findings.exclude(_fails_in(previous.id))
            elif change == Change.UNCHANGED:
                findings = findings.none()
        # Rules and regions the two scans cannot be compared on are neither new nor resolved.
        excluded = scan_comparison(base=previous, head=scan).excluded() if previous else None
        if excluded is not None:
            findings = findings.exclude(excluded)
    if severities is not None:
        findings = findings.filter(severity__in=severities)
    if status:
        findings = findings.filter(status=status)
    if rule_ids:
        findings = findings.filter(rule_id__in=rule_ids)
    for name, value in (("service", service), ("region", region), ("resource_type", resource_type)):
        if value:
            findings = findings.filter(**{name: value})
    if section:
        framework, _, number = section.partition(":")
        if connection.vendor == "postgresql":
            # A rule maps one version as a mapping, or several as a list of them.
            findings = findings.filter(
                models.Q(**{f"compliance__{framework}__sections__contains": [number]})
                | models.Q(**{f"compliance__{framework}__contains": [{"sections": [number]}]})
            )
        else:
            # SQLite has no JSON containment; the mapping's JSON text holds the number quoted.
            findings = findings.filter(**{f"compliance__{framework}__icontains": f'"{number}"'})
    if search:
        findings = findings.filter(title__icontains=search)
    covered = (mutes or account_mutes(account_hash=scan.account_hash)).condition
    if covered is None:
        findings = findings.annotate(muted=Value(False, output_field=BooleanField()))
        if muted == MutedFilter.ONLY:
            findings = findings.none()
    else:
        findings = findings.annotate(muted=ExpressionWrapper(covered, output_field=BooleanField()))
        if muted == MutedFilter.HIDE:
            findings = findings.exclude(covered)
        elif muted == MutedFilter.ONLY:
            findings = findings.filter(covered)
    keys = SORT_KEYS.get(sort.lstrip("-"))
    if not keys:
        return findings.order_by(*EXPORT_ORDER)
    if keys[0] == "severity_rank":
        findings = findings.annotate(severity_rank=Severity.rank_expression())
    order = [*keys, *EXPORT_ORDER[1:]]
    # Descending reverses every key, so an index on the ascending order serves both directions.
    if sort.startswith("-"):
        order = [f"-{key}" for key in order]
    return findings.order_by(*order)


def muted_failing_by_severity(*, scan: Scan) -> dict[str, int]:
    """The scan's failing findings that active mutes cover, by severity; {} when none."""
    condition = muted_condition(scan.account_hash)
    if condition is None:
        return {}
    rows = (
        Finding.objects.filter(condition, scan_id=scan.id, status=Finding.Status.FAIL)
        .values_list("severity")
        .annotate(count=Count("id"))
        .order_by()
    )
    counts = dict(rows)
    return {severity: counts.get(severity, 0) for severity in Severity.values} if counts else {}


def finding_get(*, finding_id: int) -> Finding:
    return get_object_or_404(
        Finding.objects.select_related("scan", "scan__created_by"), id=finding_id
    )


def finding_history(*, finding: Finding) -> QuerySet[Finding]:
    """The same fingerprint in every scan of the account, newest first."""
    return (
        Finding.objects.filter(
            fingerprint=finding.fingerprint, scan__account_hash=finding.scan.account_hash
        )
        .select_related("scan")
        .only("id", "status", "severity", "scan__id", "scan__created_at", "scan__status")
        .order_by("-scan__created_at")
    )


def finding_mutes(*, finding: Finding) -> QuerySet[Mute]:
    """Active mutes that cover this finding."""
    return (
        active_mutes(account_hash=finding.scan.account_hash)
        .filter(Q(fingerprint=finding.fingerprint) | Q(fingerprint="", rule_id=finding.rule_id))
        .select_related("owner")
    )


def mute_list(*, include_expired: bool = False) -> QuerySet[Mute]:
    mutes = Mute.objects.select_related("owner", "created_by")
    if not include_expired:
        mutes = mutes.filter(expires_at__gt=timezone.now())
    return mutes.order_by("expires_at", "id")


def finding_counts(*, scan_id: object) -> dict[str, dict[str, int]]:
    """A scan's findings by status and severity, every pair present (zero when none)."""
    counts = {status: dict.fromkeys(Severity.values, 0) for status in Finding.Status.values}
    rows = (
        Finding.objects.filter(scan_id=scan_id)
        .values("status", "severity")
        .annotate(count=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["status"]][row["severity"]] = row["count"]
    return counts
