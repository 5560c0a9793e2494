"""Starting a scan proves the keys first; bad keys store nothing."""

import boto3
import pytest
from django.core.cache import caches

from scans.collection.aws import AwsCredentials, CredentialsRejected, scan_session
from scans.collection.vault import vault_get
from scans.lifecycle.services import scan_start
from scans.models import Scan, ScanRegion
from securescope.privacy import account_hash
from testing.aws import create_role_for_auditor

pytestmark = pytest.mark.django_db


def test_valid_keys_create_scan_with_units_and_vault_entry(auditor_keys):
    scan = scan_start(
        credentials=AwsCredentials(**auditor_keys), regions=["us-west-2", "eu-west-1"]
    )
    assert scan.status == Scan.Status.RUNNING
    assert scan.account_label == "****9012"
    assert scan.account_hash == account_hash("123456789012")
    assert "123456789012" not in scan.account_hash
    assert scan.regions == ["eu-west-1", "us-west-2"]
    assert set(ScanRegion.objects.filter(scan=scan).values_list("region", flat=True)) == {
        "global",
        "eu-west-1",
        "us-west-2",
    }
    entry = vault_get(scan_id=scan.id)
    assert entry.credentials.access_key_id == auditor_keys["access_key_id"]
    assert entry.identity.account_id == "123456789012"


@pytest.mark.slow
def test_regions_are_discovered_when_none_are_picked(auditor_keys):
    scan = scan_start(credentials=AwsCredentials(**auditor_keys))
    ec2 = boto3.client(
        "ec2",
        region_name="us-east-1",
        aws_access_key_id=auditor_keys["access_key_id"],
        aws_secret_access_key=auditor_keys["secret_access_key"],
    )
    enabled = ec2.describe_regions()["Regions"]
    usable = [r for r in enabled if r["OptInStatus"] in ("opt-in-not-required", "opted-in")]
    assert len(usable) < len(enabled), "moto lists opt-in regions the account has not enabled"
    assert scan.regions == sorted(region["RegionName"] for region in usable)
    assert ScanRegion.objects.filter(scan=scan).count() == len(usable) + 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"access_key_id": "AKIAZZZZZZZZZEXAMPLE"}, "InvalidClientTokenId"),
        ({"secret_access_key": "x" * 40}, "SignatureDoesNotMatch"),
    ],
)
def test_bad_keys_are_rejected_and_nothing_is_stored(auditor_keys, change, expected):
    with pytest.raises(CredentialsRejected, match=expected):
        scan_start(credentials=AwsCredentials(**{**auditor_keys, **change}), regions=["us-east-1"])
    assert Scan.objects.count() == 0
    assert caches["vault"]._cache == {}


@pytest.fixture
def scanner_role(aws) -> str:
    """Created before moto's authentication is switched on by `auditor_keys`."""
    return create_role_for_auditor(external_id="ext-1234")


def test_role_mode_keeps_the_role_so_each_unit_assumes_it_afresh(scanner_role, auditor_keys):
    credentials = AwsCredentials(**auditor_keys, role_arn=scanner_role, external_id="ext-1234")
    scan = scan_start(credentials=credentials, regions=["us-east-1"])
    entry = vault_get(scan_id=scan.id)
    assert entry.credentials == credentials
    assumed = scan_session(entry.credentials).get_credentials().get_frozen_credentials()
    assert assumed.access_key.startswith("ASIA")
    assert assumed.access_key != auditor_keys["access_key_id"]
    assert assumed.token


def test_role_mode_with_the_wrong_external_id_is_rejected(scanner_role, auditor_keys):
    with pytest.raises(CredentialsRejected, match="may not assume that role"):
        scan_start(
            credentials=AwsCredentials(
                **auditor_keys, role_arn=scanner_role, external_id="not-the-one"
            ),
            regions=["us-east-1"],
        )
    assert Scan.objects.count() == 0
