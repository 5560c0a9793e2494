"""Scans that outlived their workers, and scans past their retention: failed, then deleted.

Run by django-q2 schedules on the `scans` cluster (see the 0005 migration), and the reaper also
on read by the scan pages, so the embedded mode (no qcluster) is covered too.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from advice.services import advice_unreferenced_delete
from findings.models import Finding
from scans.models import Scan, ScanRegion
from scans.services import scan_finalize_if_complete

logger = logging.getLogger(__name__)

STALLED_UNIT_ERROR = "The worker running this unit stopped answering; the unit was given up."
PURGE_SCAN_BATCH = 100
PURGE_FINDING_BATCH = 5000


def scan_units_reap(*, scan_id: uuid.UUID | str | None = None) -> int:
    """Fail units whose worker is gone, then end their scans (partial or failed).

    A running unit is given up SCAN_UNIT_DEADLINE_SECONDS after it started (longer than
    django-q2 lets a task run); a pending one once the scan's credentials must have expired,
    since it could no longer run. Scans whose units all ended but that were never closed (the
    database dropped out as the last unit finished) are closed too. Returns the units failed.
    """
    now = timezone.now()
    running_since = now - timedelta(seconds=settings.SCAN_UNIT_DEADLINE_SECONDS)
    pending_since = now - timedelta(seconds=settings.VAULT_TTL_SECONDS)
    open_scans = Scan.objects.filter(status=Scan.Status.RUNNING)
    if scan_id is not None:
        open_scans = open_scans.filter(id=scan_id)
    stalled = ScanRegion.objects.filter(scan__in=open_scans).filter(
        Q(status=ScanRegion.Status.RUNNING, started_at__lt=running_since)
        | Q(status=ScanRegion.Status.PENDING, scan__created_at__lt=pending_since)
    )
    touched = set(stalled.values_list("scan_id", flat=True))
    reaped = stalled.update(
        status=ScanRegion.Status.FAILED, error=STALLED_UNIT_ERROR, finished_at=now
    )
    unclosed = open_scans.exclude(
        scan_regions__status__in=[ScanRegion.Status.PENDING, ScanRegion.Status.RUNNING]
    )
    touched.update(unclosed.values_list("id", flat=True))
    for stalled_scan_id in touched:
        scan_finalize_if_complete(scan_id=stalled_scan_id)
    if reaped:
        logger.warning("Gave up %d scan units whose worker stopped answering", reaped)
    return reaped


@dataclass(frozen=True)
class PurgeResult:
    scans: int
    findings: int


def scans_purge(*, older_than: timedelta) -> PurgeResult:
    """Delete finished scans started before `older_than` ago, with their findings, in batches.

    Each batch is its own short transaction, so a purge of millions of findings never holds
    long locks against the dashboard.
    """
    cutoff = timezone.now() - older_than
    expired = Scan.objects.filter(created_at__lt=cutoff, status__in=Scan.TERMINAL_STATUSES)
    scans = findings = 0
    while batch := list(expired.values_list("id", flat=True)[:PURGE_SCAN_BATCH]):
        findings += _findings_delete(scan_ids=batch)
        with transaction.atomic():
            # The cascade only reaches the scans' units now: their findings are gone.
            scans += Scan.objects.filter(id__in=batch).delete()[1].get("scans.Scan", 0)
    # Cached advice that only the purged scans pointed at goes with them.
    advice_unreferenced_delete()
    logger.info("Purged %d scans and %d findings older than %s", scans, findings, cutoff)
    return PurgeResult(scans=scans, findings=findings)


def _findings_delete(*, scan_ids: list[uuid.UUID]) -> int:
    deleted = 0
    of_scans = Finding.objects.filter(scan_id__in=scan_ids)
    while ids := list(of_scans.values_list("id", flat=True)[:PURGE_FINDING_BATCH]):
        with transaction.atomic():
            deleted += Finding.objects.filter(id__in=ids).delete()[0]
    return deleted


def retention_purge() -> PurgeResult | None:
    """The scheduled purge: FINDINGS_RETENTION_DAYS, or nothing when it is 0."""
    if settings.FINDINGS_RETENTION_DAYS <= 0:
        return None
    return scans_purge(older_than=timedelta(days=settings.FINDINGS_RETENTION_DAYS))
