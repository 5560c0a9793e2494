"""A running scan's page polls its progress partial; the partial alone renders for HTMX."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from conftest import create_scan, create_scan_region, create_user
from scans.models import Scan, ScanRegion

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


def test_time_left_is_estimated_from_finished_units(client):
    now = timezone.now()
    scan = create_scan(status=Scan.Status.RUNNING, finished_at=None)
    create_scan_region(
        scan,
        region="global",
        status=ScanRegion.Status.SUCCEEDED,
        started_at=now - timedelta(seconds=30),
        finished_at=now - timedelta(seconds=20),
    )
    for region in ("eu-west-1", "us-west-2"):
        create_scan_region(scan, region=region, status=ScanRegion.Status.RUNNING, started_at=now)
    create_scan_region(scan, region="ap-south-1", status=ScanRegion.Status.PENDING)
    client.force_login(create_user())
    partial = client.get(reverse("scans:progress", args=[scan.id]), headers={"HX-Request": "true"})
    # Three units left at ten seconds each, two at a time.
    assert partial.context["seconds_left"] == 15
    assert b"about 15 s left" in partial.content


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
