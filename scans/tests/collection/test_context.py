"""How a scan treats AWS's API budget: adaptive retries, a client-side pace per (account,
service, region), and a unit's collectors running side by side."""

import threading

import boto3
import pytest

from scans.collection.collectors import Collector
from scans.collection.context import (
    COLLECTOR_THREADS,
    MAX_ITEM_THREADS,
    UNIT_CONNECTIONS,
    CollectContext,
)
from scans.collection.inventory import AccountContext
from scans.lifecycle import units
from scans.tests.paging import serve_pages
from securescope import ratelimit
from securescope.ratelimit import TokenBucket, rate_limiter
from testing.aws import seed_region

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"


def new_ctx() -> CollectContext:
    return CollectContext(
        session=boto3.Session(), account=AccountContext(ACCOUNT_ID), region=REGION
    )


def test_clients_retry_adaptively_up_to_the_configured_attempts(settings):
    settings.AWS_MAX_ATTEMPTS = 5
    retries = new_ctx().client("ec2").meta.config.retries
    # total_max_attempts counts the first try: 5 requests at most, as the setting says.
    assert retries == {"mode": "adaptive", "total_max_attempts": 5}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_allows_its_burst_then_paces(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(ratelimit.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(ratelimit.time, "sleep", clock.sleep)
    bucket = TokenBucket(rate=4, burst=2)

    for _ in range(2):
        bucket.acquire()
    assert clock.slept == []
    for _ in range(3):
        bucket.acquire()
    assert clock.slept == pytest.approx([0.25, 0.25, 0.25])

    clock.now += 10  # idle time refills the bucket up to its burst only
    clock.slept.clear()
    for _ in range(3):
        bucket.acquire()
    assert clock.slept == pytest.approx([0.25])


def test_the_pace_follows_the_settings(settings):
    settings.AWS_CALLS_PER_SECOND = 5
    slow = rate_limiter(account=ACCOUNT_ID, service="eks", region=REGION)
    settings.AWS_CALLS_PER_SECOND = 50
    fast = rate_limiter(account=ACCOUNT_ID, service="eks", region=REGION)
    assert (slow.rate, slow.burst) == (5, 10)
    assert (fast.rate, fast.burst) == (50, 100)
    assert rate_limiter(account=ACCOUNT_ID, service="eks", region=REGION) is fast


def test_per_item_calls_fan_out_in_order_and_several_at_a_time():
    ctx = new_ctx()
    # Two items wait for each other: made one after the other, the barrier breaks.
    meeting = threading.Barrier(2, timeout=5)

    def read(item: int) -> int:
        if item < 2:
            meeting.wait()
        return item * 10

    try:
        assert ctx.fan_out("ec2", read, range(6)) == [0, 10, 20, 30, 40, 50]
    finally:
        ctx.close()
    assert not meeting.broken


def test_a_fan_out_inside_a_fan_out_runs_inline_instead_of_waiting_on_its_own_pool(settings):
    settings.AWS_CALLS_PER_SECOND = 1  # a pool of one thread for the service
    ctx = new_ctx()

    def outer(item: int) -> list[int]:
        return ctx.fan_out("eks", lambda inner: item * 10 + inner, [1, 2])

    try:
        assert ctx.fan_out("eks", outer, [1, 2]) == [[11, 12], [21, 22]]
    finally:
        ctx.close()


def test_a_fan_out_raises_the_first_failure_in_item_order():
    ctx = new_ctx()

    def read(item: int) -> int:
        if item % 2:
            raise ValueError(item)
        return item

    try:
        with pytest.raises(ValueError, match="1"):
            ctx.fan_out("s3", read, range(5))
    finally:
        ctx.close()


def test_a_units_clients_keep_a_connection_for_each_request_it_can_have_in_flight():
    ctx = new_ctx()
    try:
        assert ctx.client("ec2").meta.config.max_pool_connections == UNIT_CONNECTIONS
        assert UNIT_CONNECTIONS == COLLECTOR_THREADS + MAX_ITEM_THREADS
    finally:
        ctx.close()


def test_every_request_each_page_included_takes_a_token_from_its_bucket(aws, monkeypatch):
    taken = []

    class Recorder:
        def __init__(self, key: tuple[str, str, str]) -> None:
            self.key = key

        def acquire(self) -> None:
            taken.append(self.key)

    monkeypatch.setattr(
        "scans.collection.clients.rate_limiter",
        lambda *, account, service, region: Recorder((account, service, region)),
    )
    seed_region(REGION)
    groups = boto3.client("ec2", region_name=REGION).describe_security_groups()["SecurityGroups"]
    ctx = new_ctx()
    serve_pages(ctx.client("ec2"), "DescribeSecurityGroups", groups, size=1)

    ctx.paginate("ec2", "describe_security_groups", "SecurityGroups")
    ctx.call("kms", "list_aliases", region="us-west-2")

    assert taken == [(ACCOUNT_ID, "ec2", REGION)] * len(groups) + [(ACCOUNT_ID, "kms", "us-west-2")]


def test_a_units_collectors_run_concurrently(monkeypatch):
    # Each collector waits for the other: run one after the other, the barrier breaks.
    meeting = threading.Barrier(2, timeout=5)

    def meet(ctx: CollectContext) -> list:
        meeting.wait()
        return []

    stubs = [Collector(f"stub.{n}", "ec2", "region", (), (), meet) for n in ("first", "second")]
    monkeypatch.setattr(units, "collectors_for", lambda scope: stubs)

    collection = units._collect(new_ctx())

    assert collection.errors == []
    assert not meeting.broken
