"""Buckets sized by AWS's published throttles, and one bucket in Redis shared by every process."""

import multiprocessing
import time
import uuid

import pytest
import redis

from conftest import TEST_REDIS_URL
from securescope.privacy import account_hash
from securescope.ratelimit import (
    SERVICE_THROTTLES,
    RedisTokenBucket,
    TokenBucket,
    rate_limiter,
    service_throttle,
)

ACCOUNT_ID = "123456789012"


def test_a_published_throttle_sizes_its_services_bucket(settings):
    settings.AWS_CALLS_PER_SECOND = 20
    settings.AWS_API_SHARE = 1.0
    ec2 = service_throttle("ec2")
    # EC2's non-mutating actions: a bucket of 100, refilled by 20 a second.
    assert (ec2.burst, ec2.refill) == (100, 20)
    assert (service_throttle("cloudtrail").burst, service_throttle("cloudtrail").refill) == (10, 10)
    # No published figure: AWS_CALLS_PER_SECOND, with bursts of twice that.
    assert (service_throttle("eks").burst, service_throttle("eks").refill) == (40, 20)


def test_the_share_scales_every_bucket_down_and_the_cap_bounds_every_refill(settings):
    settings.AWS_CALLS_PER_SECOND = 20
    settings.AWS_API_SHARE = 0.5
    assert (service_throttle("ec2").burst, service_throttle("ec2").refill) == (50, 10)
    assert (service_throttle("eks").burst, service_throttle("eks").refill) == (20, 10)
    settings.AWS_API_SHARE = 1.0
    settings.AWS_CALLS_PER_SECOND = 5
    # Capped to a quarter of its refill, EC2's bucket shrinks in proportion.
    assert (service_throttle("ec2").burst, service_throttle("ec2").refill) == (25, 5)
    assert (service_throttle("securityhub").burst, service_throttle("securityhub").refill) == (
        15,
        5,
    )


def test_every_published_throttle_says_where_aws_publishes_it():
    for service, throttle in SERVICE_THROTTLES.items():
        assert "](https://docs.aws.amazon.com/" in throttle.source, service
        assert throttle.burst >= throttle.refill > 0, service


def test_embedded_buckets_live_in_the_process(settings):
    settings.REDIS_URL = ""
    assert isinstance(
        rate_limiter(account=ACCOUNT_ID, service="ec2", region="eu-west-1"), TokenBucket
    )


def test_with_redis_the_bucket_is_in_redis_under_the_accounts_hash(settings):
    settings.REDIS_URL = TEST_REDIS_URL
    region = f"test-{uuid.uuid4().hex[:8]}"
    bucket = rate_limiter(account=ACCOUNT_ID, service="ec2", region=region)
    assert isinstance(bucket, RedisTokenBucket)
    bucket.acquire()

    assert ACCOUNT_ID not in bucket.key
    assert account_hash(ACCOUNT_ID) in bucket.key
    client = redis.Redis.from_url(TEST_REDIS_URL)
    assert float(client.hget(bucket.key, "tokens")) == pytest.approx(99, abs=0.5)
    # A bucket left alone is full again after burst / refill seconds: it need not outlive that.
    assert 0 < client.ttl(bucket.key) <= 6
    client.delete(bucket.key)


RATE, BURST, WINDOW_SECONDS = 20.0, 5.0, 1.5


def _take_tokens(key: str, start_at: float, results: "multiprocessing.Queue") -> None:
    """In a process of its own: take tokens from the shared bucket until the window ends."""
    bucket = RedisTokenBucket(
        client=redis.Redis.from_url(TEST_REDIS_URL), key=key, rate=RATE, burst=BURST
    )
    while time.time() < start_at:
        time.sleep(0.001)
    granted, last = 0, start_at
    while time.time() < start_at + WINDOW_SECONDS:
        bucket.acquire()
        granted, last = granted + 1, time.time()
    results.put((granted, last))


@pytest.mark.subprocess
def test_two_processes_sharing_one_redis_bucket_never_exceed_its_rate():
    key = f"securescope:ratelimit:test:{uuid.uuid4().hex}"
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start_at = time.time() + 1.0
    workers = [
        context.Process(target=_take_tokens, args=(key, start_at, results)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)

    granted = sum(count for count, _ in outcomes)
    elapsed = max(last for _, last in outcomes) - start_at
    # Alone, each process would be granted about BURST + RATE * elapsed: together, no more.
    assert granted <= BURST + RATE * elapsed + 1
    assert all(count >= 1 for count, _ in outcomes)
    redis.Redis.from_url(TEST_REDIS_URL).delete(key)
