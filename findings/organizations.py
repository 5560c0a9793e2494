"""An organization scan rolled up: each account's failing findings by severity, worst first,
its trend, and the accounts whose role could not be assumed; with its CSV and JSON exports.

Counts leave out the findings that each account's active mutes cover, as the overview does.
The page reads a constant number of queries however many accounts the organization has: the
run, its scans, the accounts' earlier scans, their mutes, and the muted counts of them all.
"""

import io
import json
import math
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from findings.charts import TrendChart, severity_trend
from findings.models import Finding, Mute
from findings.selectors import active_mutes, mutes_condition
from scans.models import OrganizationRun, Scan
from securescope.csv_safety import csv_writer
from securescope.severity import Severity

TREND_LENGTH = 10
# A heat map cell's shade: 0 for none, then up to this many steps of the column's largest count.
HEAT_LEVELS = 4
CSV_FIELDS = ("scan_id", "account", "status", *Severity.values, "muted_failing", "not_assumed")


@dataclass
class AccountRow:
    scan: Scan
    # Failing findings by severity, less what is muted now, most severe first.
    failing: list[tuple[str, int]]
    muted: int
    # The account's succeeded scans up to this one, oldest first, failing by severity.
    trend: list[tuple[Scan, dict[str, int]]] = field(default_factory=list)
    # (severity, count, heat level) per cell of the heat map.
    cells: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def failing_total(self) -> int:
        return sum(count for _, count in self.failing)

    @property
    def trend_chart(self) -> TrendChart:
        return severity_trend([(scan, scan.created_at, counts) for scan, counts in self.trend])


@dataclass
class OrganizationRollup:
    run: OrganizationRun
    severities: list[str]
    accounts: list[AccountRow]

    @property
    def not_assumed(self) -> list[dict[str, str]]:
        return self.run.not_assumed

    @property
    def starting(self) -> bool:
        return self.run.status == OrganizationRun.Status.STARTING

    @property
    def finished(self) -> bool:
        return not self.starting and all(row.scan.is_finished for row in self.accounts)


def organization_run_list() -> QuerySet[OrganizationRun]:
    return OrganizationRun.objects.annotate(scan_count=Count("scans")).order_by("-created_at")


def organization_rollup(*, run_id: uuid.UUID | str, severities: list[str]) -> OrganizationRollup:
    run = get_object_or_404(OrganizationRun, id=run_id)
    scans = list(run.scans.order_by("account_label", "id"))
    history = _history(scans)
    muted = _muted_counts([*scans, *(s for older in history.values() for s in older)])
    shown = [s for s in Severity.values if s in severities]
    rows = []
    for scan in scans:
        counts = _failing(scan, muted, shown)
        trend = [(older, _failing(older, muted, shown)) for older in history[scan.account_hash]]
        rows.append(
            AccountRow(
                scan=scan,
                failing=list(counts.items()),
                muted=sum(muted[scan.id, s] for s in shown),
                trend=list(reversed(trend)),
            )
        )
    # Worst first: the most critical findings, then high, and so on; then by account.
    rows.sort(key=lambda row: ([-count for _, count in row.failing], row.scan.account_label))
    _shade(rows, shown)
    return OrganizationRollup(run=run, severities=shown, accounts=rows)


def _history(scans: list[Scan]) -> dict[str, list[Scan]]:
    """Each account's last succeeded scans up to its scan in the run, newest first."""
    newest = {scan.account_hash: scan.created_at for scan in scans}
    history: dict[str, list[Scan]] = defaultdict(list)
    older = Scan.objects.filter(
        account_hash__in=list(newest), status=Scan.Status.SUCCEEDED
    ).order_by("-created_at")
    if newest:
        older = older.filter(created_at__lte=max(newest.values()))
    for scan in older:
        kept = history[scan.account_hash]
        if scan.created_at <= newest[scan.account_hash] and len(kept) < TREND_LENGTH:
            kept.append(scan)
    return history


def _muted_counts(scans: list[Scan]) -> dict[tuple[Any, str], int]:
    """(scan id, severity) -> failing findings that the account's active mutes cover."""
    by_account: dict[str, list[uuid.UUID]] = defaultdict(list)
    for scan in scans:
        by_account[scan.account_hash].append(scan.id)
    rows_by_account: dict[str, list[tuple[str, str]]] = defaultdict(list)
    every_account = reduce(
        or_, (active_mutes(account_hash=h) for h in by_account), Mute.objects.none()
    )
    for account_hash, rule_id, fingerprint in every_account.values_list(
        "account_hash", "rule_id", "fingerprint"
    ):
        rows_by_account[account_hash].append((rule_id, fingerprint))
    counts: dict[tuple[Any, str], int] = defaultdict(int)
    condition = Q()
    for account_hash, rows in rows_by_account.items():
        covered = mutes_condition(rows)
        if covered is not None:
            condition |= Q(scan_id__in=by_account[account_hash]) & covered
    if not rows_by_account:
        return counts
    found = (
        Finding.objects.filter(condition, status=Finding.Status.FAIL)
        .values_list("scan_id", "severity")
        .annotate(count=Count("id"))
        .order_by()
    )
    for scan_id, severity, count in found:
        counts[scan_id, severity] = count
    return counts


def _failing(scan: Scan, muted: dict[tuple[Any, str], int], severities: list[str]) -> dict:
    return {s: scan.severity_counts.get(s, 0) - muted[scan.id, s] for s in severities}


def _shade(rows: list[AccountRow], severities: list[str]) -> None:
    """Each cell's heat level, against the largest count of its severity in the run."""
    largest = {s: max((dict(row.failing)[s] for row in rows), default=0) for s in severities}
    for row in rows:
        row.cells = [
            (s, count, math.ceil(HEAT_LEVELS * count / largest[s]) if count else 0)
            for s, count in row.failing
        ]


def _account_record(row: AccountRow) -> dict[str, Any]:
    return {
        "scan_id": str(row.scan.id),
        "account": row.scan.account_label,
        "status": row.scan.status,
        "failing_by_severity": dict(row.failing),
        "muted_failing": row.muted,
    }


def rollup_json(rollup: OrganizationRollup) -> str:
    """The roll-up as JSON: sorted keys, accounts worst first, the same bytes for the same
    run and mutes."""
    document = {
        "organization_run": {
            "id": str(rollup.run.id),
            "account": rollup.run.account_label,
            "role_name": rollup.run.role_name,
            "regions": rollup.run.regions,
            "created_at": rollup.run.created_at.isoformat().replace("+00:00", "Z"),
        },
        "accounts": [_account_record(row) for row in rollup.accounts],
        "not_assumed": rollup.not_assumed,
    }
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def rollup_csv(rollup: OrganizationRollup) -> Iterator[str]:
    """One row per scanned account, worst first, then one per account not assumed."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(CSV_FIELDS)
    for row in rollup.accounts:
        failing = dict(row.failing)
        writer.writerow(
            [
                str(row.scan.id),
                row.scan.account_label,
                row.scan.status,
                *(failing.get(s, "") for s in Severity.values),
                row.muted,
                "",
            ]
        )
    for account in rollup.not_assumed:
        writer.writerow(
            ["", account["account"], "", *("" for _ in Severity.values), "", account["reason"]]
        )
    yield buffer.getvalue()
