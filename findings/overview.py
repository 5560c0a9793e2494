"""What the home page shows: each account's latest succeeded scan, with its trend.

A partial, failed or cancelled scan lacks whole regions, so it never stands for the account
here: the account's card says a newer scan did not complete, and links to it. Every count
leaves out the findings that active mutes cover, and shows how many those are.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Subquery

from findings.charts import BarChart, TrendChart, severity_trend, value_bars
from findings.compliance import FrameworkScore
from findings.exposure import reachable_resource_count
from findings.models import Finding
from findings.scan_scores import closed_scans_scores, compliance_scores
from findings.selectors import AccountMutes, Change, MutedFilter, account_mutes
from findings.tallies import (
    RuleGroup,
    ScanCounts,
    by_severity,
    closed_scan_tallies,
)
from scans.models import Scan
from securescope.severity import Severity

TREND_LENGTH = 10
TOP_RULES = 5


@dataclass
class AccountOverview:
    # The latest succeeded scan; None while the account has none.
    scan: Scan | None
    # The latest finished scan when it is newer than `scan` and did not succeed.
    incomplete: Scan | None = None
    failing: list[tuple[str, int]] = field(default_factory=list)
    muted: list[tuple[str, int]] = field(default_factory=list)
    passed: int = 0
    failed: int = 0
    # Each CIS benchmark's newest version some rule maps, scored per requirement.
    cis: list[FrameworkScore] = field(default_factory=list)
    trend: list[tuple[Scan, int]] = field(default_factory=list)
    # The same scans' failing findings by severity, less what is muted now.
    trend_stacks: list[tuple[Scan, dict[str, int]]] = field(default_factory=list)
    # The same benchmarks' scores in the account's last scans, oldest first.
    score_trend: list[tuple[Scan, list[FrameworkScore]]] = field(default_factory=list)
    top_rules: list[RuleGroup] = field(default_factory=list)
    new_failing: int | None = None
    # Resources at the end of a failing exposure path (findings.exposure).
    exposed: int = 0

    @property
    def label(self) -> str:
        shown = self.scan or self.incomplete
        return shown.account_label if shown else ""

    @property
    def muted_total(self) -> int:
        return sum(count for _, count in self.muted)

    @property
    def disabled_rules(self) -> int:
        return len(self.scan.rule_settings.get("disabled", [])) if self.scan else 0

    @property
    def pass_rate(self) -> int | None:
        decided = self.passed + self.failed
        return round(100 * self.passed / decided) if decided else None

    @property
    def severity_chart(self) -> BarChart:
        return value_bars([(severity, count, severity) for severity, count in self.failing])

    @property
    def trend_chart(self) -> TrendChart:
        points = [(scan, scan.created_at, counts) for scan, counts in self.trend_stacks]
        return severity_trend(points)

    @property
    def benchmark_chart(self) -> BarChart:
        return value_bars(
            [(score.short_label, score.percent or 0, score) for score in self.cis], key="percent"
        )


def _latest(scans, account_hashes=None) -> list[Scan]:
    latest_id = (
        scans.filter(account_hash=OuterRef("account_hash")).order_by("-created_at").values("id")
    )
    latest = scans.filter(id=Subquery(latest_id[:1]))
    if account_hashes is not None:
        latest = latest.filter(account_hash__in=account_hashes)
    return list(latest.order_by("-created_at"))


def _trend(
    scans: list[Scan], severities: list[str], mutes: AccountMutes
) -> list[tuple[Scan, dict[str, int]]]:
    """Failing findings of the account's last scans by severity, oldest first, less what is
    muted now."""
    muted: dict = defaultdict(int)
    if mutes.condition is not None:
        for row in (
            Finding.objects.filter(
                mutes.condition,
                scan__in=scans,
                status=Finding.Status.FAIL,
                severity__in=severities,
            )
            .values("scan_id", "severity")
            .annotate(count=Count("id"))
            .order_by()
        ):
            muted[row["scan_id"], row["severity"]] = row["count"]
    return [
        (
            scan,
            {s: scan.severity_counts.get(s, 0) - muted[scan.id, s] for s in severities},
        )
        for scan in reversed(scans)
    ]


def _benchmarks(scores: list[FrameworkScore]) -> list[FrameworkScore]:
    """The newest version of each versioned framework, the CIS benchmarks (scores come oldest
    version first; Security Hub controls have no version)."""
    newest = {score.framework_id: score for score in scores if score.version}
    return list(newest.values())


def _score_trend(
    scans: list[Scan], severities: list[str]
) -> list[tuple[Scan, list[FrameworkScore]]]:
    """Benchmark scores of the account's last scans that stored tallies, oldest first."""
    tallied = [scan for scan in scans if scan.finding_counts]
    scores = closed_scans_scores(scans=tallied, severities=severities)
    return [(scan, _benchmarks(scores[scan.id])) for scan in reversed(tallied)]


def _account_overview(scan: Scan, history: list[Scan], severities: list[str]) -> AccountOverview:
    stored = closed_scan_tallies(scan=scan) if scan.finding_counts else []
    mutes = account_mutes(account_hash=scan.account_hash)
    counts = ScanCounts(
        scan,
        {"severities": severities, "muted": MutedFilter.INCLUDE},
        stored=stored,
        mutes=mutes,
    )
    everything = counts.by_key()
    muted = counts.muted_by_key()
    failing = {
        key: count - muted[key]
        for key, count in everything.items()
        if key[2] == Finding.Status.FAIL and count > muted[key]
    }
    muted_failing = by_severity(
        {key: count for key, count in muted.items() if key[2] == Finding.Status.FAIL}
    )
    failing_by_severity = by_severity(failing)
    # Pass rate and benchmarks judge the account, muted findings included: a mute accepts a
    # risk, it does not make the control pass.
    groups = counts.rule_groups(everything)
    top = [group for group in counts.rule_groups(failing) if group.failing][:TOP_RULES]
    stacks = _trend(history, severities, mutes)
    overview = AccountOverview(
        scan=scan,
        failing=[(s, failing_by_severity[s]) for s in Severity.values if s in severities],
        muted=[(s, muted_failing[s]) for s in Severity.values if muted_failing[s]],
        passed=sum(group.passing for group in groups),
        failed=sum(group.failing for group in groups),
        cis=_benchmarks(
            compliance_scores(
                scan=scan, severities=severities, tallies=stored if scan.finding_counts else None
            )
        ),
        trend=[(each, sum(counts.values())) for each, counts in stacks],
        trend_stacks=stacks,
        score_trend=_score_trend(history, severities),
        top_rules=top,
        exposed=reachable_resource_count(scan=scan, tallies=stored),
    )
    if len(history) > 1:
        overview.new_failing = ScanCounts(
            scan,
            {"severities": severities, "status": Finding.Status.FAIL, "change": Change.NEW},
            stored=stored,
            mutes=mutes,
        ).total()
    return overview


def account_overviews(*, severities: list[str]) -> list[AccountOverview]:
    """One entry per account, newest first; counts restricted to `severities`."""
    finished = Scan.objects.filter(status__in=Scan.TERMINAL_STATUSES)
    succeeded = finished.filter(status=Scan.Status.SUCCEEDED)
    latest_finished = {scan.account_hash: scan for scan in _latest(finished)}
    if not latest_finished:
        return []
    latest = {scan.account_hash: scan for scan in _latest(succeeded)}
    history: dict[str, list[Scan]] = defaultdict(list)
    for older in succeeded.filter(account_hash__in=list(latest)).order_by("-created_at"):
        if len(history[older.account_hash]) < TREND_LENGTH:
            history[older.account_hash].append(older)
    overviews = []
    for account_hash, newest in latest_finished.items():
        scan = latest.get(account_hash)
        overview = (
            _account_overview(scan, history[account_hash], severities)
            if scan
            else AccountOverview(scan=None)
        )
        if newest.status != Scan.Status.SUCCEEDED:
            overview.incomplete = newest
        overviews.append(overview)
    return overviews
