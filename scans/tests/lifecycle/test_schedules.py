"""Saved accounts' schedules, on a frozen clock: when they run, jitter, one scan at a time, and
no pile of runs after downtime."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django_q.models import Schedule

from scans.lifecycle.accounts import saved_account_create, saved_account_update
from scans.lifecycle.schedules import (
    SCHEDULE_TASK,
    jitter_offset,
    next_run_after,
    schedule_name,
)
from scans.lifecycle.selectors import saved_account_next_run
from scans.lifecycle.services import scan_wait
from scans.models import SavedAccount, Scan
from securescope.scheduler import schedules_run_due
from testing.factories import MEMBER_ROLE_ARN, create_saved_account, create_scan

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
DAILY = SavedAccount.Schedule.DAILY
INTERVAL = SavedAccount.Schedule.INTERVAL


def daily_account(at: time, jitter_minutes: int = 0) -> SavedAccount:
    return create_saved_account(schedule=DAILY, daily_at=at, jitter_minutes=jitter_minutes)


def test_daily_runs_at_its_next_time_today_or_tomorrow():
    assert next_run_after(daily_account(time(12, 30)), NOW) == NOW.replace(hour=12, minute=30)
    assert next_run_after(daily_account(time(3, 0)), NOW) == datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


def test_jitter_is_a_fixed_offset_under_its_bound_and_spreads_accounts():
    accounts = [daily_account(time(3, 0), jitter_minutes=30) for _ in range(8)]
    offsets = [jitter_offset(account) for account in accounts]
    assert all(timedelta(0) <= offset < timedelta(minutes=30) for offset in offsets)
    assert offsets == [jitter_offset(account) for account in accounts], "stable per account"
    assert len(set(offsets)) > 1, "accounts with the same time do not all start together"
    first = accounts[0]
    assert next_run_after(first, NOW) == datetime(2026, 12, 3, 3, 0, tzinfo=UTC) + offsets[0]


def test_yesterdays_slot_pushed_past_midnight_by_its_jitter_is_still_ahead():
    account = daily_account(time(23, 50), jitter_minutes=120)
    offset = jitter_offset(account)
    just_after_midnight = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    expected = datetime(2026, 12, 2, 23, 50, tzinfo=UTC) + offset
    if expected <= just_after_midnight:
        expected += timedelta(days=1)
    assert next_run_after(account, just_after_midnight) == expected


def test_every_n_hours_counts_from_now():
    account = create_saved_account(schedule=INTERVAL, every_hours=6)
    assert next_run_after(account, NOW) == NOW + timedelta(hours=6)


@time_machine.travel(NOW, tick=False)
def test_saving_keeps_one_schedule_row_in_step_with_the_account():
    fields = {"label": "prod", "role_arn": MEMBER_ROLE_ARN, "regions": []}
    account = saved_account_create(user=None, schedule=DAILY, daily_at=time(3, 0), **fields)
    row = Schedule.objects.get(name=schedule_name(account.pk))
    assert (row.func, row.args, row.cluster, row.schedule_type) == (
        SCHEDULE_TASK,
        repr(account.pk),
        "scans",
        Schedule.DAILY,
    )
    assert row.next_run == datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
    saved_account_update(account=account, schedule=INTERVAL, every_hours=4, daily_at=None)
    row = Schedule.objects.get(name=schedule_name(account.pk))
    assert (row.schedule_type, row.minutes, row.next_run) == (
        Schedule.MINUTES,
        240,
        NOW + timedelta(hours=4),
    )
    saved_account_update(account=account, enabled=False)
    assert not Schedule.objects.filter(name=schedule_name(account.pk)).exists()
    saved_account_update(account=account, enabled=True, schedule=SavedAccount.Schedule.NONE)
    assert not Schedule.objects.filter(name=schedule_name(account.pk)).exists()


def scheduled_account() -> SavedAccount:
    return saved_account_create(
        user=None,
        label="prod",
        role_arn=MEMBER_ROLE_ARN,
        regions=["eu-west-1"],
        schedule=DAILY,
        daily_at=time(3, 0),
    )


def runs_of(account: SavedAccount, names: list[str]) -> int:
    return names.count(schedule_name(account.pk))


# The scheduler's runs are stored as django-q2 tasks, which closes the database connection: the
# tests that run it commit (transaction=True), so the scans they start run on the thread pool and
# are waited for. The clock is passed to the scheduler rather than frozen for it.
RUNS = pytest.mark.django_db(transaction=True)


@RUNS
def test_runs_missed_during_downtime_give_one_scan_not_one_per_slot(aws, ambient_base_identity):
    account = scheduled_account()
    first_slot = saved_account_next_run(account_id=account.pk)
    # Down from before the first slot until three slots were missed.
    back = first_slot + timedelta(days=2, hours=6)
    assert runs_of(account, schedules_run_due(now=back)) == 1
    assert runs_of(account, schedules_run_due(now=back)) == 0
    scan = scan_wait(scan_id=Scan.objects.get().id, timeout=60)
    assert (scan.source, scan.saved_account_id) == (Scan.Source.SCHEDULE, account.pk)
    assert saved_account_next_run(account_id=account.pk) == first_slot + timedelta(days=3)
    account.refresh_from_db()
    assert account.last_scheduled_at is not None
    assert account.last_scheduled_outcome == f"started scan {scan.id}"


@RUNS
def test_a_run_due_while_a_scan_runs_is_skipped_and_recorded(aws, ambient_base_identity):
    account = scheduled_account()
    running = create_scan(status=Scan.Status.RUNNING, saved_account=account)
    first_slot = saved_account_next_run(account_id=account.pk)
    assert runs_of(account, schedules_run_due(now=first_slot)) == 1
    assert list(Scan.objects.values_list("id", flat=True)) == [running.id]
    account.refresh_from_db()
    assert account.last_scheduled_outcome == "skipped: a scan of this account was still running"
    # The next day, that scan having ended, the schedule scans again.
    Scan.objects.filter(id=running.id).update(status=Scan.Status.SUCCEEDED)
    assert runs_of(account, schedules_run_due(now=first_slot + timedelta(days=1))) == 1
    scan = scan_wait(scan_id=Scan.objects.exclude(id=running.id).get().id, timeout=60)
    assert scan.saved_account_id == account.pk


@RUNS
def test_a_run_without_a_base_identity_fails_and_says_why(aws):
    account = scheduled_account()
    schedules_run_due(now=saved_account_next_run(account_id=account.pk))
    assert Scan.objects.count() == 0
    account.refresh_from_db()
    assert account.last_scheduled_outcome.startswith("failed: No base identity")
