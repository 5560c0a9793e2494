"""A scan keeps going through denied calls, ends cleanly when units fail, and never keeps keys."""

import json
from dataclasses import replace

import pytest
from django.urls import reverse

from findings.models import Finding
from scans.collection.aws import AwsCredentials
from scans.collection.collectors import REGISTRY
from scans.collection.vault import vault_get
from scans.lifecycle.services import scan_start, scan_wait
from scans.models import Scan, ScanRegion
from testing.aws import moto_user_keys, seed_region
from testing.factories import create_user

pytestmark = pytest.mark.django_db(transaction=True)

NO_EKS_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Resource": "*",
                "Action": ["sts:GetCallerIdentity", "ec2:Describe*", "ec2:Get*", "iam:Get*"],
            }
        ],
    }
)


@pytest.fixture
def keys_without_eks(aws, monkeypatch):
    seed_region("eu-west-1")
    keys = moto_user_keys(monkeypatch, user_name="partial", policy=NO_EKS_POLICY)
    return AwsCredentials(keys["access_key_id"], keys["secret_access_key"])


def test_denied_calls_become_warnings_and_the_scan_goes_on(keys_without_eks):
    scan = scan_start(credentials=keys_without_eks, regions=["eu-west-1"])
    scan = scan_wait(scan_id=scan.id, timeout=60)
    assert scan.status == Scan.Status.SUCCEEDED
    region = ScanRegion.objects.get(scan=scan, region="eu-west-1")
    assert any("eks:ListClusters" in warning for warning in region.warnings)
    assert scan.minimal_permissions["eks:ListClusters"] == "denied"
    assert scan.minimal_permissions["ec2:DescribeInstances"] == "ok"
    assert "eks:ListClusters" in scan.denied_actions
    assert not [a for a in scan.denied_actions if a.startswith("ec2:")]
    eks_statuses = set(
        Finding.objects.filter(scan=scan, rule_id__startswith="EKS_").values_list(
            "status", flat=True
        )
    )
    assert eks_statuses == {"NOT_EVALUATED"}, "no EKS PASS without the data to decide it"
    finding = Finding.objects.get(scan=scan, rule_id="EKS_CONTROL_PLANE_LOGGING")
    assert finding.evidence == {"reason": "missing permission (403): eks:ListClusters"}
    assert "EC2_SG_SSH_OPEN" in set(
        Finding.objects.filter(scan=scan).values_list("rule_id", flat=True)
    )


def test_scan_page_lists_denied_actions_with_the_policy_that_grants_them(client, keys_without_eks):
    scan = scan_start(credentials=keys_without_eks, regions=["eu-west-1"])
    scan = scan_wait(scan_id=scan.id, timeout=60)
    client.force_login(create_user())
    page = client.get(reverse("scan_pages:detail", args=[scan.id])).content.decode()
    assert "Missing permissions" in page
    assert "&quot;eks:ListClusters&quot;" in page
    assert "ec2:DescribeInstances" not in page.split("Missing permissions")[1].split("</pre>")[0]


def test_failed_units_end_the_scan_failed_and_delete_the_credentials(aws, monkeypatch):
    def crash(ctx):
        raise RuntimeError("arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0")

    for name, collector in list(REGISTRY.items()):
        monkeypatch.setitem(REGISTRY, name, replace(collector, collect=crash))
    scan = scan_start(
        credentials=AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40), regions=["eu-west-1"]
    )
    scan = scan_wait(scan_id=scan.id, timeout=60)
    assert scan.status == Scan.Status.FAILED
    assert vault_get(scan_id=scan.id) is None
    units = ScanRegion.objects.filter(scan=scan)
    assert {unit.status for unit in units} == {ScanRegion.Status.FAILED}
    for unit in units:
        names = [
            c.name
            for c in REGISTRY.values()
            if c.scope == ("global" if unit.is_global else "region")
        ]
        assert unit.error == "; ".join(f"collector {name} failed: RuntimeError" for name in names)
    assert "123456789012" not in str([unit.error for unit in units]), (
        "exception text can carry identifiers"
    )


def test_one_failed_region_makes_the_scan_partial(aws, monkeypatch):
    original = REGISTRY["ec2.volumes"]

    def crash_in_one_region(ctx):
        if ctx.region == "us-west-2":
            raise RuntimeError("boom")
        return original.collect(ctx)

    monkeypatch.setitem(REGISTRY, "ec2.volumes", replace(original, collect=crash_in_one_region))
    scan = scan_start(
        credentials=AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40),
        regions=["eu-west-1", "us-west-2"],
    )
    scan = scan_wait(scan_id=scan.id, timeout=60)
    assert scan.status == Scan.Status.PARTIAL
    assert vault_get(scan_id=scan.id) is None
    units = dict(ScanRegion.objects.filter(scan=scan).values_list("region", "status"))
    assert units == {"global": "succeeded", "eu-west-1": "succeeded", "us-west-2": "partial"}


def test_bad_keys_on_the_form_show_a_clear_error_and_store_nothing(client, auditor_keys):
    client.force_login(create_user())
    response = client.post(
        reverse("scans:new"),
        {
            "access_key_id": auditor_keys["access_key_id"],
            "secret_access_key": "A" * 40,
            "regions": ["eu-west-1"],
        },
    )
    assert response.status_code == 200
    assert b"The secret access key does not match the access key id." in response.content
    assert Scan.objects.count() == 0
