"""Compare two scans of one account by finding fingerprint.

- new:        fails in the later scan, did not fail in the earlier one nor in any scan before it
- regressed:  fails in the later scan, did not fail in the earlier one, but failed before that
- resolved:   failed in the earlier scan, does not fail in the later one
- unchanged:  fails in both
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from findings.models import Finding
from findings.selectors import EXPORT_ORDER
from scans.models import Scan

CATEGORIES = ("new", "regressed", "resolved", "unchanged")


@dataclass(frozen=True)
class ScanDiff:
    base: Scan
    head: Scan
    findings: dict[str, QuerySet[Finding]]


def _failing(scan_ids: QuerySet | list) -> Exists:
    return Exists(
        Finding.objects.filter(
            scan_id__in=scan_ids, fingerprint=OuterRef("fingerprint"), status=Finding.Status.FAIL
        )
    )


def scan_diff(*, base: Scan, head: Scan, severities: list[str] | None = None) -> ScanDiff:
    """The four categories as querysets in export order; `base` is the earlier scan."""
    if base.account_hash != head.account_hash:
        raise ValueError("Scans of different accounts cannot be compared")
    if base.created_at > head.created_at:
        base, head = head, base
    older = Scan.objects.filter(account_hash=base.account_hash, created_at__lt=base.created_at)
    head_failing = Finding.objects.filter(scan_id=head.id, status=Finding.Status.FAIL)
    base_failing = Finding.objects.filter(scan_id=base.id, status=Finding.Status.FAIL)
    if severities is not None:
        head_failing = head_failing.filter(severity__in=severities)
        base_failing = base_failing.filter(severity__in=severities)
    appeared = head_failing.exclude(_failing([base.id]))
    findings = {
        "new": appeared.exclude(_failing(older.values("id"))),
        "regressed": appeared.filter(_failing(older.values("id"))),
        "resolved": base_failing.exclude(_failing([head.id])),
        "unchanged": head_failing.filter(_failing([base.id])),
    }
    return ScanDiff(
        base=base,
        head=head,
        findings={name: qs.order_by(*EXPORT_ORDER) for name, qs in findings.items()},
    )


CHANGE_FIELDS = (
    "change",
    "rule_id",
    "title",
    "severity",
    "region",
    "resource_type",
    "resource_hash",
)


def export_diff_csv(diff: ScanDiff) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CHANGE_FIELDS)
    for category in CATEGORIES:
        for finding in diff.findings[category].iterator(chunk_size=2000):
            writer.writerow([category, *(getattr(finding, name) for name in CHANGE_FIELDS[1:])])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


def export_diff_markdown(diff: ScanDiff) -> Iterator[str]:
    base, head = diff.base, diff.head
    counts = {category: diff.findings[category].count() for category in CATEGORIES}
    yield (
        f"# Change report for account {head.account_label}\n\n"
        f"- From scan `{base.id}` ({base.created_at:%Y-%m-%d %H:%M} UTC)\n"
        f"- To scan `{head.id}` ({head.created_at:%Y-%m-%d %H:%M} UTC)\n"
        + "".join(f"- {category.capitalize()}: {counts[category]}\n" for category in CATEGORIES)
    )
    for category in CATEGORIES:
        yield f"\n## {category.capitalize()} ({counts[category]})\n\n"
        if not counts[category]:
            yield "None.\n"
            continue
        yield "| Severity | Rule | Title | Region | Resource type | Resource hash |\n"
        yield "|---|---|---|---|---|---|\n"
        for finding in diff.findings[category].iterator(chunk_size=2000):
            cells = (
                finding.severity,
                finding.rule_id,
                finding.title.replace("|", "\\|"),
                finding.region,
                finding.resource_type,
                finding.resource_hash,
            )
            yield "| " + " | ".join(cells) + " |\n"


DIFF_EXPORTERS = {"csv": export_diff_csv, "md": export_diff_markdown}
