"""The embedded default: SQLite under DATA_DIR, in-process vault, scan units on threads.

Runs the real command in a fresh process with no DATABASE_URL or REDIS_URL, against a moto
server on 127.0.0.1, so SQLite's locking under concurrent scan threads is exercised.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from conftest import CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN, assert_no_canary, seed_region

REGIONS = ["eu-west-1", "us-west-2", "ap-southeast-2"]


def test_command_scan_on_sqlite_with_threads(moto_endpoint, tmp_path):
    for region in REGIONS:
        seed_region(region)
    data_dir = tmp_path / "data"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "DJANGO_")) and key not in ("DATABASE_URL", "REDIS_URL")
    }
    # moto answers some unimplemented APIs with a 500, which botocore retries: keep it short.
    env.update(DATA_DIR=str(data_dir), AWS_ENDPOINT_URL=moto_endpoint, AWS_MAX_ATTEMPTS="2")
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    subprocess.run([sys.executable, manage, "migrate", "-v0"], env=env, check=True, timeout=120)
    output = tmp_path / "scan.json"
    scan = subprocess.run(
        [sys.executable, manage, "scan", "--regions", ",".join(REGIONS), "--output", str(output)],
        env={
            **env,
            "AWS_ACCESS_KEY_ID": CANARY_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": CANARY_SECRET,
            "AWS_SESSION_TOKEN": CANARY_TOKEN,
        },
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    assert scan.returncode == 0, scan.stderr
    document = json.loads(output.read_text())
    assert document["scan"]["status"] == "succeeded"
    assert {f["region"] for f in document["findings"]} == {"global", *REGIONS}
    assert (data_dir / "securescope.sqlite3").exists()
    assert_no_canary(scan.stdout + scan.stderr, "process output")
    stored = b"".join(path.read_bytes() for path in data_dir.rglob("*") if path.is_file())
    assert_no_canary(stored, "the SQLite database and the data folder")
