"""Fixtures shared by every app's tests: fake AWS credentials, moto, migrated data dirs.

Plain helpers (factories, fake AWS, canaries, processes) live in the `testing` package."""

import functools
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import botocore.session
import pytest
from botocore.loaders import create_loader
from django.conf import global_settings
from django.test import override_settings
from moto import mock_aws
from moto.server import ThreadedMotoServer

from scans.collection.demo import demo_server, reset_moto_server
from testing.aws import AUDITOR_POLICY, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, moto_user_keys
from testing.processes import embedded_env, run_manage

pytest_plugins = ["securescope.tests.lanes"]

# Moto must not seed ~1,300 public AMIs per region (see docs/moto.md).
os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"

REAL_PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


def worker_redis_url(url: str) -> str:
    """`url` for this xdist worker: worker N uses the database N below the one `url` names.

    Tests flush their Redis database, so each worker needs its own (Redis has 16, 0 to 15).
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return url
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) - int(worker.removeprefix("gw"))
    if database < 0:
        raise pytest.UsageError(f"{url} leaves no Redis database for xdist worker {worker}")
    return urlunsplit(parts._replace(path=f"/{database}"))


# Tests that need a real Redis use this one.
TEST_REDIS_URL = worker_redis_url(
    os.environ.get("SECURESCOPE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
)


@pytest.fixture(autouse=True, scope="session")
def _botocore_data_decoded_once():
    """One botocore loader for every session this process makes, so each of botocore's data
    files (endpoints, service models) is decoded once per process rather than once per session:
    decoding them was a third of the suite's time. Sessions use its loaded models read-only."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", functools.cache(create_loader))
        yield


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Tests hash and check passwords by the hundred: PBKDF2's million rounds cost each a good
    part of a second. Nothing here tests the hasher. The real ones still check passwords that a
    manage.py process hashed; a user that a server process signs in needs REAL_PASSWORD_HASHERS.
    """
    fast = "django.contrib.auth.hashers.MD5PasswordHasher"
    with override_settings(PASSWORD_HASHERS=[fast, *REAL_PASSWORD_HASHERS]):
        yield


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch):
    """Dummy credentials and no endpoint override: a test can never reach real AWS."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs collectstatic; tests render templates without it, and give
    # whitenoise no STATIC_ROOT to serve (only manage.py and the WSGI module create it).
    settings.STATIC_ROOT = None
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _plain_http_test_client(settings):
    # The test client speaks plain HTTP; securescope/tests/test_transport.py turns the redirect
    # back on to check it.
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _empty_vault():
    from django.core.cache import caches

    caches["vault"].clear()
    yield
    caches["vault"].clear()


@pytest.fixture(autouse=True)
def _own_export_snapshots(settings, tmp_path):
    """Each test renders its exports afresh, away from other workers' and the checkout's."""
    settings.EXPORT_SNAPSHOTS_DIR = tmp_path / "export-snapshots"


@pytest.fixture
def moto_endpoint(monkeypatch) -> str:
    """A moto server on 127.0.0.1 for other processes; this one's boto3 points at it too."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    reset_moto_server(endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    yield endpoint
    server.stop()


@pytest.fixture
def held_demo_server(monkeypatch) -> threading.Event:
    """A demo server stopped before and after the test, which starts only once the returned
    event is set: what a page shows while the demo account comes up can be looked at."""
    demo_server.stop()
    may_start = threading.Event()
    start = demo_server.start

    def held_start() -> str:
        assert may_start.wait(timeout=60), "the test never let the demo server start"
        return start()

    monkeypatch.setattr(demo_server, "start", held_start)
    yield may_start
    may_start.set()
    demo_server.stop()


@pytest.fixture
def aws(monkeypatch):
    with mock_aws():
        # mock_aws puts its own placeholder keys in the environment; ours pass form validation.
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY_ID)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET_ACCESS_KEY)
        yield


@pytest.fixture
def ambient_base_identity(settings):
    """SCANNER_BASE_IDENTITY=ambient: saved accounts use this process's (fake) AWS credentials."""
    settings.SCANNER_BASE_IDENTITY = "ambient"


@pytest.fixture
def auditor_keys(aws, monkeypatch) -> dict:
    """Keys of a read-only IAM user in moto, with moto's authentication switched on."""
    return moto_user_keys(monkeypatch, user_name="auditor", policy=AUDITOR_POLICY)


@pytest.fixture(scope="session")
def _migrated_data_dir_template(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("migrated")
    migrate = run_manage(embedded_env(DATA_DIR=str(data_dir)), "migrate", "-v0")
    assert migrate.returncode == 0, migrate.stderr
    return data_dir


@pytest.fixture
def migrated_data_dir(_migrated_data_dir_template, tmp_path) -> Path:
    """A DATA_DIR of the test's own whose SQLite database is migrated: a copy of one migrated
    once per test process, since migrating a fresh database takes seconds."""
    data_dir = tmp_path / "data"
    shutil.copytree(_migrated_data_dir_template, data_dir)
    return data_dir
