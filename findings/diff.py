"""Compare two scans of one account by finding fingerprint.

- new:        fails in the later scan, did not fail in the earlier one nor in any scan before it
- regressed:  fails in the later scan, did not fail in the earlier one, but failed before that
- resolved:   failed in the earlier scan, does not fail in the later one
- unchanged:  fails in both

Rules and regions the two scans cannot be compared on (findings.comparison) are in none of
these: the diff names them, with the reason and how many findings failed there in each scan.

Compliance requirements change too: "newly failing" fails in the later scan and did not in the
earlier one, "now passing" the other way round, both judged on what the two scans can be
compared on (a rule off in either scan judges neither side).
"""

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, QuerySet

from findings.comparison import Comparison, scan_comparison
from findings.compliance import RequirementStatus
from findings.models import Finding
from findings.scan_scores import compliance_scores
from findings.selectors import EXPORT_ORDER
from scans.models import Scan
from securescope.csv_safety import csv_writer

CATEGORIES = ("new", "regressed", "resolved", "unchanged")


@dataclass(frozen=True)
class NotCompared:
    """A rule or region left out of the comparison, and what failed there in each scan."""

    kind: str
    name: str
    reason: str
    base_failing: int = 0
    head_failing: int = 0


@dataclass(frozen=True)
class RequirementChange:
    """A requirement whose status changed between the two scans."""

    framework: str
    requirement_id: str
    title: str
    before: str
    after: str
    failing: int


@dataclass(frozen=True)
class ScanDiff:
    base: Scan
    head: Scan
    findings: dict[str, QuerySet[Finding]]
    comparison: Comparison = field(default_factory=Comparison)
    severities: list[str] | None = None

    def requirement_changes(self) -> dict[str, list[RequirementChange]]:
        """Requirements "newly failing" and "now passing", framework by framework."""
        changes: dict[str, list[RequirementChange]] = {"newly failing": [], "now passing": []}
        scored = [
            compliance_scores(
                scan=scan,
                severities=self.severities,
                excluded=lambda tally: self.comparison.excludes(
                    rule_id=tally.rule_id, region=tally.region, resource_type=tally.resource_type
                ),
            )
            for scan in (self.base, self.head)
        ]
        before = {
            (score.label, requirement.id): requirement.status
            for score in scored[0]
            for requirement in score.requirements
        }
        for score in scored[1]:
            for requirement in score.requirements:
                was = before.get((score.label, requirement.id), RequirementStatus.MANUAL)
                now = requirement.status
                if RequirementStatus.FAIL in (was, now) and was != now:
                    kind = "newly failing" if now == RequirementStatus.FAIL else "now passing"
                    if kind == "now passing" and now != RequirementStatus.PASS:
                        continue
                    changes[kind].append(
                        RequirementChange(
                            score.label,
                            requirement.id,
                            requirement.title,
                            RequirementStatus(was).label,
                            now.label,
                            requirement.failing,
                        )
                    )
        return changes

    def not_compared(self) -> list[NotCompared]:
        """Excluded rules, then excluded regions (counting the findings of other rules)."""
        excluded = self.comparison.excluded()
        if excluded is None:
            return []
        rules: dict[str, list[int]] = {rule_id: [0, 0] for rule_id in self.comparison.rules}
        regions: dict[str, list[int]] = {region: [0, 0] for region in self.comparison.regions}
        for side, scan in enumerate((self.base, self.head)):
            rows = (
                Finding.objects.filter(scan_id=scan.id, status=Finding.Status.FAIL)
                .filter(excluded)
                .values("rule_id", "region", "resource_type")
                .annotate(count=Count("id"))
                .order_by()
            )
            for row in rows:
                if row["rule_id"] in rules:
                    rules[row["rule_id"]][side] += row["count"]
                    continue
                region = self.comparison.excluded_region(
                    region=row["region"], resource_type=row["resource_type"]
                )
                if region is not None:  # excluded by a rule or a region: one of the two
                    regions[region][side] += row["count"]
        return [
            *(
                NotCompared("rule", name, self.comparison.rules[name], *counts)
                for name, counts in sorted(rules.items())
            ),
            *(
                NotCompared("region", name, self.comparison.regions[name], *counts)
                for name, counts in sorted(regions.items())
            ),
        ]


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
    comparison = scan_comparison(base=base, head=head)
    excluded = comparison.excluded()
    if excluded is not None:
        head_failing = head_failing.exclude(excluded)
        base_failing = base_failing.exclude(excluded)
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
        comparison=comparison,
        severities=severities,
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
    writer = csv_writer(buffer)
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
    for kind, changed in diff.requirement_changes().items():
        yield f"\n## Requirements {kind} ({len(changed)})\n\n"
        if not changed:
            yield "None.\n"
            continue
        yield "| Framework | Requirement | Before | After | Failing |\n|---|---|---|---|---|\n"
        for change in changed:
            title = f"{change.requirement_id} {change.title}".strip().replace("|", "\\|")
            yield (
                f"| {change.framework} | {title} | {change.before} | {change.after} | "
                f"{change.failing or ''} |\n"
            )
    not_compared = diff.not_compared()
    if not_compared:
        yield (
            f"\n## Not compared ({len(not_compared)})\n\n"
            "Left out of every category above: their findings are neither new nor resolved.\n\n"
            "| Rule or region | Not compared | Failing before | Failing after |\n"
            "|---|---|---|---|\n"
        )
        for row in not_compared:
            yield (f"| {row.name} | {row.reason} | {row.base_failing} | {row.head_failing} |\n")
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
