"""Saved accounts' schedules: one django-q2 Schedule row per enabled, scheduled account.

The rows are django-q2's own, so both shapes run them: a `qcluster` in production, the web
process's scheduler thread in the embedded mode (securescope/scheduler.py). Both skip the runs
missed while nothing ran (Q_CLUSTER's catch_up is off): after downtime an account is scanned
once, not once per missed slot.
"""

import hashlib
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django_q.models import Schedule

from scans.models import SavedAccount

SCHEDULE_TASK = "scans.tasks.scan_saved_account"


def schedule_name(account_id: int) -> str:
    return f"securescope: saved account {account_id}"


def jitter_offset(account: SavedAccount) -> timedelta:
    """This account's fixed offset, under `jitter_minutes`: accounts given the same time start
    spread over that window, and each keeps its place from one run to the next."""
    if not account.jitter_minutes:
        return timedelta(0)
    digest = hashlib.sha256(f"saved account {account.pk}".encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:4], "big") % (account.jitter_minutes * 60))


def next_run_after(account: SavedAccount, now: datetime) -> datetime:
    """The account's first run after `now`: its daily time (UTC) or `every_hours` from now,
    plus its jitter offset."""
    offset = jitter_offset(account)
    if account.schedule == SavedAccount.Schedule.INTERVAL:
        return now + timedelta(hours=account.every_hours or 1) + offset
    at = account.daily_at
    assert at is not None, "a daily schedule has a time"
    # From yesterday's slot: its offset may still lie ahead of `now`.
    candidate = (
        now.astimezone(UTC).replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
        - timedelta(days=1)
        + offset
    )
    while candidate <= now:
        candidate += timedelta(days=1)
    return candidate


def saved_account_schedule_sync(*, account: SavedAccount, now: datetime | None = None) -> None:
    """Make the account's Schedule row match it: created or moved when it is enabled and
    scheduled, deleted otherwise. Call it in the transaction that saved the account."""
    name = schedule_name(account.pk)
    if not account.enabled or account.schedule == SavedAccount.Schedule.NONE:
        Schedule.objects.filter(name=name).delete()
        return
    if account.schedule == SavedAccount.Schedule.DAILY:
        timing = {"schedule_type": Schedule.DAILY, "minutes": None}
    else:
        timing = {"schedule_type": Schedule.MINUTES, "minutes": (account.every_hours or 1) * 60}
    Schedule.objects.update_or_create(
        name=name,
        defaults={
            **timing,
            "func": SCHEDULE_TASK,
            # The id only: the task reads the rest from the row.
            "args": repr(account.pk),
            "kwargs": None,
            "cluster": "scans",
            "repeats": -1,
            "next_run": next_run_after(account, now or timezone.now()),
        },
    )
