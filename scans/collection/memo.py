"""The call memo: a call made once per unit, and an account-wide call once per scan.

Collectors in a unit run concurrently and share the unit's memo, so two collectors that need the
same Describe call share one request. An account-wide call that several units need (IAM's OIDC
providers: the global unit lists them, every region with EKS clusters joins them) is shared
across the scan's units, which may run in other worker processes, through the `scan_calls`
cache. A refusal is remembered like an answer: AWS is asked once, every caller is told.
"""

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches

from scans.collection.clients import ScanStopped
from scans.collection.ledger import CollectionError, Denied, Unavailable

# What a unit leaves in the scan-wide memo while it makes the call the others wait for.
CALL_IN_PROGRESS = "in-progress"
SCAN_MEMO_POLL_SECONDS = 0.05


def _replayed(outcome: tuple) -> Any:
    """What another unit's call returned, or the refusal it met, raised again here."""
    if outcome[0] == "ok":
        return outcome[1]
    refusal = {"Denied": Denied, "Unavailable": Unavailable}.get(outcome[0], CollectionError)
    raise refusal(outcome[1], outcome[2])


class CallMemo:
    def __init__(self, *, scan_id: str = "", should_stop: Callable[[], bool] | None = None) -> None:
        # Without one (a collector under test) calls are shared within the unit only.
        self.scan_id = str(scan_id)
        self.should_stop = should_stop
        self._memo: dict[tuple, Any] = {}
        self._key_locks: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()

    def once(self, key: tuple, produce: Callable[[], Any]) -> Any:
        """`produce()` made once for the unit; callers of the same key wait for and reuse it."""
        with self._lock:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._memo:
                try:
                    self._memo[key] = produce()
                except CollectionError as error:
                    # Denied or unavailable stays so for the unit: ask AWS once, tell every caller.
                    self._memo[key] = error
            result = self._memo[key]
        if isinstance(result, CollectionError):
            raise type(result)(result.action, result.reason)
        return result

    def once_per_scan(self, key: tuple, produce: Callable[[], Any]) -> Any:
        """`produce()` made by one unit of the scan; the others wait for and reuse its outcome.

        `cache.add` is the lock. A unit whose call fails in another way gives the slot back, and
        a waiter whose owner vanished (a killed worker) makes the call itself after the longest
        a call can take with its retries.
        """
        if not self.scan_id:
            return produce()
        memo = caches["scan_calls"]
        digest = hashlib.sha256(repr(key).encode()).hexdigest()
        cache_key = f"{self.scan_id}:{digest}"
        longest_call = settings.AWS_CALL_TIMEOUT_SECONDS * settings.AWS_MAX_ATTEMPTS
        give_up_at = time.monotonic() + longest_call
        while not memo.add(cache_key, CALL_IN_PROGRESS, timeout=longest_call):
            outcome = memo.get(cache_key)
            if outcome not in (None, CALL_IN_PROGRESS):
                return _replayed(outcome)
            if time.monotonic() > give_up_at:
                return produce()
            if self.should_stop is not None and self.should_stop():
                raise ScanStopped
            time.sleep(SCAN_MEMO_POLL_SECONDS)
        try:
            result = produce()
        except CollectionError as error:
            memo.set(
                cache_key,
                (type(error).__name__, error.action, error.reason),
                timeout=settings.VAULT_TTL_SECONDS,
            )
            raise
        except BaseException:
            memo.delete(cache_key)
            raise
        # The scan cannot outlive its credentials, nor its memo them.
        memo.set(cache_key, ("ok", result), timeout=settings.VAULT_TTL_SECONDS)
        return result
