"""The embedded default: SQLite under DATA_DIR, in-process vault, scan units on threads.

Runs the real command in a fresh process with no DATABASE_URL or REDIS_URL, against a moto
server on 127.0.0.1, so SQLite's locking under concurrent scan threads is exercised.
"""

import json
import os

import pytest

from testing.aws import seed_region
from testing.canary import assert_no_canary
from testing.processes import embedded_env, run_manage

pytestmark = pytest.mark.subprocess

REGIONS = ["eu-west-1", "us-west-2", "ap-southeast-2"]


def test_command_scan_on_sqlite_with_threads(moto_endpoint, migrated_data_dir, tmp_path):
    for region in REGIONS:
        seed_region(region)
    data_dir = migrated_data_dir
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "DJANGO_")) and key not in ("DATABASE_URL", "REDIS_URL")
    }
    # moto answers some unimplemented APIs with a 500, which botocore retries: keep it short.
    env.update(DATA_DIR=str(data_dir), AWS_ENDPOINT_URL=moto_endpoint, AWS_MAX_ATTEMPTS="2")
    output = tmp_path / "scan.json"
    scan = run_manage(
        env, "scan", "--regions", ",".join(REGIONS), "--output", str(output), with_canary_keys=True
    )
    assert scan.returncode == 0, scan.stderr
    document = json.loads(output.read_text())
    assert document["scan"]["status"] == "succeeded"
    assert {f["region"] for f in document["findings"]} == {"global", *REGIONS}
    assert (data_dir / "securescope.sqlite3").exists()
    assert_no_canary(scan.stdout + scan.stderr, "process output")
    stored = b"".join(path.read_bytes() for path in data_dir.rglob("*") if path.is_file())
    assert_no_canary(stored, "the SQLite database and the data folder")


def test_the_system_checks_pass_on_sqlite(migrated_data_dir):
    # A model option SQLite lacks (an index's INCLUDE columns) warned at every migrate.
    check = run_manage(
        embedded_env(DATA_DIR=str(migrated_data_dir)),
        "check",
        "--database",
        "default",
        "--fail-level",
        "WARNING",
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "no issues" in check.stdout
