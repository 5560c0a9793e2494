"""Scans past their retention: deleted with their findings and the advice only they used.

Run daily by a django-q2 schedule (findings.tasks.purge_expired_scans): on the `scans` cluster in
production, by the web process's scheduler in the embedded mode; and by `manage.py purge`.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from advice.services import advice_unreferenced_delete
from findings.models import Finding
from scans.models import Scan

logger = logging.getLogger(__name__)

PURGE_SCAN_BATCH = 100
PURGE_FINDING_BATCH = 5000


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
