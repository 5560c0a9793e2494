"""What a collector sees of AWS: memoized calls, permission bookkeeping, caps and warnings.

One `CollectContext` per scan unit (a region, or the account-wide part). Collectors in the unit
run concurrently and share it, so two collectors that need the same Describe call share one
request. An account-wide call that several units need (IAM's OIDC providers: the global unit
lists them, every region with EKS clusters joins them) is shared across the scan's units, which
may run in other worker processes, through the `scan_calls` cache.

Every call is counted per operation, and every action is recorded as allowed, denied or
unavailable, which becomes the scan's record of the permissions it had.
"""

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError
from django.conf import settings
from django.core.cache import caches

from scans.collection.aws import (
    GLOBAL_API_REGION,
    THROTTLING_ERROR_CODES,
    error_code,
    is_access_denied,
    new_client,
)
from scans.collection.inventory import AccountContext
from securescope.ratelimit import rate_limiter
from securescope.resources import GLOBAL_REGION, Resource

# IAM actions whose name differs from the API operation's.
ACTION_OVERRIDES = {
    ("s3", "list_buckets"): "s3:ListAllMyBuckets",
    ("s3", "get_bucket_encryption"): "s3:GetEncryptionConfiguration",
    ("s3", "get_public_access_block"): "s3:GetBucketPublicAccessBlock",
    ("s3control", "get_public_access_block"): "s3:GetAccountPublicAccessBlock",
}
UNAVAILABLE_ERROR_CODES = frozenset(
    {"NotImplemented", "InvalidAction", "UnsupportedOperation", "UnknownOperationException"}
)
ItemT = TypeVar("ItemT")
# `_missing` reason of an item kept past SCAN_PER_ITEM_CALL_CAP: listed, not inspected.
NOT_INSPECTED = "not inspected: per-item call cap reached"
# What a unit leaves in the scan-wide memo while it makes the call the others wait for.
CALL_IN_PROGRESS = "in-progress"
SCAN_MEMO_POLL_SECONDS = 0.05


class ScanStopped(Exception):
    """The scan was cancelled, or its credentials left the vault: make no further AWS call."""


class CollectionError(Exception):
    def __init__(self, action: str, reason: str) -> None:
        super().__init__(f"{action}: {reason}")
        self.action = action
        self.reason = reason

    @property
    def summary(self) -> str:
        """What `_missing` and not-evaluated evidence say: the reason, then the action."""
        return f"{self.reason}: {self.action}"


class Denied(CollectionError):
    """The credentials may not make this call."""


class Unavailable(CollectionError):
    """The API does not answer here (not offered in the region, or not implemented by moto)."""


def _is_unavailable(error: Exception) -> bool:
    if isinstance(error, NotImplementedError | ResponseParserError):
        return True
    if isinstance(error, ClientError):
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message", "").lower()
        # AWS always names its errors; a bare HTTP status as the code means nothing behind the
        # endpoint knows the operation (moto's "not yet implemented" 404s and 500s).
        return code in UNAVAILABLE_ERROR_CODES or code.isdigit() or "not yet implemented" in message
    return False


def _strip_account_host_prefix(account_id: str) -> Callable[..., None]:
    """s3control puts the account id in front of the host, which a custom endpoint such as a
    moto server on 127.0.0.1 cannot resolve (see docs/moto.md)."""

    def strip(request: Any, **kwargs: Any) -> None:
        parts = urlsplit(request.url)
        if parts.netloc.startswith(f"{account_id}."):
            request.url = urlunsplit(parts._replace(netloc=parts.netloc[len(account_id) + 1 :]))

    return strip


def _replayed(outcome: tuple) -> Any:
    """What another unit's call returned, or the refusal it met, raised again here."""
    if outcome[0] == "ok":
        return outcome[1]
    refusal = {"Denied": Denied, "Unavailable": Unavailable}.get(outcome[0], CollectionError)
    raise refusal(outcome[1], outcome[2])


class CollectContext:
    def __init__(
        self,
        *,
        session: boto3.Session,
        account: AccountContext,
        region: str,
        endpoint_url: str = "",
        should_stop: Callable[[], bool] | None = None,
        scan_id: str = "",
    ) -> None:
        self.session = session
        # Without one (a collector under test) calls are shared within the unit only.
        self.scan_id = str(scan_id)
        # Asked before every request (pages included): the call boundary where a cancel lands.
        self.should_stop = should_stop
        self.endpoint_url = endpoint_url
        self.account = account
        self.region = region
        self.api_region = GLOBAL_API_REGION if region == GLOBAL_REGION else region
        self.permissions: dict[str, str] = {}
        self.api_calls: Counter[str] = Counter()
        self.warnings: list[str] = []
        self._clients: dict[tuple[str, str], Any] = {}
        self._memo: dict[tuple, Any] = {}
        self._key_locks: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str | None = None):
        """One client per (service, region) and unit; clients are thread safe, sessions not."""
        key = (service, region or self.api_region)
        with self._lock:
            if key not in self._clients:
                api_client = new_client(self.session, service, key[1], self.endpoint_url)
                # Count and pace every request the client makes, each page included.
                api_client.meta.events.register("before-call", self._before_call)
                if service == "s3control" and "amazonaws" not in api_client.meta.endpoint_url:
                    api_client.meta.events.register(
                        "before-send", _strip_account_host_prefix(self.account.account_id)
                    )
                self._clients[key] = api_client
            return self._clients[key]

    def _before_call(self, model: Any, **kwargs: Any) -> None:
        if self.should_stop is not None and self.should_stop():
            raise ScanStopped
        service = model.service_model.service_name
        region = kwargs.get("context", {}).get("client_region") or self.api_region
        rate_limiter(account=self.account.account_id, service=service, region=region).acquire()
        with self._lock:
            self.api_calls[f"{service}:{model.name}"] += 1

    def _action(self, api_client: Any, operation: str) -> str:
        service = api_client.meta.service_model.service_name
        if (service, operation) in ACTION_OVERRIDES:
            return ACTION_OVERRIDES[service, operation]
        prefix = api_client.meta.service_model.signing_name
        return f"{prefix}:{api_client.meta.method_to_api_mapping[operation]}"

    def _once(self, key: tuple, produce: Callable[[], Any]) -> Any:
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

    def _once_per_scan(self, key: tuple, produce: Callable[[], Any]) -> Any:
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

    def _record(self, action: str, status: str) -> None:
        with self._lock:
            # "denied" wins: one denied call is enough to list the action as missing.
            if self.permissions.get(action) != "denied":
                self.permissions[action] = status

    def _guarded(self, api_client: Any, operation: str, run: Callable[[], Any]) -> Any:
        action = self._action(api_client, operation)
        try:
            result = run()
        except Exception as error:
            if isinstance(error, ClientError) and is_access_denied(error):
                self._record(action, "denied")
                raise Denied(action, f"missing permission ({error_code(error)})") from None
            if _is_unavailable(error):
                self._record(action, "unavailable")
                raise Unavailable(action, "API unavailable") from None
            if isinstance(error, ClientError) and error_code(error) not in THROTTLING_ERROR_CODES:
                # "No such policy", "not enabled"...: AWS authorizes a call before it answers so.
                self._record(action, "ok")
            raise
        self._record(action, "ok")
        return result

    def call(
        self,
        service: str,
        operation: str,
        *,
        region: str | None = None,
        once_per_scan: bool = False,
        **params: Any,
    ):
        """One API call, made at most once per unit for the same parameters.

        `once_per_scan` for account-wide calls more than one unit makes: at most once per scan.
        """
        api_client = self.client(service, region)
        serialized = json.dumps(params, sort_keys=True, default=str)
        key = ("call", service, region, operation, serialized)

        def produce() -> Any:
            return self._guarded(
                api_client, operation, lambda: getattr(api_client, operation)(**params)
            )

        if not once_per_scan:
            return self._once(key, produce)
        scan_key = ("call", service, region or self.api_region, operation, serialized)
        return self._once(key, lambda: self._once_per_scan(scan_key, produce))

    def paginate(
        self,
        service: str,
        operation: str,
        result_key: str,
        *,
        region: str | None = None,
        **params: Any,
    ) -> list:
        """Every item of a paginated list, fetched once per unit for the same parameters."""
        api_client = self.client(service, region)
        key = (
            "pages",
            service,
            region,
            operation,
            result_key,
            json.dumps(params, sort_keys=True, default=str),
        )

        def fetch() -> list:
            pages = api_client.get_paginator(operation).paginate(**params)
            return [item for page in pages for item in page.get(result_key, [])]

        return self._once(key, lambda: self._guarded(api_client, operation, fetch))

    def arn(self, service: str, resource: str, *, region: str | None = None) -> str:
        return self.account.arn(service, self.region if region is None else region, resource)

    def resource(self, resource_type: str, arn: str, data: dict[str, Any]) -> Resource:
        return Resource(type=resource_type, arn=arn, region=self.region, data=data)

    def warn(self, message: str) -> None:
        with self._lock:
            if message not in self.warnings:
                self.warnings.append(message)

    def capped(self, items: Iterable[ItemT], *, cap: int, what: str) -> list[ItemT]:
        """At most `cap` items, with a warning naming what was left out."""
        items = list(items)
        if len(items) > cap:
            self.warn(f"Only the first {cap} of {len(items)} {what} were inspected (cap).")
        return items[:cap]
