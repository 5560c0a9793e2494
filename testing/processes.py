"""manage.py in a fresh process, in the embedded mode."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from testing.canary import CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN


def run_manage(env: dict[str, str], *args: str, with_canary_keys: bool = False):
    """`manage.py ARGS` in a fresh process, optionally holding the canary credentials."""
    if with_canary_keys:
        env = {
            **env,
            "AWS_ACCESS_KEY_ID": CANARY_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": CANARY_SECRET,
            "AWS_SESSION_TOKEN": CANARY_TOKEN,
        }
    return subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )


def embedded_env(**overrides: str) -> dict[str, str]:
    """This process's environment for a manage.py in embedded mode: no AWS, database or Redis."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "DJANGO_")) and key not in ("DATABASE_URL", "REDIS_URL")
    }
    return {**env, **overrides}
