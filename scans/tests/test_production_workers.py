"""The production shape: Postgres, Redis as vault and broker, scan units in a real qcluster.

A moto server on 127.0.0.1 plays AWS. The qcluster process gets no AWS credentials in its
environment: it can only scan with what the vault hands it.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django_q.models import Success

from conftest import (
    assert_no_canary,
    database_dump,
    run_manage,
    seed_region,
)
from scans.models import Scan

pytestmark = pytest.mark.django_db(transaction=True)

TEST_REDIS_URL = os.environ.get("SECURESCOPE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REGIONS = ["eu-west-1", "us-west-2"]


@pytest.fixture
def production_env(moto_endpoint, tmp_path) -> dict[str, str]:
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
        SECRET_KEY="production-shape-test-secret-key-0123456789",
        DATA_DIR=str(tmp_path / "data"),
        AWS_ENDPOINT_URL=moto_endpoint,
        AWS_DEFAULT_REGION="us-east-1",
        Q_WORKERS="2",
        AWS_MAX_ATTEMPTS="2",
    )
    return env


def test_scan_runs_in_qcluster_workers_with_credentials_only_in_the_vault(production_env, tmp_path):
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
