"""The data folder is its owner's alone: a folder or database other users can read stops
start-up, with the command that closes it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from securescope.datadir import data_dir_problem

ROOT = Path(settings.BASE_DIR)


def test_a_private_data_dir_is_accepted(tmp_path):
    data = tmp_path / "var"
    data.mkdir(mode=0o700)
    (data / "securescope.sqlite3").touch(mode=0o600)
    assert data_dir_problem(data) is None
    assert data_dir_problem(tmp_path / "not-yet") is None


def test_a_data_dir_others_can_read_is_refused_with_the_fix(tmp_path):
    data = tmp_path / "var"
    data.mkdir()
    data.chmod(0o755)
    assert data_dir_problem(data).endswith(f"chmod 700 {data}")


def test_a_database_others_can_read_is_refused_with_the_fix(tmp_path):
    data = tmp_path / "var"
    data.mkdir(mode=0o700)
    for name in ("securescope.sqlite3", "securescope.sqlite3-wal"):
        (data / name).touch()
        (data / name).chmod(0o644)
    problem = data_dir_problem(data)
    assert problem.endswith(
        f"chmod 600 {data / 'securescope.sqlite3'} {data / 'securescope.sqlite3-wal'}"
    )


def manage(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATA_DIR=str(data))
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.subprocess
def test_start_up_makes_a_private_data_dir_and_database_and_refuses_an_exposed_one(tmp_path):
    data = tmp_path / "var"
    assert manage(data, "migrate", "--noinput").returncode == 0
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "securescope.sqlite3").stat().st_mode & 0o777 == 0o600
    assert (data / "secret_key").stat().st_mode & 0o777 == 0o600

    data.chmod(0o755)
    refused = manage(data, "check")
    assert refused.returncode != 0
    assert f"chmod 700 {data}" in refused.stderr
