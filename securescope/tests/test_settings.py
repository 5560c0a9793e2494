"""Settings read from the environment: empty values mean the embedded defaults."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

PRINT_SHAPE = (
    "from django.conf import settings; "
    "print(settings.DATABASES['default']['ENGINE'], settings.SCAN_EXECUTOR, "
    "settings.CACHES['vault']['BACKEND'])"
)


def settings_in_fresh_process(tmp_path: Path, **overrides: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATA_DIR=str(tmp_path), **overrides)
    result = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "shell", "-c", PRINT_SHAPE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_empty_variables_give_the_embedded_default(tmp_path):
    shape = settings_in_fresh_process(tmp_path, DATABASE_URL="", REDIS_URL="")
    assert shape == (
        "django.db.backends.sqlite3 thread django.core.cache.backends.locmem.LocMemCache"
    )


def test_database_and_redis_urls_give_the_production_shape(tmp_path):
    shape = settings_in_fresh_process(
        tmp_path,
        DATABASE_URL="postgres://user:pass@127.0.0.1:5432/securescope",
        REDIS_URL="redis://127.0.0.1:6379/15",
    )
    assert shape == (
        "django.db.backends.postgresql django-q django.core.cache.backends.redis.RedisCache"
    )
