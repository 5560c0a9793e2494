"""The demo account: a seeded moto server on 127.0.0.1 scanned through the normal pipeline."""

import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from conftest import create_user, run_manage
from findings.models import Finding
from scans.collection.demo import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, demo_server
from scans.lifecycle.services import scan_wait
from scans.models import Scan

pytestmark = pytest.mark.moto


@pytest.fixture
def fresh_demo():
    demo_server.stop()
    yield
    demo_server.stop()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_demo_scan_from_the_scans_page_finds_every_severity(client, fresh_demo, settings):
    settings.DEMO_MODE = True
    client.force_login(create_user())
    assert b"Scan the demo account" in client.get(reverse("scans:list")).content
    response = client.post(reverse("scans:demo"))
    scan = Scan.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("scan_pages:detail", args=[scan.id])
    scan = scan_wait(scan_id=scan.id, timeout=120)
    assert scan.status == Scan.Status.SUCCEEDED
    assert scan.source == Scan.Source.DEMO
    assert len(scan.regions) == 3
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
        "CLOUDTRAIL_MULTI_REGION",
    } <= failed_rules


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
    finally:
        server.terminate()
        server.wait(timeout=30)
