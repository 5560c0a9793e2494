"""A scan's credentials do not outlive it in memory: after a scan ends, or is cancelled, no live
Python object refers to the secret key (cyclic garbage included: it is collected at unit end)."""

import gc
import hashlib
import secrets
import threading
from dataclasses import replace

import pytest

from scans.collection.aws import AwsCredentials
from scans.collection.collectors import REGISTRY
from scans.collection.context import CollectContext
from scans.lifecycle import services, units
from scans.lifecycle.services import scan_cancel, scan_start, scan_wait
from scans.models import Scan, ScanRegion

pytestmark = pytest.mark.django_db(transaction=True)
SECRET_LENGTH = 40


def holders_of(digest: bytes) -> list[str]:
    """Type names of the live objects that refer directly to a string with this SHA-256."""
    found = []
    for obj in gc.get_objects():
        for referent in gc.get_referents(obj):
            if (
                type(referent) is str
                and len(referent) == SECRET_LENGTH
                and hashlib.sha256(referent.encode()).digest() == digest
            ):
                found.append(type(obj).__qualname__)
    return found


def start_with_canary(regions: list[str]) -> tuple[Scan, bytes]:
    """A scan on a fresh canary secret; only its digest stays with the caller."""
    secret = "Canary" + secrets.token_urlsafe(SECRET_LENGTH)[: SECRET_LENGTH - 6]
    scan = scan_start(credentials=AwsCredentials("AKIAIOSFODNN7EXAMPLE", secret), regions=regions)
    return scan, hashlib.sha256(secret.encode()).digest()


@pytest.fixture
def releases(monkeypatch) -> list[str]:
    """The threads that let go of their sessions so far: scan start, then each unit."""
    released: list[str] = []
    original = services.sessions_released

    def noted() -> None:
        original()
        released.append(threading.current_thread().name)

    # The scan's start lets go in one module, each unit in the other.
    monkeypatch.setattr(services, "sessions_released", noted)
    monkeypatch.setattr(units, "sessions_released", noted)
    return released


def wait_until_every_unit_let_go(scan: Scan, releases: list[str]) -> None:
    # A unit may end after the scan was closed (a cancel, or a unit other than the last).
    while len(releases) < 1 + ScanRegion.objects.filter(scan=scan).count():
        threading.Event().wait(0.05)


def test_no_object_holds_the_secret_after_a_scan(aws, releases):
    scan, digest = start_with_canary(["eu-west-1"])
    assert scan_wait(scan_id=scan.id, timeout=90).status == Scan.Status.SUCCEEDED
    wait_until_every_unit_let_go(scan, releases)

    assert holders_of(digest) == []


def test_no_object_holds_the_secret_after_a_cancel(aws, monkeypatch, releases):
    running, release = threading.Event(), threading.Event()

    def waits_for_the_cancel(ctx: CollectContext) -> list:
        ctx.call("ec2", "describe_vpcs")
        running.set()
        release.wait(timeout=30)
        ctx.call("ec2", "describe_instances")
        return []

    for name, registered in list(REGISTRY.items()):
        collect = waits_for_the_cancel if name == "ec2.security_groups" else (lambda ctx: [])
        monkeypatch.setitem(REGISTRY, name, replace(registered, collect=collect))
    scan, digest = start_with_canary(["eu-west-1"])
    assert running.wait(timeout=30)

    scan_cancel(scan_id=scan.id)
    release.set()
    assert scan_wait(scan_id=scan.id, timeout=30).status == Scan.Status.CANCELLED
    wait_until_every_unit_let_go(scan, releases)

    assert holders_of(digest) == []
