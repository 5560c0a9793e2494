"""A running scan's page polls its progress partial; the partial alone renders for HTMX."""

import threading
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from scans.collection.collectors import Collector
from scans.collection.context import CollectContext
from scans.collection.inventory import AccountContext
from scans.lifecycle import units
from scans.models import Scan, ScanRegion
from securescope.resources import Resource
from testing.factories import create_scan, create_scan_region, create_user

pytestmark = pytest.mark.django_db


def test_running_scan_polls_and_partial_does_not_reload(client):
    scan = create_scan(status=Scan.Status.RUNNING, finished_at=None)
    create_scan_region(scan, region="global", status=ScanRegion.Status.SUCCEEDED)
    create_scan_region(scan, region="eu-west-1", status=ScanRegion.Status.RUNNING)
    client.force_login(create_user())
    page = client.get(reverse("scan_pages:detail", args=[scan.id]))
    assert b'hx-trigger="every 2s"' in page.content
    assert b"Findings</h2>" not in page.content
    partial = client.get(reverse("scans:progress", args=[scan.id]), headers={"HX-Request": "true"})
    assert b"<html" not in partial.content
    assert b"account-wide" in partial.content
    assert "HX-Refresh" not in partial


def test_regions_never_scanned_before_take_as_long_as_this_scans_finished_ones(client):
    now = timezone.now()
    scan = create_scan(status=Scan.Status.RUNNING, finished_at=None)
    create_scan_region(
        scan,
        region="eu-central-1",
        status=ScanRegion.Status.SUCCEEDED,
        started_at=now - timedelta(seconds=30),
        finished_at=now - timedelta(seconds=20),
    )
    for region in ("eu-west-1", "us-west-2"):
        create_scan_region(scan, region=region, status=ScanRegion.Status.RUNNING, started_at=now)
    create_scan_region(scan, region="ap-south-1", status=ScanRegion.Status.PENDING)
    client.force_login(create_user())
    partial = client.get(reverse("scans:progress", args=[scan.id]), headers={"HX-Request": "true"})
    left = {unit.region: unit.seconds_left for unit in partial.context["units"]}
    # Ten seconds each, two at a time: the pending region starts when a running one ends.
    assert left["eu-central-1"] is None
    assert left["eu-west-1"] == left["us-west-2"] in (9, 10)  # 10 s less the request so far
    assert left["ap-south-1"] == left["eu-west-1"] + 10
    assert partial.context["seconds_left"] == left["ap-south-1"]
    assert f"about {left['ap-south-1']} s left".encode() in partial.content


def region_took_yesterday(region: str, *, seconds: int, account_hash: str = "a" * 64) -> None:
    finished_at = timezone.now() - timedelta(days=1)
    earlier = create_scan(account_hash=account_hash, created_at=finished_at)
    create_scan_region(
        earlier,
        region=region,
        status=ScanRegion.Status.SUCCEEDED,
        started_at=finished_at - timedelta(seconds=seconds),
        finished_at=finished_at,
    )


@time_machine.travel(datetime(2026, 5, 1, 12, tzinfo=UTC), tick=False)
def test_each_unfinished_region_shows_the_time_it_took_last_time_less_what_it_has_run(client):
    now = timezone.now()
    region_took_yesterday("eu-west-1", seconds=40)
    # Another account's history says nothing about this one.
    region_took_yesterday("us-west-2", seconds=90, account_hash="f" * 64)
    scan = create_scan(status=Scan.Status.RUNNING, finished_at=None)
    create_scan_region(
        scan,
        region="eu-west-1",
        status=ScanRegion.Status.RUNNING,
        started_at=now - timedelta(seconds=10),
    )
    create_scan_region(scan, region="us-west-2", status=ScanRegion.Status.PENDING)
    client.force_login(create_user())
    partial = client.get(reverse("scans:progress", args=[scan.id]), headers={"HX-Request": "true"})
    left = {unit.region: unit.seconds_left for unit in partial.context["units"]}
    assert left["us-west-2"] is None
    assert left["eu-west-1"] == 30  # 40 s last time, 10 s so far
    assert f"about {left['eu-west-1']} s</td>".encode() in partial.content


def test_a_finished_unit_shows_no_time_left(client):
    now = timezone.now()
    region_took_yesterday("eu-west-1", seconds=40)
    scan = create_scan(status=Scan.Status.RUNNING, finished_at=None)
    create_scan_region(
        scan,
        region="eu-west-1",
        status=ScanRegion.Status.SUCCEEDED,
        started_at=now - timedelta(seconds=10),
        finished_at=now,
    )
    client.force_login(create_user())
    page = client.get(reverse("scan_pages:detail", args=[scan.id]))
    assert [unit.seconds_left for unit in page.context["units"]] == [None]


def test_the_headings_time_left_is_when_the_last_unit_ends(client):
    client.force_login(create_user())
    region_took_yesterday("eu-west-1", seconds=40)
    region_took_yesterday("us-west-2", seconds=90)
    region_took_yesterday("ap-south-1", seconds=20)
    now = timezone.now()
    scan = create_scan(status=Scan.Status.RUNNING, finished_at=None)
    create_scan_region(
        scan,
        region="eu-west-1",
        status=ScanRegion.Status.RUNNING,
        started_at=now - timedelta(seconds=10),
    )
    create_scan_region(scan, region="us-west-2", status=ScanRegion.Status.RUNNING, started_at=now)
    create_scan_region(scan, region="ap-south-1", status=ScanRegion.Status.PENDING)

    partial = client.get(reverse("scans:progress", args=[scan.id]), headers={"HX-Request": "true"})

    left = {unit.region: unit.seconds_left for unit in partial.context["units"]}
    # Two run side by side: ap-south-1 starts when eu-west-1 (the first to end) does.
    assert left["ap-south-1"] == left["eu-west-1"] + 20
    assert partial.context["seconds_left"] == left["us-west-2"] == max(left.values())
    assert f"about {left['us-west-2']} s left".encode() in partial.content


def test_no_heading_figure_while_a_unit_cannot_be_told(client):
    region_took_yesterday("eu-west-1", seconds=40)
    scan = create_scan(status=Scan.Status.RUNNING, finished_at=None)
    create_scan_region(
        scan, region="eu-west-1", status=ScanRegion.Status.RUNNING, started_at=timezone.now()
    )
    create_scan_region(scan, region="us-west-2", status=ScanRegion.Status.PENDING)
    client.force_login(create_user())

    partial = client.get(reverse("scans:progress", args=[scan.id]), headers={"HX-Request": "true"})

    assert partial.context["seconds_left"] is None
    assert b"s left" not in partial.content


def test_the_progress_table_grows_as_each_collector_ends(client, monkeypatch):
    scan = create_scan(status=Scan.Status.RUNNING, finished_at=None)
    unit = create_scan_region(
        scan, region="eu-west-1", status=ScanRegion.Status.RUNNING, collectors_total=2
    )
    slow_may_end = threading.Event()

    def quick(ctx: CollectContext) -> list[Resource]:
        return [
            Resource("AWS::EC2::Volume", f"arn:aws:ec2:::volume/v{n}", ctx.region) for n in (1, 2)
        ]

    def slow(ctx: CollectContext) -> list[Resource]:
        assert slow_may_end.wait(timeout=10)
        return [Resource("AWS::EC2::Volume", "arn:aws:ec2:::volume/v3", ctx.region)]

    stubs = [
        Collector(name, "ec2", "region", (), (), fn)
        for name, fn in (("slow", slow), ("quick", quick))
    ]
    monkeypatch.setattr(units, "collectors_for", lambda scope: stubs)
    client.force_login(create_user())
    tables = []
    record = units._unit_progress(unit)

    def record_and_look(done: int, resources: int) -> None:
        record(done, resources)
        progress = reverse("scans:progress", args=[scan.id])
        tables.append(client.get(progress, headers={"HX-Request": "true"}))
        slow_may_end.set()

    ctx = CollectContext(
        session=boto3.Session(), account=AccountContext("123456789012"), region="eu-west-1"
    )
    units._collect(ctx, progress=record_and_look)

    assert [
        (t.context["units"][0].collectors_done, t.context["units"][0].resources_collected)
        for t in tables
    ] == [(1, 2), (2, 3)]
    assert b'<td class="collectors">1/2</td>' in tables[0].content
