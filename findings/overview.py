"""What the home page shows: the latest finished scan of each account, with its trend."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Subquery

from findings.compliance import ComplianceTally, compliance_summary
from findings.models import Finding
from findings.selectors import previous_scan
from scans.models import Scan
from securescope.severity import Severity

TREND_LENGTH = 10
TOP_RULES = 5


@dataclass
class AccountOverview:
    scan: Scan
    failing: list[tuple[str, int]]
    passed: int = 0
    failed: int = 0
    cis: list[ComplianceTally] = field(default_factory=list)
    trend: list[tuple[Scan, int]] = field(default_factory=list)
    top_rules: list[dict] = field(default_factory=list)
    new_failing: int | None = None

    @property
    def pass_rate(self) -> int | None:
        decided = self.passed + self.failed
        return round(100 * self.passed / decided) if decided else None

    @property
    def trend_max(self) -> int:
        return max((count for _, count in self.trend), default=0) or 1

    @property
    def trend_bars(self) -> list[dict]:
        """Bar geometry for the inline SVG chart (a 100 x 30 viewBox)."""
        width = 100 / TREND_LENGTH
        bars = []
        for index, (scan, count) in enumerate(self.trend):
            height = round(28 * count / self.trend_max, 1)
            bars.append(
                {
                    "scan": scan,
                    "count": count,
                    "x": round(index * width + 1, 1),
                    "y": round(30 - height, 1),
                    "width": round(width - 2, 1),
                    "height": height,
                }
            )
        return bars


def account_overviews(*, severities: list[str]) -> list[AccountOverview]:
    """One entry per account, newest scan first; counts restricted to `severities`."""
    finished = Scan.objects.filter(status__in=Scan.TERMINAL_STATUSES)
    latest_id = (
        finished.filter(account_hash=OuterRef("account_hash")).order_by("-created_at").values("id")
    )
    latest = list(finished.filter(id=Subquery(latest_id[:1])).order_by("-created_at"))
    if not latest:
        return []
    history: dict[str, list[Scan]] = defaultdict(list)
    for scan in finished.filter(account_hash__in=[s.account_hash for s in latest]).order_by(
        "-created_at"
    ):
        if len(history[scan.account_hash]) < TREND_LENGTH:
            history[scan.account_hash].append(scan)
    status_counts: dict = defaultdict(dict)
    for row in (
        Finding.objects.filter(scan__in=latest, severity__in=severities)
        .values("scan_id", "status")
        .annotate(count=Count("id"))
        .order_by()
    ):
        status_counts[row["scan_id"]][row["status"]] = row["count"]
    overviews = []
    for scan in latest:
        failing = [(s, scan.severity_counts.get(s, 0)) for s in Severity.values if s in severities]
        overview = AccountOverview(
            scan=scan,
            failing=failing,
            passed=status_counts[scan.id].get(Finding.Status.PASS, 0),
            failed=status_counts[scan.id].get(Finding.Status.FAIL, 0),
            cis=[
                tally
                for tally in compliance_summary(scan_id=scan.id, severities=severities)
                if tally.name.startswith("CIS")
            ],
            trend=[
                (old, sum(old.severity_counts.get(s, 0) for s in severities))
                for old in reversed(history[scan.account_hash])
            ],
            top_rules=list(
                Finding.objects.filter(
                    scan=scan, status=Finding.Status.FAIL, severity__in=severities
                )
                .values("rule_id", "title", "severity")
                .annotate(count=Count("id"))
                .order_by("-count", "rule_id")[:TOP_RULES]
            ),
        )
        before = previous_scan(scan=scan)
        if before is not None:
            overview.new_failing = (
                Finding.objects.filter(
                    scan=scan, status=Finding.Status.FAIL, severity__in=severities
                )
                .exclude(
                    Exists(
                        Finding.objects.filter(
                            scan=before,
                            fingerprint=OuterRef("fingerprint"),
                            status=Finding.Status.FAIL,
                        )
                    )
                )
                .count()
            )
        overviews.append(overview)
    return overviews
