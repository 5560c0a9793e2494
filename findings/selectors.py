from django.db.models import Count, QuerySet

from findings.models import Finding, Severity


def finding_list(
    *, scan_id: object, severities: list[str] | None = None, status: str | None = None
) -> QuerySet[Finding]:
    """A scan's findings in the export order: rule, region, resource type, resource hash."""
    findings = Finding.objects.filter(scan_id=scan_id)
    if severities:
        findings = findings.filter(severity__in=severities)
    if status:
        findings = findings.filter(status=status)
    return findings.order_by("rule_id", "region", "resource_type", "resource_hash")


def failing_severity_counts(*, scan_id: object) -> dict[str, int]:
    """Failing findings by severity, every severity present (zero when none)."""
    rows = (
        Finding.objects.filter(scan_id=scan_id, status=Finding.Status.FAIL)
        .values("severity")
        .annotate(count=Count("id"))
    )
    counts = dict.fromkeys(Severity.values, 0)
    counts.update({row["severity"]: row["count"] for row in rows})
    return counts
