"""Postgres dropping out while a unit stores its findings, and Redis down when a scan starts."""

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.urls import reverse

import findings.port
import scans.lifecycle.units
from findings.models import Finding
from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start, scan_wait
from scans.lifecycle.units import DB_WRITE_ATTEMPTS
from scans.models import Scan, ScanRegion
from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, seed_region
from testing.factories import create_user

pytestmark = pytest.mark.django_db(transaction=True)

KEYS = AwsCredentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY)


@pytest.fixture
def no_retry_delay(monkeypatch):
    monkeypatch.setattr(scans.lifecycle.units, "DB_RETRY_DELAY_SECONDS", 0.1)


def terminate_this_connection() -> None:
    """What a Postgres restart does to a worker: its server process goes away."""
    pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        dbname=settings["NAME"],
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_dropped_connection_while_storing_is_retried(aws, monkeypatch, no_retry_delay):
    seed_region("eu-west-1")
    real_store, calls = findings.port.findings_store, []

    def store_after_a_drop(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            connection.ensure_connection()
            terminate_this_connection()
        return real_store(**kwargs)

    monkeypatch.setattr(findings.port, "findings_store", store_after_a_drop)
    scan = scan_wait(scan_id=scan_start(credentials=KEYS, regions=["eu-west-1"]).id, timeout=60)

    assert scan.status == Scan.Status.SUCCEEDED
    assert len(calls) == 3  # the global unit once, eu-west-1 twice
    for unit in scan.scan_regions.all():
        assert unit.findings_count == Finding.objects.filter(scan=scan, region=unit.region).count()
        assert unit.findings_count > 0


@pytest.mark.slow
def test_a_database_that_stays_away_fails_the_unit_without_half_its_findings(
    aws, monkeypatch, no_retry_delay
):
    seed_region("eu-west-1")
    real_store, calls = findings.port.findings_store, []

    def store_then_lose_the_database(**kwargs):
        stored = real_store(**kwargs)  # some batches were written...
        if any(e.resource.region == "eu-west-1" for e in kwargs["evaluations"]):
            calls.append(1)
            raise OperationalError("server closed the connection unexpectedly")
        return stored

    monkeypatch.setattr(findings.port, "findings_store", store_then_lose_the_database)
    scan = scan_wait(scan_id=scan_start(credentials=KEYS, regions=["eu-west-1"]).id, timeout=60)

    assert len(calls) == DB_WRITE_ATTEMPTS
    assert scan.status == Scan.Status.PARTIAL
    unit = scan.scan_regions.get(region="eu-west-1")
    assert unit.status == ScanRegion.Status.FAILED
    assert unit.error == "Internal error (OperationalError); see the server log."
    # ...and rolled back with the unit: no finding of a unit that did not complete.
    assert not Finding.objects.filter(scan=scan, region="eu-west-1").exists()
    assert Finding.objects.filter(scan=scan, region="global").exists()


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        **settings.CACHES,
        "vault": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }


def test_redis_down_the_form_says_so_and_stores_nothing(client, aws, redis_down):
    client.force_login(create_user())

    response = client.post(
        reverse("scans:new"),
        {
            "access_key_id": TEST_ACCESS_KEY_ID,
            "secret_access_key": TEST_SECRET_ACCESS_KEY,
            "regions": ["eu-west-1"],
        },
    )

    assert response.status_code == 200
    assert "The credential vault is unavailable" in response.content.decode()
    assert not Scan.objects.exists()
    assert not ScanRegion.objects.exists()


def test_redis_down_the_command_says_so_and_stores_nothing(aws, redis_down):
    with pytest.raises(CommandError, match="credential vault is unavailable") as raised:
        call_command("scan", "--regions", "eu-west-1")

    assert raised.value.returncode == 2
    assert not Scan.objects.exists()
