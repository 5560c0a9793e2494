"""The production shape: Postgres, Redis as vault and broker, scan units in a real qcluster.

A moto server on 127.0.0.1 plays AWS. The qcluster process gets no AWS credentials in its
environment: it can only scan with what the vault hands it.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import requests
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django_q.models import Success

from conftest import REAL_PASSWORD_HASHERS, TEST_REDIS_URL
from findings.models import Finding
from scans.lifecycle.services import scan_wait
from scans.models import Scan
from testing.aws import seed_region
from testing.canary import assert_no_canary, database_dump
from testing.factories import create_user
from testing.processes import run_manage

pytestmark = [pytest.mark.subprocess, pytest.mark.django_db(transaction=True)]

REGIONS = ["eu-west-1", "us-west-2"]


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    db = connection.settings_dict
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        REDIS_URL=TEST_REDIS_URL,
        # The test Redis is a throwaway one on this host, without a password.
        REDIS_ALLOW_NO_AUTH="true",
        SECRET_KEY="production-shape-test-secret-key-0123456789",
        DATA_DIR=str(tmp_path / "data"),
        AWS_DEFAULT_REGION="us-east-1",
        Q_WORKERS="2",
        AWS_MAX_ATTEMPTS="2",
    )
    return env


def test_scan_runs_in_qcluster_workers_with_credentials_only_in_the_vault(
    production_env, moto_endpoint, tmp_path
):
    production_env["AWS_ENDPOINT_URL"] = moto_endpoint
    for region in REGIONS:
        seed_region(region)
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    worker_log = (tmp_path / "qcluster.log").open("w+")
    worker = subprocess.Popen(
        [sys.executable, manage, "qcluster"],
        env={**production_env, "Q_CLUSTER_NAME": "scans"},
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    output = tmp_path / "scan.json"
    try:
        scan = run_manage(
            production_env,
            "scan",
            "--workers",
            "--regions",
            ",".join(REGIONS),
            "--output",
            str(output),
            "--timeout",
            "90",
            with_canary_keys=True,
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    worker_log.seek(0)
    worker_output = worker_log.read()
    assert scan.returncode == 0, scan.stderr + worker_output

    document = json.loads(output.read_text())
    assert {f["region"] for f in document["findings"]} == {"global", *REGIONS}
    scan_row = Scan.objects.get()
    assert scan_row.status == Scan.Status.SUCCEEDED

    # django-q2 recorded each unit with the scan id and region as its only arguments.
    tasks = Success.objects.all()
    assert sorted(task.args for task in tasks) == sorted(
        (str(scan_row.id), region) for region in ["global", *REGIONS]
    )
    assert all(not task.kwargs for task in tasks)

    client = redis.Redis.from_url(TEST_REDIS_URL)
    assert not client.keys("*securescope:vault*"), "vault entry deleted at the end of the scan"
    raw_redis = b"".join(client.dump(key) or b"" for key in client.keys("*"))
    assert_no_canary(raw_redis, "Redis")
    assert_no_canary(database_dump(), "the database")
    assert_no_canary(scan.stderr + scan.stdout + worker_output, "process output")


def start(env: dict[str, str], log: Path, *command: str) -> subprocess.Popen:
    return subprocess.Popen(
        command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=settings.BASE_DIR
    )


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_production_steps_serve_https_and_two_workers_finish_a_demo_scan(production_env, tmp_path):
    """The README's production steps on loopback: migrate (done by the test database),
    collectstatic, a certificate, gunicorn with TLS, two `scans` qcluster processes; then a demo
    scan started over HTTPS by a signed-in user."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**production_env, "SECURESCOPE_BIND": f"127.0.0.1:{port}", "DEMO_MODE": "true"}
    for step in (("collectstatic", "--noinput", "-v0"), ("gen_cert",)):
        assert run_manage(env, *step).returncode == 0
    # gunicorn checks the password with the real hashers, not the tests' fast one.
    with override_settings(PASSWORD_HASHERS=REAL_PASSWORD_HASHERS):
        create_user(username="operator", password="correct horse battery")
    python = Path(sys.executable)
    processes = [
        start(
            env,
            tmp_path / "web.log",
            str(python.parent / "gunicorn"),
            "-c",
            "deploy/gunicorn.conf.py",
            "securescope.wsgi",
        ),
        *(
            start(
                {**env, "Q_CLUSTER_NAME": "scans"},
                tmp_path / f"scans-{n}.log",
                str(python),
                "manage.py",
                "qcluster",
            )
            for n in (1, 2)
        ),
    ]
    try:
        base = f"https://127.0.0.1:{port}"
        browser = requests.Session()
        # Trust only the certificate gen_cert made (not a CA bundle named in the environment).
        browser.trust_env = False
        browser.verify = str(Path(env["DATA_DIR"]) / "tls" / "cert.pem")
        deadline = time.monotonic() + 60
        while True:
            try:
                login_page = browser.get(f"{base}/login/", timeout=5)
                break
            # Refused before gunicorn listens, unanswered while its workers still boot.
            except (requests.ConnectionError, requests.Timeout):
                assert time.monotonic() < deadline, (tmp_path / "web.log").read_text()
                time.sleep(0.5)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text)[1]
        signed_in = browser.post(
            f"{base}/login/",
            data={
                "username": "operator",
                "password": "correct horse battery",
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": f"{base}/login/"},
        )
        assert signed_in.url == f"{base}/", "signing in lands on the overview"
        token = browser.cookies["csrftoken"]
        started = browser.post(
            f"{base}/scans/demo/",
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": f"{base}/scans/"},
            allow_redirects=False,
        )
        assert started.status_code == 302, started.text
        scan = scan_wait(scan_id=Scan.objects.get().id, timeout=180)
        assert scan.status == Scan.Status.SUCCEEDED, [
            (log.name, log.read_text()[-2000:]) for log in tmp_path.glob("*.log")
        ]
        assert Finding.objects.filter(scan=scan, status="FAIL").exists()
        # The last unit finalizes the scan inside its task; django-q2's monitor records that
        # task's Success row a moment later, so wait for it rather than race it.
        units = len(scan.regions) + 1
        deadline = time.monotonic() + 30
        while Success.objects.count() < units and time.monotonic() < deadline:
            time.sleep(0.2)
        assert Success.objects.count() == units, "every unit ran in qcluster"
        page = browser.get(f"{base}{started.headers['Location']}")
        assert "Compliance view" in page.text
    finally:
        stop(processes)
