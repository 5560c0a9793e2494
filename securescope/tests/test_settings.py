"""Settings read from the environment: empty values mean the embedded defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.subprocess

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
        REDIS_URL="redis://:password@127.0.0.1:6379/15",
    )
    assert shape == (
        "django.db.backends.postgresql django-q django.core.cache.backends.redis.RedisCache"
    )


def test_a_redis_url_without_a_password_stops_start_up(tmp_path):
    with pytest.raises(subprocess.CalledProcessError) as refused:
        settings_in_fresh_process(
            tmp_path,
            DATABASE_URL="postgres://user:pass@127.0.0.1:5432/securescope",
            REDIS_URL="redis://127.0.0.1:6379/15",
        )
    assert "REDIS_URL has no password" in refused.value.stderr


def test_importing_settings_creates_nothing(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DATA_DIR")
    }
    env.update(PYTHONPATH=str(settings.BASE_DIR), DATA_DIR=str(tmp_path / "var"))
    subprocess.run(
        [sys.executable, "-c", "import securescope.settings"],
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=True,
    )
    assert list(tmp_path.iterdir()) == []


def print_secret_key(data_dir: Path, secret_key: str = "") -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATA_DIR=str(data_dir), SECRET_KEY=secret_key)
    result = subprocess.run(
        [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "shell",
            "-c",
            "from django.conf import settings; print(settings.SECRET_KEY)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_manage_py_makes_the_data_dir_and_one_private_secret_key(tmp_path):
    data_dir = tmp_path / "data"
    first = print_secret_key(data_dir)
    assert print_secret_key(data_dir) == first
    key_file = data_dir / "secret_key"
    assert key_file.read_text() == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert (data_dir / "staticfiles").is_dir()


def test_a_secret_key_from_the_environment_writes_no_key_file(tmp_path):
    data_dir = tmp_path / "data"
    assert print_secret_key(data_dir, "example-secret-key-EXAMPLE") == (
        "example-secret-key-EXAMPLE"
    )
    assert not (data_dir / "secret_key").exists()
