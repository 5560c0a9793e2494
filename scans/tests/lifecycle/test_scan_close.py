"""Finalize and cancel close a scan the same way: the same record stored, one `scan_closed`."""

from datetime import UTC, datetime

import pytest
from django.core.cache import caches
from django.utils import timezone

from scans.collection.aws import AwsCredentials, CallerIdentity
from scans.collection.memo import CallMemo
from scans.collection.vault import VaultEntry, vault_get, vault_put
from scans.lifecycle.hooks import scan_closed
from scans.lifecycle.services import scan_cancel, scan_finalize_if_complete
from scans.models import Scan, ScanRegion
from securescope.severity import FindingStatus, Severity
from testing.factories import create_finding, create_scan, create_scan_region

pytestmark = pytest.mark.django_db

CLOSED_AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DENIED_AT_START = {"kms:ListKeys": "denied", "ec2:DescribeVpcs": "denied"}
UNIT_PERMISSIONS = {"ec2:DescribeVpcs": "ok", "ec2:DescribeVolumes": "denied"}


@pytest.fixture
def closed_signals():
    sent: list[tuple[object, str]] = []

    def receiver(*, scan_id: object, status: str, **_signal: object) -> None:
        sent.append((scan_id, status))

    scan_closed.connect(receiver, dispatch_uid="test-scan-close")
    yield sent
    scan_closed.disconnect(dispatch_uid="test-scan-close")


def scan_with_results(*, unit_status: str) -> Scan:
    """A running scan with one unit, a failing and a passing finding, keys in the vault."""
    scan = create_scan(status=Scan.Status.RUNNING, minimal_permissions=DENIED_AT_START)
    create_scan_region(scan, status=unit_status, permissions=UNIT_PERMISSIONS)
    create_finding(scan, severity="high")
    create_finding(scan, status=FindingStatus.PASS, resource_hash="c" * 64)
    vault_put(
        scan_id=scan.id,
        entry=VaultEntry(
            AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40), CallerIdentity("123456789012", "aws")
        ),
    )
    return scan


def test_finalize_and_cancel_store_the_same_record_and_say_so_once(
    monkeypatch, closed_signals, django_capture_on_commit_callbacks
):
    finalized = scan_with_results(unit_status=ScanRegion.Status.SUCCEEDED)
    cancelled = scan_with_results(unit_status=ScanRegion.Status.RUNNING)
    monkeypatch.setattr(timezone, "now", lambda: CLOSED_AT)

    with django_capture_on_commit_callbacks(execute=True):
        assert scan_finalize_if_complete(scan_id=finalized.id)
        # Gone before anyone can see the scan closed: no moment shows an ended scan with keys.
        assert vault_get(scan_id=finalized.id) is None
    assert scan_cancel(scan_id=cancelled.id)
    # Closed scans stay closed, and say so no second time.
    assert not scan_finalize_if_complete(scan_id=finalized.id)
    assert not scan_cancel(scan_id=cancelled.id)

    counts = {status: dict.fromkeys(Severity.values, 0) for status in FindingStatus.values}
    counts[FindingStatus.FAIL][Severity.HIGH] = counts[FindingStatus.PASS][Severity.HIGH] = 1
    finalized.refresh_from_db()
    cancelled.refresh_from_db()
    for scan in (finalized, cancelled):
        assert scan.finding_counts == counts
        assert scan.severity_counts == counts[FindingStatus.FAIL]
        assert scan.minimal_permissions == {
            "ec2:DescribeVolumes": "denied",
            "ec2:DescribeVpcs": "ok",
            "kms:ListKeys": "denied",
        }
        assert scan.finished_at == CLOSED_AT
        assert vault_get(scan_id=scan.id) is None
    assert (finalized.status, finalized.error) == (Scan.Status.SUCCEEDED, "")
    assert (cancelled.status, cancelled.error) == (
        Scan.Status.CANCELLED,
        "Cancelled by an operator.",
    )
    assert cancelled.scan_regions.get().finished_at == CLOSED_AT
    assert closed_signals == [
        (finalized.id, Scan.Status.SUCCEEDED),
        (cancelled.id, Scan.Status.CANCELLED),
    ]


def test_finalize_and_cancel_delete_the_answers_the_units_shared():
    finalized = scan_with_results(unit_status=ScanRegion.Status.SUCCEEDED)
    cancelled = scan_with_results(unit_status=ScanRegion.Status.RUNNING)
    for scan in (finalized, cancelled):
        CallMemo(scan_id=str(scan.id)).once_per_scan(("call", "iam"), lambda: {"Account": "1"})
        assert caches["scan_calls"].get(f"{scan.id}:slot:0") is not None

    assert scan_finalize_if_complete(scan_id=finalized.id)
    assert scan_cancel(scan_id=cancelled.id)

    for scan in (finalized, cancelled):
        assert caches["scan_calls"].get(f"{scan.id}:slot:0") is None
        assert CallMemo(scan_id=str(scan.id)).once_per_scan(("call", "iam"), lambda: "asked") == (
            "asked"
        )
