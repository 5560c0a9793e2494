import heapq
from datetime import datetime
from statistics import mean

from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_q.models import Schedule

from scans.collection.permissions import scan_permission_record
from scans.lifecycle.schedules import schedule_name
from scans.models import SavedAccount, Scan, ScanRegion
from securescope.resources import GLOBAL_REGION

# Earlier units read to learn how long each region takes; the most recent of each region wins.
HISTORY_ROWS = 500


def scan_list(*, status: str = "", account_hash: str = "", source: str = "") -> QuerySet[Scan]:
    scans = Scan.objects.select_related("created_by").order_by("-created_at")
    for name, value in (("status", status), ("account_hash", account_hash), ("source", source)):
        if value:
            scans = scans.filter(**{name: value})
    return scans


def account_choices() -> list[tuple[str, str]]:
    """(account hash, masked label) of every scanned account, by label."""
    rows = Scan.objects.values_list("account_hash", "account_label").distinct()
    return sorted(set(rows), key=lambda row: (row[1], row[0]))


def scan_get(*, scan_id: object) -> Scan:
    return get_object_or_404(Scan.objects.select_related("created_by", "saved_account"), id=scan_id)


def scan_region_list(*, scan_id: object) -> QuerySet[ScanRegion]:
    """The account-wide unit first, then the regions by name."""
    return (
        ScanRegion.objects.filter(scan_id=scan_id)
        .annotate(
            is_not_global=Case(
                When(region=GLOBAL_REGION, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("is_not_global", "region")
    )


def units_with_time_left(*, scan: Scan, units: list[ScanRegion]) -> list[ScanRegion]:
    """The units, each unfinished one with `seconds_left` until it ends; None where that
    cannot be told. `scan_seconds_left` reads the scan's figure off them, so the two agree.

    A unit is expected to take as long as its region took in the account's most recent scan
    that finished it (regions differ far more from each other, one holding the clusters and
    another nothing, than the same region does from one scan to the next); a region never
    finished before is expected to take the mean of this scan's finished regions. A running
    unit has that less what it has run; pending ones wait for the next unit to end, as many
    running side by side as run now. The scan ends when its last unit does.
    """
    open_units = [unit for unit in units if unit.status not in ScanRegion.TERMINAL_STATUSES]
    expected = _expected_seconds(scan, units, {unit.region for unit in open_units})
    for unit in units:
        unit.seconds_left = None
    now = timezone.now()
    running = [unit for unit in open_units if unit.status == ScanRegion.Status.RUNNING]
    for unit in running:
        if unit.region in expected:
            ran = (now - unit.started_at).total_seconds() if unit.started_at else 0.0
            unit.seconds_left = max(0, round(expected[unit.region] - ran))
    if any(unit.region not in expected for unit in open_units):
        return units
    # When each of the side-by-side lanes frees up; pending units take the earliest.
    lanes = [unit.seconds_left for unit in running] or [0] * len(open_units)
    heapq.heapify(lanes)
    for unit in open_units:
        if unit.status != ScanRegion.Status.RUNNING:
            unit.seconds_left = heapq.heappop(lanes) + round(expected[unit.region])
            heapq.heappush(lanes, unit.seconds_left)
    return units


def scan_seconds_left(*, units: list[ScanRegion]) -> int | None:
    """When the scan's last unit ends, by the figures units_with_time_left gave the units;
    None while one of them cannot be told, or once none is left."""
    left = [unit.seconds_left for unit in units if unit.status not in ScanRegion.TERMINAL_STATUSES]
    if not left or None in left:
        return None
    return max(left)


def _expected_seconds(scan: Scan, units: list[ScanRegion], regions: set[str]) -> dict[str, float]:
    """Region -> seconds its unit is expected to take, for the regions that can be told."""
    if not regions:
        return {}
    earlier = (
        ScanRegion.objects.filter(
            scan__account_hash=scan.account_hash,
            region__in=regions,
            status=ScanRegion.Status.SUCCEEDED,
            started_at__isnull=False,
            finished_at__isnull=False,
        )
        .exclude(scan_id=scan.id)
        .order_by("-finished_at")
        .values_list("region", "started_at", "finished_at")[:HISTORY_ROWS]
    )
    expected: dict[str, float] = {}
    for region, started_at, finished_at in earlier:
        expected.setdefault(region, (finished_at - started_at).total_seconds())
    finished_here = [
        (unit.finished_at - unit.started_at).total_seconds()
        for unit in units
        if unit.status == ScanRegion.Status.SUCCEEDED
        and not unit.is_global
        and unit.started_at
        and unit.finished_at
    ]
    if finished_here:
        for region in regions - expected.keys() - {GLOBAL_REGION}:
            expected[region] = mean(finished_here)
    return expected


def recent_scan_seconds(*, limit: int = 10) -> float | None:
    """The longest of the last finished scans, to judge whether credentials will outlive one."""
    rows = Scan.objects.filter(finished_at__isnull=False).order_by("-created_at")[:limit]
    durations = [(scan.finished_at - scan.created_at).total_seconds() for scan in rows]
    return max(durations) if durations else None


def scan_denied_actions(*, scan: Scan, units: list[ScanRegion]) -> list[str]:
    """Actions denied so far: the scan's record once it is finalized; while it runs, what the
    policy check at its start found, updated by the units that have ended."""
    if scan.is_finished:
        record = scan.minimal_permissions
    else:
        ended = [unit.permissions for unit in units if unit.status in ScanRegion.TERMINAL_STATUSES]
        record = scan_permission_record(found_at_start=scan.minimal_permissions, per_unit=ended)
    return sorted(action for action, status in record.items() if status == "denied")


def saved_account_list() -> QuerySet[SavedAccount]:
    """The saved accounts, each with its latest scan's id, status and start."""
    latest = Scan.objects.filter(saved_account=OuterRef("pk")).order_by("-created_at")
    return SavedAccount.objects.annotate(
        last_scan_id=Subquery(latest.values("id")[:1]),
        last_scan_status=Subquery(latest.values("status")[:1]),
        last_scan_at=Subquery(latest.values("created_at")[:1]),
    ).order_by("label", "id")


def saved_account_get(*, account_id: object) -> SavedAccount:
    return get_object_or_404(SavedAccount, id=account_id)


def saved_account_scans(*, account_id: int, limit: int = 20) -> QuerySet[Scan]:
    return Scan.objects.filter(saved_account_id=account_id).order_by("-created_at")[:limit]


def saved_account_scan_running(*, account_id: int) -> bool:
    return Scan.objects.filter(
        saved_account_id=account_id, status__in=(Scan.Status.PENDING, Scan.Status.RUNNING)
    ).exists()


def saved_account_next_run(*, account_id: int) -> datetime | None:
    """When its schedule runs it next (with its jitter), or None when it is not scheduled."""
    return (
        Schedule.objects.filter(name=schedule_name(account_id))
        .values_list("next_run", flat=True)
        .first()
    )
