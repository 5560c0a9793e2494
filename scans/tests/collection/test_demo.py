"""The demo account: a seeded moto server on 127.0.0.1 scanned through the normal pipeline."""

import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from findings.models import Finding
from scans.collection.aws import CallerIdentity
from scans.collection.demo import (
    DEMO_ACCESS_KEY_ID,
    DEMO_ACCOUNT_ID,
    DEMO_SECRET_ACCESS_KEY,
    demo_server,
)
from scans.collection.vault import vault_get
from scans.lifecycle import services
from scans.lifecycle.housekeeping import UNSTARTED_SCAN_ERROR, scan_units_reap
from scans.lifecycle.services import scan_cancel, scan_demo_launch, scan_start_demo, scan_wait
from scans.models import Scan
from testing.factories import create_user
from testing.processes import run_manage

pytestmark = pytest.mark.moto


@pytest.fixture
def fresh_demo():
    demo_server.stop()
    yield
    demo_server.stop()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_demo_scan_answers_at_once_and_finds_every_severity(client, held_demo_server, settings):
    settings.DEMO_MODE = True
    client.force_login(create_user())
    assert b"Scan the demo account" in client.get(reverse("scans:list")).content
    response = client.post(reverse("scans:demo"))
    scan = Scan.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("scan_pages:detail", args=[scan.id])
    # Answered while the server is still down: the scan waits for it, and its page says so.
    assert scan.status == Scan.Status.PENDING
    assert not scan.scan_regions.exists()
    page = client.get(response.url).content.decode()
    assert "Starting the demo account" in page
    assert 'hx-trigger="every 2s"' in page

    held_demo_server.set()
    scan = scan_wait(scan_id=scan.id, timeout=120)
    assert scan.status == Scan.Status.SUCCEEDED
    assert scan.source == Scan.Source.DEMO
    assert len(scan.regions) == 3
    assert all(
        unit.collectors_done == unit.collectors_total > 0 for unit in scan.scan_regions.all()
    )
    assert vault_get(scan_id=scan.id) is None
    failing = Counter(
        Finding.objects.filter(scan=scan, status="FAIL").values_list("severity", flat=True)
    )
    assert set(failing) == {"critical", "high", "medium", "low", "info"}
    failed_rules = set(
        Finding.objects.filter(scan=scan, status="FAIL").values_list("rule_id", flat=True)
    )
    assert {
        "EC2_SG_SSH_OPEN",
        "EC2_IMDSV2_REQUIRED",
        "EC2_EBS_SNAPSHOT_PUBLIC",
        "EKS_PUBLIC_ENDPOINT_NO_CIDR",
        "EKS_VERSION_DRIFT_CLUSTER",
        "COMMON_S3_ENCRYPTION",
        "IAM_CONSOLE_USER_NO_MFA",
        # The audit trail logs every region's management events to CloudWatch Logs, where only
        # root use is watched (CLOUDTRAIL_MULTI_REGION passes; the other CIS alarms fail).
        "CLOUDWATCH_ALARM_UNAUTHORIZED_API_CALLS",
    } <= failed_rules


@pytest.mark.django_db
def test_a_demo_server_that_does_not_start_fails_the_scan(monkeypatch):
    def broken_start() -> str:
        raise OSError("address in use")

    monkeypatch.setattr(demo_server, "start", broken_start)
    # Inside the test's transaction the launch is not enqueued: the test runs it.
    scan = scan_start_demo()

    assert scan_demo_launch(scan_id=scan.id) is False

    scan.refresh_from_db()
    assert (scan.status, scan.error) == (Scan.Status.FAILED, "The demo account did not start.")
    assert not scan.scan_regions.exists()


@pytest.mark.django_db
def test_a_demo_scan_cancelled_while_its_server_starts_never_gets_units(monkeypatch):
    monkeypatch.setattr(demo_server, "start", lambda: "http://127.0.0.1:9")
    monkeypatch.setattr(
        services,
        "prove_credentials",
        lambda credentials: (None, CallerIdentity(DEMO_ACCOUNT_ID, "aws")),
    )
    monkeypatch.setattr(services, "policy_denials", lambda **kwargs: {})
    scan = scan_start_demo()
    scan_cancel(scan_id=scan.id)

    assert scan_demo_launch(scan_id=scan.id) is False

    scan.refresh_from_db()
    assert scan.status == Scan.Status.CANCELLED
    assert not scan.scan_regions.exists()
    assert vault_get(scan_id=scan.id) is None


@pytest.mark.django_db
def test_a_demo_scan_whose_process_died_before_its_server_was_up_is_given_up(settings):
    settings.SCAN_UNIT_DEADLINE_SECONDS = 3600
    scan = scan_start_demo()
    Scan.objects.filter(id=scan.id).update(created_at=timezone.now() - timedelta(hours=2))

    scan_units_reap()

    scan.refresh_from_db()
    assert (scan.status, scan.error) == (Scan.Status.FAILED, UNSTARTED_SCAN_ERROR)


@pytest.mark.django_db
def test_demo_is_off_in_production_and_needs_the_permission(client, settings):
    client.force_login(create_user(can_scan=False))
    assert client.post(reverse("scans:demo")).status_code == 403
    client.force_login(create_user(username="scanner"))
    settings.DEMO_MODE = False
    assert client.post(reverse("scans:demo")).status_code == 404
    assert b"Scan the demo account" not in client.get(reverse("scans:list")).content
    assert client.get(reverse("scans:demo")).status_code == 405


@pytest.mark.subprocess
def test_demo_account_command_serves_the_account_for_the_scan_command(migrated_data_dir, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"PATH": "/usr/bin:/bin", "DATA_DIR": str(migrated_data_dir), "AWS_MAX_ATTEMPTS": "2"}
    server = subprocess.Popen(
        [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "demo_account",
            "--serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        banner = ""
        while "AWS_ENDPOINT_URL" not in banner:
            assert time.monotonic() < deadline, banner
            banner += server.stdout.readline()
        assert f"AWS_ENDPOINT_URL=http://127.0.0.1:{port}" in banner
        output = tmp_path / "demo.json"
        scan = run_manage(
            {
                **env,
                "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                "AWS_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
                "AWS_SECRET_ACCESS_KEY": DEMO_SECRET_ACCESS_KEY,
            },
            "scan",
            "--regions",
            "us-east-1,eu-west-1",
            "--output",
            str(output),
            "--fail-on",
            "critical",
        )
        assert scan.returncode == 3, scan.stderr
        assert output.stat().st_size > 0
        # Role mode: the keys assume a role (external id from the environment) and the scan
        # runs on its session, the permission check included.
        role_output = tmp_path / "demo-role.json"
        role_scan = run_manage(
            {
                **env,
                "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                "AWS_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
                "AWS_SECRET_ACCESS_KEY": DEMO_SECRET_ACCESS_KEY,
                "SCAN_EXTERNAL_ID": "demo-external-id",
            },
            "scan",
            "--regions",
            "us-east-1",
            "--role-arn",
            f"arn:aws:iam::{DEMO_ACCOUNT_ID}:role/auditor",
            "--output",
            str(role_output),
        )
        assert role_scan.returncode == 0, role_scan.stderr
        assert role_output.stat().st_size > 0
    finally:
        server.terminate()
        server.wait(timeout=30)
