"""Cancelling a running scan: credentials deleted at once, workers stop at their next AWS call."""

import threading
import uuid
from dataclasses import replace

import boto3
import pytest
from django.core.management import call_command
from django.urls import reverse

from findings.models import Finding
from scans.collection.aws import AwsCredentials
from scans.collection.collectors import REGISTRY
from scans.collection.context import CollectContext, ScanStopped
from scans.collection.inventory import AccountContext
from scans.collection.vault import vault_get
from scans.lifecycle.services import scan_start, scan_wait
from scans.models import Scan, ScanRegion
from testing.factories import create_scan, create_scan_region, create_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_context_makes_no_call_once_told_to_stop(aws):
    stop = threading.Event()
    ctx = CollectContext(
        session=boto3.Session(),
        account=AccountContext("123456789012", "aws"),
        region="eu-west-1",
        should_stop=stop.is_set,
    )
    ctx.call("ec2", "describe_vpcs")
    stop.set()

    with pytest.raises(ScanStopped):
        ctx.paginate("ec2", "describe_security_groups", "SecurityGroups")
    assert dict(ctx.api_calls) == {"ec2:DescribeVpcs": 1}


class BlockingCollector:
    """Makes one call, waits until the test has cancelled the scan, then tries another."""

    def __init__(self) -> None:
        self.first_call_made = threading.Event()
        self.cancelled = threading.Event()
        self.second_call: str | None = None
        self.finished = threading.Event()

    def __call__(self, ctx: CollectContext) -> list:
        ctx.call("ec2", "describe_vpcs")
        self.first_call_made.set()
        self.cancelled.wait(timeout=30)
        try:
            ctx.call("ec2", "describe_instances")
        except ScanStopped:
            self.second_call = "stopped"
            raise
        else:
            self.second_call = "made"
        finally:
            self.finished.set()
        return []


@pytest.fixture
def blocking(monkeypatch) -> BlockingCollector:
    collector = BlockingCollector()
    for name, registered in list(REGISTRY.items()):
        collect = collector if name == "ec2.security_groups" else (lambda ctx: [])
        monkeypatch.setitem(REGISTRY, name, replace(registered, collect=collect))
    return collector


def test_cancel_from_the_scan_page_stops_the_workers_and_deletes_the_keys(client, aws, blocking):
    client.force_login(create_user())
    scan = scan_start(
        credentials=AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40), regions=["eu-west-1"]
    )
    assert blocking.first_call_made.wait(timeout=30)
    page = client.get(reverse("scan_pages:detail", args=[scan.id])).content.decode()
    assert reverse("scans:cancel", args=[scan.id]) in page

    response = client.post(reverse("scans:cancel", args=[scan.id]))
    assert vault_get(scan_id=scan.id) is None, "deleted at once, before any worker notices"
    blocking.cancelled.set()

    assert response.status_code == 302
    scan = scan_wait(scan_id=scan.id, timeout=30)
    assert scan.status == Scan.Status.CANCELLED
    assert "Cancelled by analyst" in scan.error
    unit = ScanRegion.objects.get(scan=scan, region="eu-west-1")
    assert blocking.finished.wait(timeout=10)  # the worker unwinds after the scan was closed
    assert blocking.second_call == "stopped"
    unit.refresh_from_db()
    assert unit.status == ScanRegion.Status.CANCELLED
    assert not Finding.objects.filter(scan=scan, region="eu-west-1").exists()
    assert (
        reverse("scans:cancel", args=[scan.id])
        not in client.get(reverse("scan_pages:detail", args=[scan.id])).content.decode()
    )


def test_cancel_needs_the_start_scan_permission_and_a_post(client):
    scan = create_scan(status=Scan.Status.RUNNING)
    create_scan_region(scan, status=ScanRegion.Status.RUNNING)
    client.force_login(create_user(username="viewer", can_scan=False))

    assert (
        reverse("scans:cancel", args=[scan.id])
        not in client.get(reverse("scan_pages:detail", args=[scan.id])).content.decode()
    )
    assert client.post(reverse("scans:cancel", args=[scan.id])).status_code == 403
    client.force_login(create_user(username="operator"))
    assert client.get(reverse("scans:cancel", args=[scan.id])).status_code == 405
    scan.refresh_from_db()
    assert scan.status == Scan.Status.RUNNING


def test_cancelling_a_finished_scan_changes_nothing(client):
    scan = create_scan(status=Scan.Status.SUCCEEDED)
    client.force_login(create_user())

    client.post(reverse("scans:cancel", args=[scan.id]))

    scan.refresh_from_db()
    assert scan.status == Scan.Status.SUCCEEDED


def test_cancel_command(capsys):
    scan = create_scan(status=Scan.Status.RUNNING)
    create_scan_region(scan, status=ScanRegion.Status.PENDING)

    call_command("cancel_scan", str(scan.id))

    scan.refresh_from_db()
    assert scan.status == Scan.Status.CANCELLED
    assert scan.scan_regions.get().status == ScanRegion.Status.CANCELLED
    assert "Cancelled." in capsys.readouterr().out
    with pytest.raises(Exception, match="No scan"):
        call_command("cancel_scan", str(uuid.uuid4()))
