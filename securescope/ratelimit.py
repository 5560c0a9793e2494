"""Client-side token buckets per (account, region, service), sized by AWS's published throttles.

AWS throttles read calls per account and region with token buckets shared with the customer's own
workloads; a scanner that bursts can starve their autoscaling. Each service's bucket here has the
size and refill AWS documents for the calls a scan makes (`SERVICE_THROTTLES`), scaled by
AWS_API_SHARE and capped by AWS_CALLS_PER_SECOND. Adaptive retries back off once AWS says no;
these buckets keep a scan under AWS's limits before it has to.

Embedded, the buckets live in the process. With REDIS_URL set, one bucket in Redis serves every
worker process on every machine, so any number of workers scanning one account stay within the
account's limits together. Its key carries the account's keyed hash, never the account id.
"""

import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import redis
from django.conf import settings

from securescope.privacy import account_hash


@dataclass(frozen=True)
class Throttle:
    # Requests AWS allows at once (the bucket's size) and per second after that (its refill).
    burst: float
    refill: float
    # What AWS's documentation says, for the README's table.
    source: str = ""


# The read calls of a scan, by AWS's documentation. Where AWS gives one bucket per action (EC2),
# the scan's actions share one of that size: the scan stays within each of AWS's.
SERVICE_THROTTLES: dict[str, Throttle] = {
    "ec2": Throttle(
        100,
        20,
        "[EC2 API throttling](https://docs.aws.amazon.com/ec2/latest/devguide/"
        "ec2-api-throttling.html): non-mutating actions, bucket 100, refill 20 per second",
    ),
    "cloudtrail": Throttle(
        10,
        10,
        "[CloudTrail quotas](https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
        "WhatIsCloudTrail-Limits.html): get, describe and list APIs, 10 per second",
    ),
    "securityhub": Throttle(
        30,
        10,
        "[Security Hub API reference](https://docs.aws.amazon.com/securityhub/1.0/APIReference/"
        "Welcome.html): operations other than those listed, 10 per second, bursts of 30",
    ),
}


class Bucket(Protocol):
    def acquire(self) -> None: ...


class TokenBucket:
    """A bucket of this process."""

    def __init__(self, *, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Take one token, sleeping until one is available."""
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            time.sleep(wait)


# Takes a token or says how long until one is due, atomically: the refill follows Redis's own
# clock, so the workers' clocks need not agree. An untouched bucket is full, so it may expire
# once it would have refilled.
BUCKET_TAKE_SCRIPT = """
local burst, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class RedisTokenBucket:
    """A bucket in Redis, shared by every process that names the same key."""

    def __init__(self, *, client: redis.Redis, key: str, rate: float, burst: float) -> None:
        self.key = key
        self.rate = rate
        self.burst = burst
        self._take = client.register_script(BUCKET_TAKE_SCRIPT)

    def acquire(self) -> None:
        """Take one token, sleeping until one is due."""
        while (wait := float(self._take(keys=[self.key], args=[self.burst, self.rate]))) > 0:
            time.sleep(wait)


def service_throttle(service: str) -> Throttle:
    """The bucket a scan uses for `service`: AWS's published figures, or AWS_CALLS_PER_SECOND
    (bursts of twice that) where AWS publishes none, then scaled by AWS_API_SHARE. The refill
    never exceeds AWS_CALLS_PER_SECOND; a capped bucket shrinks in proportion."""
    cap = settings.AWS_CALLS_PER_SECOND
    published = SERVICE_THROTTLES.get(service, Throttle(burst=2 * cap, refill=cap))
    capped = min(1.0, cap / published.refill)
    share = settings.AWS_API_SHARE
    return Throttle(
        burst=max(1.0, published.burst * capped * share),
        refill=published.refill * capped * share,
        source=published.source,
    )


@cache
def _local_bucket(account: str, service: str, region: str, rate: float, burst: float) -> Bucket:
    return TokenBucket(rate=rate, burst=burst)


@cache
def _redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


@cache
def _shared_bucket(
    url: str, account: str, service: str, region: str, rate: float, burst: float
) -> Bucket:
    key = f"securescope:ratelimit:{account_hash(account)}:{region}:{service}"
    return RedisTokenBucket(client=_redis_client(url), key=key, rate=rate, burst=burst)


def rate_limiter(*, account: str, service: str, region: str) -> Bucket:
    throttle = service_throttle(service)
    if settings.REDIS_URL:
        return _shared_bucket(
            settings.REDIS_URL, account, service, region, throttle.refill, throttle.burst
        )
    return _local_bucket(account, service, region, throttle.refill, throttle.burst)
