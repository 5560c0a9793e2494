"""An edited catalog file is seen by the next scan that starts, with no restart or reload."""

import pytest

from findings.models import Finding
from rules import loading
from rules.tests.conftest import replace_in
from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start, scan_wait
from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, seed_region

pytestmark = pytest.mark.django_db(transaction=True)
REGION = "eu-west-1"


def scan_severities(rule_id: str) -> set[str]:
    scan = scan_start(
        credentials=AwsCredentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY), regions=[REGION]
    )
    scan = scan_wait(scan_id=scan.id, timeout=90)
    # A world-open group attached to nothing fails at low severity whatever the catalog says.
    findings = Finding.objects.filter(scan=scan, rule_id=rule_id).values_list(
        "severity", "evidence"
    )
    return {severity for severity, evidence in findings if evidence.get("attached") is not False}


def test_yaml_edit_between_two_scans_is_seen_by_the_second(aws, catalog_copy, monkeypatch):
    seed_region(REGION)
    # Scans read the catalog copy through the same cached loader they use in production.
    monkeypatch.setattr(
        "scans.lifecycle.units.load_catalog", lambda: loading.load_catalog(catalog_copy)
    )
    assert scan_severities("EC2_SG_SSH_OPEN") == {"high"}

    # The first "severity: high" in ec2_network.yaml is EC2_SG_SSH_OPEN's; no reload command is run.
    replace_in(catalog_copy / "ec2_network.yaml", "severity: high\n", "severity: critical\n")

    assert scan_severities("EC2_SG_SSH_OPEN") == {"critical"}
