"""A client-side token bucket per (account, service, region).

AWS throttles read calls per account and region with token buckets shared with the customer's own
workloads; a scanner that bursts can starve their autoscaling. Adaptive retries back off once AWS
says no; this bucket keeps us under a configured pace before it has to.
"""

import threading
import time
from functools import cache

from django.conf import settings


class TokenBucket:
    def __init__(self, *, rate: float, burst: int) -> None:
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


@cache
def _bucket(account: str, service: str, region: str, rate: float, burst: int) -> TokenBucket:
    return TokenBucket(rate=rate, burst=burst)


def rate_limiter(*, account: str, service: str, region: str) -> TokenBucket:
    rate = settings.AWS_CALLS_PER_SECOND
    return _bucket(account, service, region, rate, max(1, int(rate * 2)))
