"""The credential vault, in-process and on a real Redis: encrypted, bound to its scan, expiring."""

import uuid

import pytest
import redis
import time_machine
from django.core.cache import caches

from conftest import TEST_REDIS_URL
from scans.collection.aws import AwsCredentials, CallerIdentity
from scans.collection.vault import (
    VaultEntry,
    VaultUnavailable,
    VaultWatch,
    vault_delete,
    vault_get,
    vault_put,
)

SECRET = "VaultSecret/0123456789+abcdefghijklmnopq"
ENTRY = VaultEntry(
    credentials=AwsCredentials(
        access_key_id="AKIAVAULTTESTEXAMPLE",
        secret_access_key=SECRET,
        session_token="VaultToken==",
    ),
    identity=CallerIdentity(account_id="123456789012", partition="aws"),
)


@pytest.fixture
def redis_vault(settings):
    """The vault on the real Redis of SECURESCOPE_TEST_REDIS_URL; yields a raw client."""
    settings.CACHES = {
        **settings.CACHES,
        "vault": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": TEST_REDIS_URL,
        },
    }
    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.flushdb()
    yield client
    caches["vault"].close()
    client.flushdb()


@pytest.fixture(params=["in-process", "redis"])
def vault_backend(request):
    if request.param == "redis":
        request.getfixturevalue("redis_vault")


def test_round_trip_and_delete(vault_backend):
    scan_id = uuid.uuid4()
    vault_put(scan_id=scan_id, entry=ENTRY)
    assert vault_get(scan_id=scan_id) == ENTRY
    vault_delete(scan_id=scan_id)
    assert vault_get(scan_id=scan_id) is None


def test_a_watch_knows_at_once_when_this_process_deletes_the_credentials(vault_backend):
    scan_id = uuid.uuid4()
    vault_put(scan_id=scan_id, entry=ENTRY)
    watch = VaultWatch(scan_id=scan_id)
    try:
        assert not watch()
        vault_delete(scan_id=scan_id)
        assert watch()
    finally:
        watch.close()


def test_a_watch_notices_credentials_deleted_by_another_process(vault_backend):
    scan_id = uuid.uuid4()
    vault_put(scan_id=scan_id, entry=ENTRY)
    watch = VaultWatch(scan_id=scan_id)
    try:
        # As a cancel in another process does: the entry goes, this process is not told.
        caches["vault"].delete(f"securescope:vault:{scan_id}")
        assert watch.gone.wait(timeout=10)
    finally:
        watch.close()


def test_a_watch_of_a_scan_without_credentials_says_so_from_the_start():
    watch = VaultWatch(scan_id=uuid.uuid4())
    watch.close()
    assert watch()


def test_entry_expires_after_its_ttl(settings):
    settings.VAULT_TTL_SECONDS = 60
    scan_id = uuid.uuid4()
    with time_machine.travel(0, tick=False) as clock:
        vault_put(scan_id=scan_id, entry=ENTRY)
        clock.shift(59)
        assert vault_get(scan_id=scan_id) == ENTRY
        clock.shift(2)
        assert vault_get(scan_id=scan_id) is None


def test_redis_expires_the_entry_after_its_ttl(redis_vault, settings):
    # Redis expires keys on its own clock, which no test can move: the key carries the TTL.
    settings.VAULT_TTL_SECONDS = 60
    vault_put(scan_id=uuid.uuid4(), entry=ENTRY)
    (key,) = redis_vault.keys("*securescope:vault:*")
    assert 55 <= redis_vault.ttl(key) <= 60


def test_entry_copied_to_another_scan_does_not_decrypt(vault_backend):
    first, second = uuid.uuid4(), uuid.uuid4()
    vault_put(scan_id=first, entry=ENTRY)
    stolen = caches["vault"].get(f"securescope:vault:{first}")
    caches["vault"].set(f"securescope:vault:{second}", stolen)
    assert vault_get(scan_id=second) is None


def test_redis_holds_no_plaintext_key_material(redis_vault):
    vault_put(scan_id=uuid.uuid4(), entry=ENTRY)
    keys = redis_vault.keys("*")
    assert keys
    raw = b"".join(redis_vault.dump(key) for key in keys)
    for secret in (SECRET, "AKIAVAULTTESTEXAMPLE", "VaultToken", "123456789012"):
        assert secret.encode() not in raw


def test_unreachable_vault_raises_a_safe_error(settings):
    settings.CACHES = {
        **settings.CACHES,
        "vault": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }
    with pytest.raises(VaultUnavailable, match="nothing was stored"):
        vault_put(scan_id=uuid.uuid4(), entry=ENTRY)
