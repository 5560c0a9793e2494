"""Redis is reached with credentials (and TLS off this host) and never unpickles what it reads."""

import pickle

import pytest
import redis
from django.core.cache import caches

from conftest import TEST_REDIS_URL
from securescope.redis_safety import BytesOnlySerializer, redis_url_problem


@pytest.mark.parametrize(
    "url",
    [
        "redis://:secret@127.0.0.1:6379/0",
        "redis://securescope:secret@localhost:6379/0",
        "redis://securescope:secret@[::1]:6379/0",
        "rediss://securescope:secret@redis.internal:6380/0",
        "unix://:secret@/run/redis/redis.sock?db=0",
    ],
)
def test_a_redis_url_with_credentials_is_accepted(url):
    assert redis_url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis://127.0.0.1:6379/0", "no password"),
        ("redis://securescope@127.0.0.1:6379/0", "no password"),
        ("rediss://redis.internal:6380/0", "no password"),
        ("redis://:secret@redis.internal:6379/0", "without TLS"),
        ("redis://:secret@10.0.0.5:6379/0", "without TLS"),
        ("http://:secret@127.0.0.1:6379/0", "must start with"),
    ],
)
def test_a_redis_url_without_credentials_or_tls_is_refused(url, problem):
    assert problem in redis_url_problem(url)


def test_a_throwaway_local_redis_may_go_without_a_password_when_allowed():
    assert redis_url_problem("redis://127.0.0.1:6379/15", allow_no_auth=True) is None
    assert "without TLS" in redis_url_problem("redis://10.0.0.5:6379/15", allow_no_auth=True)
    assert "no password" in redis_url_problem("rediss://redis.internal/0", allow_no_auth=True)


def test_the_message_never_carries_the_url():
    assert "hunter2" not in redis_url_problem("redis://:hunter2@10.0.0.5:6379/0")


class Detonator:
    ran = False

    def __reduce__(self):
        return (setattr, (Detonator, "ran", True))


@pytest.fixture
def redis_caches(settings):
    """The vault and memo caches on the real test Redis, configured as production has them."""
    production = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": TEST_REDIS_URL,
        "OPTIONS": {"serializer": "securescope.redis_safety.BytesOnlySerializer"},
    }
    settings.CACHES = {**settings.CACHES, "vault": production, "scan_calls": production}
    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.flushdb()
    yield client
    caches["vault"].close()
    caches["scan_calls"].close()
    client.flushdb()


def test_a_pickle_planted_in_redis_is_read_as_bytes_and_never_run(redis_caches):
    Detonator.ran = False
    key = caches["vault"].make_and_validate_key("securescope:vault:planted")
    planted = pickle.dumps(Detonator())
    redis_caches.set(key, planted)

    assert caches["vault"].get("securescope:vault:planted") == planted
    assert Detonator.ran is False


def test_only_bytes_are_written():
    with pytest.raises(TypeError, match="only bytes"):
        BytesOnlySerializer().dumps({"a": 1})
    assert BytesOnlySerializer().dumps(b"token") == b"token"
