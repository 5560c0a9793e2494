"""The processes that hold credentials cannot be dumped or traced, and keep no core file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from securescope.hardening import process_dumpable

pytestmark = pytest.mark.subprocess
ROOT = Path(settings.BASE_DIR)
ASK = (
    "import resource; from securescope.hardening import process_dumpable; "
    "print(process_dumpable(), resource.getrlimit(resource.RLIMIT_CORE)[0])"
)


def test_manage_py_commands_run_undumpable_and_without_core_files(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATA_DIR=str(tmp_path / "var"))
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", ASK],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split()[-2:] == ["False", "0"]


def test_the_wsgi_module_hardens_the_web_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATA_DIR=str(tmp_path / "var"), PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", f"import securescope.wsgi; {ASK}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split()[-2:] == ["False", "0"]


def test_this_test_process_was_left_alone():
    assert process_dumpable()
