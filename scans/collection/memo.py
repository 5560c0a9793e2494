"""The call memo: a call made once per unit, and an account-wide call once per scan.

Collectors in a unit run concurrently and share the unit's memo, so two collectors that need the
same Describe call share one request. An account-wide call that several units need (IAM's OIDC
providers: the global unit lists them, every region with EKS clusters joins them) is shared
across the scan's units, which may run in other worker processes, through the `scan_calls`
cache. A refusal is remembered like an answer: AWS is asked once, every caller is told.

What the scan-wide memo holds is an AWS answer, with account ids and ARNs in it: it is stored
encrypted with a key derived from SECRET_KEY (as the vault is), bound to its cache key, as
JSON (never a pickle), and `scan_memo_delete` removes all of it when the scan ends.
"""

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import caches

from scans.collection.clients import ScanStopped
from scans.collection.ledger import CollectionError, Denied, Unavailable
from scans.collection.vault import seal, unseal

# What a unit leaves in the scan-wide memo while it makes the call the others wait for.
CALL_IN_PROGRESS = b"in-progress"
SCAN_MEMO_POLL_SECONDS = 0.05
MEMO_PURPOSE = b"securescope scan call memo"
DATETIME_TAG = "$datetime"
BYTES_TAG = "$bytes"


class _AnswerEncoder(json.JSONEncoder):
    """botocore answers as JSON: their timestamps and blobs tagged so they come back as such."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return {DATETIME_TAG: o.isoformat()}
        if isinstance(o, bytes):
            return {BYTES_TAG: base64.b64encode(o).decode()}
        return super().default(o)


def _answer_decoded(obj: dict) -> Any:
    if obj.keys() == {DATETIME_TAG}:
        return datetime.fromisoformat(obj[DATETIME_TAG])
    if obj.keys() == {BYTES_TAG}:
        return base64.b64decode(obj[BYTES_TAG])
    return obj


def _slot_key(scan_id: str, slot: int) -> str:
    return f"{scan_id}:slot:{slot}"


def _slot_register(memo: Any, scan_id: str, cache_key: str) -> None:
    """Note `cache_key` under the scan's next free slot, so the scan's end finds it again."""
    slot = 0
    while not memo.add(
        _slot_key(scan_id, slot), cache_key.encode(), timeout=settings.VAULT_TTL_SECONDS
    ):
        slot += 1


def scan_memo_delete(*, scan_id: str) -> None:
    """Everything the scan's units shared through the scan-wide memo, deleted."""
    memo = caches["scan_calls"]
    slot = 0
    while (cache_key := memo.get(_slot_key(str(scan_id), slot))) is not None:
        memo.delete_many([cache_key.decode(), _slot_key(str(scan_id), slot)])
        slot += 1


def _replayed(outcome: list) -> Any:
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
            token = memo.get(cache_key)
            if token not in (None, CALL_IN_PROGRESS):
                outcome = unseal(
                    cache_key=cache_key,
                    token=token,
                    purpose=MEMO_PURPOSE,
                    object_hook=_answer_decoded,
                )
                if outcome is None:
                    # Not sealed with this installation's key: never trusted, asked again.
                    return produce()
                return _replayed(outcome)
            if time.monotonic() > give_up_at:
                return produce()
            if self.should_stop is not None and self.should_stop():
                raise ScanStopped
            time.sleep(SCAN_MEMO_POLL_SECONDS)
        _slot_register(memo, self.scan_id, cache_key)
        try:
            result = produce()
        except CollectionError as error:
            self._share(memo, cache_key, [type(error).__name__, error.action, error.reason])
            raise
        except BaseException:
            memo.delete(cache_key)
            raise
        self._share(memo, cache_key, ["ok", result])
        return result

    def _share(self, memo: Any, cache_key: str, outcome: list) -> None:
        # The scan cannot outlive its credentials, nor its memo them.
        token = seal(
            cache_key=cache_key, value=outcome, purpose=MEMO_PURPOSE, encoder=_AnswerEncoder
        )
        memo.set(cache_key, token, timeout=settings.VAULT_TTL_SECONDS)
        if self.should_stop is not None and self.should_stop():
            # The scan ended while this call ran: its memo may already have been deleted.
            memo.delete(cache_key)
