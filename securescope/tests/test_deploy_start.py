"""`bash deploy/start`, the README's first command, serves the login page over HTTPS.

Slow (migrations on a fresh SQLite file, a certificate, gunicorn): it runs the real script with a
temporary DATA_DIR, a free port and no terminal, so the first admin's password is generated and
printed. It runs only where the script would install nothing: a .venv whose stamp matches.
"""

import os
import re
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from securescope.tests.test_gunicorn_tls import free_port

pytestmark = pytest.mark.deploy

REPO = Path(settings.BASE_DIR)
STAMP = REPO / ".venv" / ".securescope-installed"
STARTUP_TIMEOUT_SECONDS = 180


def reinstall_reason() -> str:
    """Why deploy/start would run pip here (empty: it would not), as deploy/lib.sh decides."""
    if not STAMP.exists():
        return f"no {STAMP.relative_to(REPO)}: deploy/start would create and install .venv"
    digest = subprocess.run(
        ["bash", "-c", ". deploy/lib.sh && venv_recipe_digest"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if STAMP.read_text().splitlines()[0] != digest:
        return "the install recipe changed since .venv was installed: deploy/start would reinstall"
    return ""


def login_page_status(port: int) -> int | None:
    # The certificate is self-signed (or mkcert's): this checks serving, test_tls the rest.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(
            f"https://127.0.0.1:{port}/login/", context=context, timeout=10
        ) as response:
            return response.status
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def test_deploy_start_serves_https_and_prints_the_first_admin(tmp_path):
    reason = reinstall_reason()
    if reason:
        pytest.skip(reason)
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "LLM_"))
        and key not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")
    }
    env.update(DATA_DIR=str(tmp_path / "data"), SECURESCOPE_BIND=f"127.0.0.1:{port}")
    log = tmp_path / "start.log"
    with log.open("wb") as output:
        start = subprocess.Popen(
            ["bash", "deploy/start"],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while (status := login_page_status(port)) is None:
            assert start.poll() is None, f"deploy/start exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"not serving in time:\n{log.read_text()}"
            time.sleep(0.5)
        assert status == 200
    finally:
        # deploy/start execs gunicorn, so this is the master: it stops its workers and exits.
        start.send_signal(signal.SIGTERM)
        start.wait(timeout=30)
    printed = log.read_text()
    assert "installing SecureScope" not in printed
    assert re.search(r"^First admin account: admin / \S{20,} — shown once", printed, re.M), printed
    assert f"SecureScope is at https://127.0.0.1:{port}" in printed
    assert start.returncode == 0, printed
    # umask 077: the data folder and the database in it are the service user's alone.
    data = tmp_path / "data"
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "securescope.sqlite3").stat().st_mode & 0o777 == 0o600
