from statistics import mean

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from scans.collection.permissions import scan_permission_record
from scans.models import Scan, ScanRegion
from securescope.resources import GLOBAL_REGION


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
    return get_object_or_404(Scan.objects.select_related("created_by"), id=scan_id)


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


def scan_seconds_left(*, units: list[ScanRegion]) -> int | None:
    """A rough estimate for the progress page: finished units' mean duration, spread over the
    units running side by side. None until one unit has finished, or once none is left."""
    durations = [
        (unit.finished_at - unit.started_at).total_seconds()
        for unit in units
        if unit.finished_at and unit.started_at
    ]
    left = [unit for unit in units if unit.status not in ScanRegion.TERMINAL_STATUSES]
    if not durations or not left:
        return None
    running = sum(unit.status == ScanRegion.Status.RUNNING for unit in left)
    return round(mean(durations) * len(left) / max(1, running))


def units_with_time_left(*, scan: Scan, units: list[ScanRegion], history: int = 500) -> list:
    """The units, each unfinished one with `seconds_left`: how long its region took in the
    account's most recent scan that finished it, less how long it has been running. None where
    the account never finished that region before (or the unit has ended).

    Regions differ far more from each other (one holds the clusters, another nothing) than the
    same region does from one scan to the next, so the region's own history is the estimate.
    """
    open_regions = {unit.region for unit in units if unit.status not in unit.TERMINAL_STATUSES}
    earlier = (
        ScanRegion.objects.filter(
            scan__account_hash=scan.account_hash,
            region__in=open_regions,
            status=ScanRegion.Status.SUCCEEDED,
            started_at__isnull=False,
            finished_at__isnull=False,
        )
        .exclude(scan_id=scan.id)
        .order_by("-finished_at")
        .values_list("region", "started_at", "finished_at")[:history]
    )
    took: dict[str, float] = {}
    for region, started_at, finished_at in earlier if open_regions else ():
        took.setdefault(region, (finished_at - started_at).total_seconds())
    now = timezone.now()
    for unit in units:
        unit.seconds_left = None
        if unit.region in open_regions and unit.region in took:
            ran = (now - unit.started_at).total_seconds() if unit.started_at else 0.0
            unit.seconds_left = max(0, round(took[unit.region] - ran))
    return units


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
