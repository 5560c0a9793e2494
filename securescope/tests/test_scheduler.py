"""The embedded mode's scheduler: django-q2's schedules run in the web process, each due job by
exactly one process, its last run shown in the admin.

The clock is injected (`schedules_run_due(now=...)`); nothing here sleeps for a period to pass.
"""

import importlib
import logging
import os
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_q.models import Failure, Schedule, Success

from scans.models import Scan, ScanRegion
from securescope import scheduler
from securescope.scheduler import scheduler_start, scheduler_stop, schedules_run_due
from securescope.tests.test_gunicorn_tls import CONF, REPO, free_port
from securescope.tls import DEFAULT_HOSTNAMES, ensure_self_signed_certificate
from testing.factories import create_finding, create_scan, create_scan_region

pytestmark = pytest.mark.django_db(transaction=True)

HOUSEKEEPING = importlib.import_module("scans.migrations.0005_cancelled_and_housekeeping")
REAPER, PURGE = (schedule["name"] for schedule in HOUSEKEEPING.SCHEDULES)
T0 = datetime(2030, 1, 1, tzinfo=UTC)
IDENTIFIER = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0"
PROCESS_TIMEOUT_SECONDS = 120


def explode() -> None:
    raise RuntimeError(f"could not handle {IDENTIFIER}")


@pytest.fixture
def housekeeping() -> dict[str, Schedule]:
    """The migration's two schedules (transactional tests empty every table), due at T0."""
    HOUSEKEEPING.add_schedules(apps, None)
    Schedule.objects.update(next_run=T0)
    return {schedule.name: schedule for schedule in Schedule.objects.all()}


@pytest.fixture
def work_to_do() -> tuple[Scan, Scan]:
    """A scan past retention, and a running scan whose unit's worker died hours ago."""
    expired = create_scan(created_at=timezone.now() - timedelta(days=400))
    create_finding(expired)
    stalled = create_scan(status=Scan.Status.RUNNING)
    create_scan_region(
        stalled,
        status=ScanRegion.Status.RUNNING,
        started_at=timezone.now() - timedelta(hours=3),
    )
    return expired, stalled


def assert_done(work: tuple[Scan, Scan]) -> None:
    expired, stalled = work
    assert not Scan.objects.filter(id=expired.id).exists(), "purged"
    assert Scan.objects.get(id=stalled.id).status == Scan.Status.FAILED, "reaped"


def next_runs() -> dict[str, datetime]:
    return dict(Schedule.objects.values_list("name", "next_run"))


def runs(name: str) -> int:
    return Success.objects.filter(group=name).count() + Failure.objects.filter(group=name).count()


def test_a_due_schedule_runs_once_then_waits_for_its_next_period(housekeeping, work_to_do):
    assert sorted(schedules_run_due(now=T0)) == sorted([REAPER, PURGE])
    assert_done(work_to_do)
    assert next_runs() == {REAPER: T0 + timedelta(minutes=5), PURGE: T0 + timedelta(days=1)}

    assert schedules_run_due(now=T0 + timedelta(minutes=4, seconds=59)) == []
    assert schedules_run_due(now=T0 + timedelta(minutes=5)) == [REAPER]
    assert (runs(REAPER), runs(PURGE)) == (2, 1)


def test_periods_missed_while_nothing_ran_are_skipped(housekeeping):
    assert sorted(schedules_run_due(now=T0 + timedelta(hours=1, seconds=1))) == [PURGE, REAPER]

    assert next_runs()[REAPER] == T0 + timedelta(hours=1, minutes=5)
    assert runs(REAPER) == 1


def test_a_schedule_another_process_is_claiming_is_skipped_not_waited_for(housekeeping):
    locked, release = threading.Event(), threading.Event()

    def hold_the_reaper_row() -> None:
        with transaction.atomic():
            Schedule.objects.select_for_update().get(name=REAPER)
            locked.set()
            release.wait(timeout=PROCESS_TIMEOUT_SECONDS)
        connection.close()

    holder = threading.Thread(target=hold_the_reaper_row)
    holder.start()
    try:
        assert locked.wait(timeout=PROCESS_TIMEOUT_SECONDS)
        assert schedules_run_due(now=T0) == [PURGE]
    finally:
        release.set()
        holder.join()
    assert schedules_run_due(now=T0) == [REAPER]


def test_a_failed_run_is_recorded_with_its_type_and_frames_never_its_message(caplog):
    schedule = Schedule.objects.create(
        name="explodes",
        func="securescope.tests.test_scheduler.explode",
        schedule_type=Schedule.HOURLY,
        next_run=T0,
    )
    with caplog.at_level(logging.ERROR, logger="securescope.scheduler"):
        assert schedules_run_due(now=T0) == ["explodes"]

    failure = Failure.objects.get(group="explodes")
    schedule.refresh_from_db()
    assert schedule.task == failure.id
    assert schedule.next_run == T0 + timedelta(hours=1)
    assert "in explode" in failure.result
    assert failure.result.endswith("builtins.RuntimeError")
    assert "123456789012" not in failure.result + caplog.text
    assert "builtins.RuntimeError" in caplog.text


def test_the_admin_shows_each_schedules_last_run(admin_client, housekeeping, work_to_do):
    Schedule.objects.create(
        name="explodes", func="securescope.tests.test_scheduler.explode", next_run=T0
    )
    schedules_run_due(now=T0)

    page = admin_client.get(reverse("admin:django_q_schedule_changelist")).content.decode()

    purge = Success.objects.get(group=PURGE)
    assert purge.result == {"scans": 1, "findings": 1}
    assert "{&#x27;scans&#x27;: 1, &#x27;findings&#x27;: 1}" in page
    assert "builtins.RuntimeError" in page
    assert "last run ended" in page.lower()
    for name in (REAPER, PURGE, "explodes"):
        task = Success.objects.filter(group=name).first() or Failure.objects.get(group=name)
        assert Schedule.objects.get(name=name).task == task.id
        assert f"[{task.name}]" in page, "linked to the run's result page"


def test_one_scheduler_thread_per_process_and_only_in_the_embedded_mode(settings, monkeypatch):
    ticked = threading.Event()
    monkeypatch.setattr(scheduler, "schedules_run_due", lambda **kwargs: ticked.set())

    settings.SCAN_EXECUTOR = "django-q"
    assert scheduler_start() is False, "a qcluster runs the schedules"

    settings.SCAN_EXECUTOR = "thread"
    try:
        assert scheduler_start() is True
        assert scheduler_start() is False
        assert ticked.wait(timeout=PROCESS_TIMEOUT_SECONDS), "ticks as soon as it starts"
        assert [t.name for t in threading.enumerate()].count("scheduler") == 1
    finally:
        scheduler_stop()
    assert "scheduler" not in [t.name for t in threading.enumerate()]


def subprocess_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The embedded mode (no Redis: scan threads, in-process scheduler) on the test database."""
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        SECRET_KEY="scheduler-test-secret-key-0123456789abcdef",
        DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="securescope.settings",
        **extra,
    )
    return env


# A process on the embedded mode's clock: it ticks at each time read from stdin, then says so.
TICKER = """
import sys
from datetime import datetime
import django
django.setup()
from securescope.scheduler import schedules_run_due
for line in sys.stdin:
    schedules_run_due(now=datetime.fromisoformat(line.strip()))
    print("ticked", flush=True)
"""


@pytest.mark.subprocess
def test_two_processes_ticking_together_run_each_job_once_per_period(
    housekeeping, work_to_do, tmp_path
):
    # Every 150 s (two ticks per reaper period) for two hours, then for two hours around the
    # purge's next day. Both processes tick at each time at once, as two workers would.
    ticks = [150 * k for k in range(48)] + [82_800 + 150 * k for k in range(48)]
    env = subprocess_env(tmp_path)
    tickers = [
        subprocess.Popen(
            [sys.executable, "-c", TICKER],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for offset in ticks:
            for ticker in tickers:
                ticker.stdin.write(f"{(T0 + timedelta(seconds=offset)).isoformat()}\n")
                ticker.stdin.flush()
            for ticker in tickers:
                assert ticker.stdout.readline() == "ticked\n"
    finally:
        for ticker in tickers:
            ticker.stdin.close()
            ticker.wait(timeout=PROCESS_TIMEOUT_SECONDS)

    # The reaper once per five minutes of either window, the purge on each of the two days.
    assert (runs(REAPER), runs(PURGE)) == (24 + 24, 2)
    assert not Failure.objects.exists()
    assert_done(work_to_do)
    assert next_runs() == {
        REAPER: T0 + timedelta(seconds=ticks[-1] + 150),
        PURGE: T0 + timedelta(days=2),
    }


@pytest.mark.subprocess
def test_two_gunicorn_workers_run_each_due_job_once(housekeeping, work_to_do, tmp_path):
    Schedule.objects.update(next_run=timezone.now())
    cert_file, key_file = tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem"
    ensure_self_signed_certificate(cert_file, key_file, DEFAULT_HOSTNAMES)
    env = subprocess_env(
        tmp_path,
        SECURESCOPE_BIND=f"127.0.0.1:{free_port()}",
        TLS_CERT_FILE=str(cert_file),
        TLS_KEY_FILE=str(key_file),
        WEB_WORKERS="2",
        WEB_THREADS="1",
    )
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(CONF), "securescope.wsgi"],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_log(log, gunicorn, "Running django-q2's schedules in this process", count=2)
    finally:
        # A graceful stop: each worker's scheduler ends the tick it began at start.
        gunicorn.terminate()
        gunicorn.wait(timeout=PROCESS_TIMEOUT_SECONDS)

    assert (runs(REAPER), runs(PURGE)) == (1, 1), log.read_text()
    assert_done(work_to_do)
    workers = set(re.findall(r"in this process \(pid (\d+)\)", log.read_text()))
    assert len(workers) == 2
    ran_in = set(Success.objects.values_list("cluster", flat=True))
    assert ran_in <= {f"in-process:{pid}" for pid in workers}


def wait_for_log(log: Path, process: subprocess.Popen, line: str, *, count: int) -> None:
    deadline = time.monotonic() + PROCESS_TIMEOUT_SECONDS
    while log.read_text().count(line) < count:
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
