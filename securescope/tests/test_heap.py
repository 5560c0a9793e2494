"""A web worker freezes its start-up heap out of the collector's full passes."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

WORKER = """
import gc, os, runpy, sys
import django
django.setup()
import securescope.scheduler
securescope.scheduler.scheduler_start = lambda: None
tracked = len(gc.get_objects())
conf = runpy.run_path(sys.argv[1])
assert gc.get_freeze_count() == 0
conf["post_worker_init"](None)
print(tracked, gc.get_freeze_count(), len(gc.get_objects()))
"""


@pytest.mark.subprocess
def test_a_gunicorn_worker_freezes_what_it_loaded(tmp_path):
    """In a process of its own: a freeze cannot be undone for the objects it covered."""
    result = subprocess.run(
        [sys.executable, "-c", WORKER, str(REPO / "deploy" / "gunicorn.conf.py")],
        cwd=REPO,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "securescope.settings",
            "DATA_DIR": str(tmp_path),
            "SECRET_KEY": "a-test-secret-key-that-is-long-enough-for-django-checks",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    tracked, frozen, still_tracked = map(int, result.stdout.split())
    # Django, the URL patterns and the rest of the app: far more than a request allocates.
    assert frozen > 50_000
    assert frozen >= tracked
    assert still_tracked < 1_000
