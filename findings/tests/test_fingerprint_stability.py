"""Scanning an unchanged account again gives the same finding identities, so scans can be diffed."""

import pytest

from findings.models import Finding
from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start, scan_wait
from scans.models import Scan
from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, seed_region

pytestmark = pytest.mark.django_db(transaction=True)
REGION = "eu-west-1"


def scan_account() -> Scan:
    scan = scan_start(
        credentials=AwsCredentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY), regions=[REGION]
    )
    return scan_wait(scan_id=scan.id, timeout=90)


def identities(scan: Scan) -> set[tuple[str, str]]:
    return set(Finding.objects.filter(scan=scan).values_list("fingerprint", "status"))


def test_same_moto_account_scanned_twice_gives_identical_fingerprints(aws):
    seed_region(REGION)

    first = scan_account()
    second = scan_account()

    assert first.status == second.status == Scan.Status.SUCCEEDED
    assert first.id != second.id
    found = identities(first)
    assert len(found) == Finding.objects.filter(scan=first).count() > 100, "one per finding"
    assert identities(second) == found
