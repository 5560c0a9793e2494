"""What a collector sees of AWS: one `CollectContext` per scan unit (a region, or the
account-wide part), shared by the unit's collectors, which run concurrently.

It puts together three parts, each with one job: the `ClientFactory` (clients, pacing, call
counts, stopping), the `CallMemo` (each call once per unit, account-wide calls once per scan)
and the `PermissionLedger` (which actions were allowed, denied or unavailable, and warnings).
"""

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import boto3

from scans.collection.aws import GLOBAL_API_REGION
from scans.collection.clients import ClientFactory, ScanStopped
from scans.collection.inventory import AccountContext
from scans.collection.ledger import CollectionError, Denied, PermissionLedger, Unavailable
from scans.collection.memo import CallMemo
from securescope.ratelimit import service_throttle
from securescope.resources import GLOBAL_REGION, Resource

# Collectors take the refusals they catch from here, with the context that raises them.
__all__ = [
    "NOT_INSPECTED",
    "CollectContext",
    "CollectionError",
    "Denied",
    "ScanStopped",
    "Unavailable",
]

# IAM actions whose name differs from the API operation's.
ACTION_OVERRIDES = {
    ("s3", "list_buckets"): "s3:ListAllMyBuckets",
    ("s3", "get_bucket_encryption"): "s3:GetEncryptionConfiguration",
    ("s3", "get_public_access_block"): "s3:GetBucketPublicAccessBlock",
    ("s3control", "get_public_access_block"): "s3:GetAccountPublicAccessBlock",
}
ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
# A unit's collectors run this many at a time.
COLLECTOR_THREADS = 4
# Per-item calls of one service run at most this many at a time in a unit, fewer where the
# service's bucket refills slower (securescope.ratelimit): the bucket, not the pool, sets the pace.
MAX_ITEM_THREADS = 8
# Requests one client of the unit can have in flight: every collector, and one service's items.
UNIT_CONNECTIONS = COLLECTOR_THREADS + MAX_ITEM_THREADS
# The `Resource.missing` reason of an item kept past SCAN_PER_ITEM_CALL_CAP: listed, not read.
NOT_INSPECTED = "not inspected: per-item call cap reached"
# The ARN hashed for the stand-in of a type a unit could not list (the README's ARN table).
NOT_COLLECTED_ARN_FORM = "arn:aws:SERVICE:REGION:ACCOUNT:not-collected/TYPE"


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
        self.account = account
        self.region = region
        self.api_region = GLOBAL_API_REGION if region == GLOBAL_REGION else region
        self.clients = ClientFactory(
            session=session,
            account=account,
            api_region=self.api_region,
            endpoint_url=endpoint_url,
            should_stop=should_stop,
            max_pool_connections=UNIT_CONNECTIONS,
        )
        self.memo = CallMemo(scan_id=scan_id, should_stop=should_stop)
        self.ledger = PermissionLedger()
        self._item_pools: dict[str, ThreadPoolExecutor] = {}
        self._item_pools_lock = threading.Lock()
        self._in_item_pool = threading.local()

    def close(self) -> None:
        """Collection is over: the clients go, and with them the unit's hold on its keys."""
        with self._item_pools_lock:
            pools, self._item_pools = list(self._item_pools.values()), {}
        for pool in pools:
            pool.shutdown(cancel_futures=True)
        self.clients.close()

    def fan_out(
        self, service: str, function: Callable[[ItemT], ResultT], items: Iterable[ItemT]
    ) -> list[ResultT]:
        """`function(item)` for every item, in order, several at a time on the unit's pool for
        `service` (per-item calls: snapshot attributes, per-cluster, per-bucket, per-key).

        The first exception raised, in item order, is raised here and the items not started
        are dropped. Called from inside one of its own items, it runs them one by one: a pool
        never waits on itself.
        """
        items = list(items)
        if len(items) < 2 or getattr(self._in_item_pool, "active", False):
            return [function(item) for item in items]

        def run(item: ItemT) -> ResultT:
            self._in_item_pool.active = True
            try:
                return function(item)
            finally:
                self._in_item_pool.active = False

        futures = [self._item_pool(service).submit(run, item) for item in items]
        try:
            return [future.result() for future in futures]
        finally:
            for future in futures:
                future.cancel()

    def _item_pool(self, service: str) -> ThreadPoolExecutor:
        with self._item_pools_lock:
            if service not in self._item_pools:
                size = max(1, min(MAX_ITEM_THREADS, int(service_throttle(service).refill)))
                self._item_pools[service] = ThreadPoolExecutor(
                    max_workers=size, thread_name_prefix=f"items-{service}"
                )
            return self._item_pools[service]

    @property
    def scan_id(self) -> str:
        return self.memo.scan_id

    @property
    def api_calls(self) -> Counter[str]:
        """Requests made, by "service:Operation", each page counted."""
        return self.clients.api_calls

    @property
    def permissions(self) -> dict[str, str]:
        return self.ledger.permissions

    @property
    def warnings(self) -> list[str]:
        return self.ledger.warnings

    def client(self, service: str, region: str | None = None):
        return self.clients.client(service, region)

    def _action(self, api_client: Any, operation: str) -> str:
        service = api_client.meta.service_model.service_name
        if (service, operation) in ACTION_OVERRIDES:
            return ACTION_OVERRIDES[service, operation]
        prefix = api_client.meta.service_model.signing_name
        return f"{prefix}:{api_client.meta.method_to_api_mapping[operation]}"

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
        action = self._action(api_client, operation)

        def produce() -> Any:
            return self.ledger.guarded(action, lambda: getattr(api_client, operation)(**params))

        if not once_per_scan:
            return self.memo.once(key, produce)
        scan_key = ("call", service, region or self.api_region, operation, serialized)
        return self.memo.once(key, lambda: self.memo.once_per_scan(scan_key, produce))

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

        action = self._action(api_client, operation)
        return self.memo.once(key, lambda: self.ledger.guarded(action, fetch))

    def arn(self, service: str, resource: str, *, region: str | None = None) -> str:
        return self.account.arn(service, self.region if region is None else region, resource)

    def resource(
        self,
        resource_type: str,
        arn: str,
        data: dict[str, Any],
        *,
        missing: Mapping[str, str] | None = None,
    ) -> Resource:
        """A resource of this unit; `missing` names the fields that could not be read, and why."""
        return Resource(
            type=resource_type, arn=arn, region=self.region, data=data, missing=dict(missing or {})
        )

    def not_collected(self, resource_type: str, reason: str) -> Resource:
        """Stands for every resource of a type the unit could not list, so its rules say why."""
        service = resource_type.split("::")[1].lower()
        return Resource(
            type=resource_type,
            arn=self.arn(service, f"not-collected/{resource_type}"),
            region=self.region,
            not_collected=reason,
        )

    def warn(self, message: str) -> None:
        self.ledger.warn(message)

    def capped(self, items: Iterable[ItemT], *, cap: int, what: str) -> list[ItemT]:
        """At most `cap` items, with a warning naming what was left out."""
        items = list(items)
        if len(items) > cap:
            self.warn(f"Only the first {cap} of {len(items)} {what} were inspected (cap).")
        return items[:cap]
