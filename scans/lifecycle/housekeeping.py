"""Scans that outlived their workers: their units failed, then the scans closed; and
organization runs whose background start died, failed with the units it had not queued.

Run every five minutes by a django-q2 schedule (see the 0005 migration): on the `scans` cluster
in production, by the web process's scheduler in the embedded mode (securescope/scheduler.py).
The scan pages also reap on read.
"""

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from scans.collection.vault import vault_delete
from scans.lifecycle.services import scan_fail_unstarted, scan_finalize_if_complete
from scans.models import OrganizationRun, Scan, ScanRegion

logger = logging.getLogger(__name__)

STALLED_UNIT_ERROR = "The worker running this unit stopped answering; the unit was given up."
UNSTARTED_SCAN_ERROR = (
    "The demo account never came up (its process stopped); the scan was given up."
)
STALLED_START_ERROR = (
    "The worker starting this organization's accounts stopped answering; the accounts it had "
    "not started were given up."
)
UNQUEUED_UNIT_ERROR = "The organization's start stopped before this unit was queued."


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
    if scan_id is None:
        organization_starts_reap(since=running_since)
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
    _scans_never_started_fail(scan_id=scan_id, since=running_since)
    if reaped:
        logger.warning("Gave up %d scan units whose worker stopped answering", reaped)
    return reaped


def _scans_never_started_fail(*, scan_id: uuid.UUID | str | None, since) -> None:
    """A demo scan still waiting for its server long after it was created lost the process
    that was starting it."""
    waiting = Scan.objects.filter(
        status=Scan.Status.PENDING, created_at__lt=since, scan_regions__isnull=True
    )
    if scan_id is not None:
        waiting = waiting.filter(id=scan_id)
    for waiting_id in waiting.values_list("id", flat=True):
        scan_fail_unstarted(scan_id=waiting_id, error=UNSTARTED_SCAN_ERROR)


def organization_starts_reap(*, since: datetime) -> int:
    """Fail the organization runs still starting since before `since` (a start task runs no
    longer than a unit): their keys are deleted, and the units of the members they started,
    never queued, fail, so those scans close. Returns the runs failed."""
    stalled = OrganizationRun.objects.filter(
        status=OrganizationRun.Status.STARTING, created_at__lt=since
    ).values_list("id", flat=True)
    failed = 0
    for run_id in stalled:
        with transaction.atomic():
            # Locked, as the start task locks it to queue the units: one of the two wins.
            run = OrganizationRun.objects.select_for_update().get(id=run_id)
            if run.status != OrganizationRun.Status.STARTING:
                continue
            run.status = OrganizationRun.Status.FAILED
            run.error = STALLED_START_ERROR
            run.save(update_fields=["status", "error"])
            ScanRegion.objects.filter(
                scan__organization_run=run, status=ScanRegion.Status.PENDING
            ).update(
                status=ScanRegion.Status.FAILED,
                error=UNQUEUED_UNIT_ERROR,
                finished_at=timezone.now(),
            )
        vault_delete(scan_id=run_id)
        for member_id in run.scans.filter(status=Scan.Status.RUNNING).values_list("id", flat=True):
            scan_finalize_if_complete(scan_id=member_id)
        failed += 1
    if failed:
        logger.warning("Gave up %d organization starts whose worker stopped answering", failed)
    return failed
