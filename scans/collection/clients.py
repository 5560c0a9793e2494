"""AWS clients for one scan unit: one per (service, region), every request paced and counted.

Each request (every page included) first asks whether the scan should stop, then takes a token
from the account's rate limiter for its service and region, and is counted per operation. The
clients come from the unit's one session and keep as many connections alive as the unit has
requests in flight.
"""

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3

from scans.collection.aws import new_client
from scans.collection.inventory import AccountContext
from securescope.ratelimit import Bucket, rate_limiter


class ScanStopped(Exception):
    """The scan was cancelled, or its credentials left the vault: make no further AWS call."""


def _strip_account_host_prefix(account_id: str) -> Callable[..., None]:
    """s3control puts the account id in front of the host, which a custom endpoint such as a
    moto server on 127.0.0.1 cannot resolve (see docs/moto.md)."""

    def strip(request: Any, **kwargs: Any) -> None:
        parts = urlsplit(request.url)
        if parts.netloc.startswith(f"{account_id}."):
            request.url = urlunsplit(parts._replace(netloc=parts.netloc[len(account_id) + 1 :]))

    return strip


class ClientFactory:
    def __init__(
        self,
        *,
        session: boto3.Session,
        account: AccountContext,
        api_region: str,
        endpoint_url: str = "",
        should_stop: Callable[[], bool] | None = None,
        max_pool_connections: int | None = None,
    ) -> None:
        self.session = session
        self.account = account
        self.api_region = api_region
        self.endpoint_url = endpoint_url
        # Asked before every request (pages included): the call boundary where a cancel lands.
        self.should_stop = should_stop
        self.max_pool_connections = max_pool_connections
        self.api_calls: Counter[str] = Counter()
        self._clients: dict[tuple[str, str], Any] = {}
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._lock = threading.Lock()

    def stop_requested(self) -> bool:
        return self.should_stop is not None and self.should_stop()

    def client(self, service: str, region: str | None = None):
        """One client per (service, region) and unit; clients are thread safe, sessions not."""
        key = (service, region or self.api_region)
        with self._lock:
            if key not in self._clients:
                api_client = new_client(
                    self.session,
                    service,
                    key[1],
                    self.endpoint_url,
                    max_pool_connections=self.max_pool_connections,
                )
                # Count and pace every request the client makes, each page included.
                api_client.meta.events.register("before-call", self._before_call)
                if service == "s3control" and "amazonaws" not in api_client.meta.endpoint_url:
                    api_client.meta.events.register(
                        "before-send", _strip_account_host_prefix(self.account.account_id)
                    )
                self._clients[key] = api_client
            return self._clients[key]

    def close(self) -> None:
        """Close every client's connections and forget the clients (each holds the keys)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for api_client in clients:
            api_client.close()

    def _before_call(self, model: Any, **kwargs: Any) -> None:
        if self.stop_requested():
            raise ScanStopped
        service = model.service_model.service_name
        region = kwargs.get("context", {}).get("client_region") or self.api_region
        self._bucket(service, region).acquire()
        with self._lock:
            self.api_calls[f"{service}:{model.name}"] += 1

    def _bucket(self, service: str, region: str) -> Bucket:
        bucket = self._buckets.get((service, region))
        if bucket is None:
            bucket = rate_limiter(account=self.account.account_id, service=service, region=region)
            self._buckets[service, region] = bucket
        return bucket
