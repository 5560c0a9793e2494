"""A qcluster killed mid-region (SIGKILL, no chance to clean up): the reaper ends the scan.

Production shape as in test_production_workers: Postgres, Redis, a real `qcluster` process and a
moto server on 127.0.0.1. Calls are paced slowly so a unit is surely mid-region when it dies.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from scans.lifecycle.housekeeping import STALLED_UNIT_ERROR
from scans.models import Scan, ScanRegion
from scans.tests.test_production_workers import TEST_REDIS_URL, production_env  # noqa: F401
from testing.aws import seed_region
from testing.canary import CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from testing.processes import run_manage

pytestmark = [pytest.mark.subprocess, pytest.mark.django_db(transaction=True)]

REGIONS = ["eu-west-1", "us-west-2"]
UNIT_DEADLINE_SECONDS = 1


def wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def unit_statuses() -> list[str]:
    return list(ScanRegion.objects.values_list("status", flat=True))


def test_sigkilled_worker_mid_region_ends_the_scan_partial_without_credentials(
    production_env,  # noqa: F811
    moto_endpoint,
    tmp_path,
):
    for region in REGIONS:
        seed_region(region)
    env = {
        **production_env,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "Q_WORKERS": "1",  # units one after another: one done, one running, one waiting
        "AWS_CALLS_PER_SECOND": "3",
    }
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    worker = subprocess.Popen(
        [sys.executable, manage, "qcluster"],
        env={**env, "Q_CLUSTER_NAME": "scans"},
        stdout=(tmp_path / "qcluster.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the kill takes every worker process
    )
    scan_command = subprocess.Popen(
        [sys.executable, manage, "scan", "--workers", "--regions", ",".join(REGIONS)],
        env={
            **env,
            "AWS_ACCESS_KEY_ID": CANARY_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": CANARY_SECRET,
            "AWS_SESSION_TOKEN": CANARY_TOKEN,
        },
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "scan.log").open("w"),
    )
    try:
        wait_for(
            lambda: "succeeded" in unit_statuses() and "running" in unit_statuses(),
            timeout=120,
            what="one unit done and the next one running",
        )
        vault = redis.Redis.from_url(TEST_REDIS_URL)
        # KEYS and DUMP of everything Redis holds while the scan runs: encrypted only.
        assert vault.keys("*securescope:vault*")
        assert_no_canary(b"".join(vault.dump(key) or b"" for key in vault.keys("*")), "Redis")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        assert vault.keys("*securescope:vault*"), "credentials outlive the killed worker..."

        # ...until the reaper (the scheduled task, run here) gives the units up. It fails a
        # running unit only once the unit's deadline has passed, and the kill can come within
        # the first second of the unit: wait that deadline out, or the reaper rightly spares it.
        unit_deadline = timedelta(seconds=UNIT_DEADLINE_SECONDS)
        for started_at in ScanRegion.objects.filter(status=ScanRegion.Status.RUNNING).values_list(
            "started_at", flat=True
        ):
            wait_for(
                lambda started_at=started_at: timezone.now() > started_at + unit_deadline,
                timeout=UNIT_DEADLINE_SECONDS + 5,
                what="the running unit's deadline",
            )
        unfinished = len(REGIONS) + 1 - unit_statuses().count("succeeded")
        reaped = run_manage(
            {
                **env,
                "SCAN_UNIT_DEADLINE_SECONDS": str(UNIT_DEADLINE_SECONDS),
                "VAULT_TTL_SECONDS": str(UNIT_DEADLINE_SECONDS),
            },
            "shell",
            "--no-imports",
            "-c",
            "from scans.tasks import reap_stalled_units; print(reap_stalled_units())",
        )
        assert reaped.returncode == 0, reaped.stderr
        assert reaped.stdout.strip() == str(unfinished), "units given up"

        scan = Scan.objects.get()
        assert scan.status == Scan.Status.PARTIAL
        assert scan.scan_regions.filter(error=STALLED_UNIT_ERROR).count() == unfinished
        assert not vault.keys("*securescope:vault*"), "credentials deleted with the scan's end"
        assert scan_command.wait(timeout=30) == 4, (tmp_path / "scan.log").read_text()
        for log in ("qcluster.log", "scan.log"):
            assert_no_canary((tmp_path / log).read_text(), log)
    finally:
        for process in (worker, scan_command):
            if process.poll() is None:
                process.kill()
                process.wait()
