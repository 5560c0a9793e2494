"""One collector's failure costs only its own resource types: they are NOT_EVALUATED with the
reason, every other collector's findings are kept, and the region ends partial."""

import logging
from dataclasses import replace

import pytest
from django.urls import reverse

from findings.compliance import RequirementStatus
from findings.models import Finding
from findings.scan_scores import compliance_scores
from scans.collection.aws import AwsCredentials
from scans.collection.collectors import REGISTRY
from scans.lifecycle.services import scan_start, scan_wait
from scans.models import Scan, ScanRegion
from testing.aws import seed_region
from testing.factories import create_user

pytestmark = pytest.mark.django_db(transaction=True)

IDENTIFIER = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0123456789abcdef0"
REASON = "collector ec2.volumes failed: RuntimeError"


@pytest.fixture
def volumes_collector_crashes(aws, monkeypatch):
    """ec2.volumes makes its AWS calls, then raises with an identifier in the message."""
    original = REGISTRY["ec2.volumes"]

    def collect_then_crash(ctx):
        original.collect(ctx)
        raise RuntimeError(f"unexpected volume shape: {IDENTIFIER}")

    monkeypatch.setitem(REGISTRY, "ec2.volumes", replace(original, collect=collect_then_crash))


def scan_regions(regions: list[str]) -> Scan:
    credentials = AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40)
    scan = scan_start(credentials=credentials, regions=regions)
    return scan_wait(scan_id=scan.id, timeout=90)


def statuses(scan: Scan, rule_id: str) -> set[str]:
    return set(Finding.objects.filter(scan=scan, rule_id=rule_id).values_list("status", flat=True))


def test_a_collector_that_raises_costs_only_its_own_resource_types(
    volumes_collector_crashes, caplog
):
    seed_region("eu-west-1")
    with caplog.at_level(logging.ERROR, logger="scans.lifecycle.services"):
        scan = scan_regions(["eu-west-1"])

    assert scan.status == Scan.Status.PARTIAL
    region = ScanRegion.objects.get(scan=scan, region="eu-west-1")
    assert (region.status, region.error) == (ScanRegion.Status.PARTIAL, REASON)
    assert ScanRegion.objects.get(scan=scan, region="global").status == "succeeded"
    # The failing collector's types: not evaluated, with the reason and nothing of the message.
    for rule_id in ("EC2_EBS_ENCRYPTION", "EC2_EBS_VOLUME_UNATTACHED"):
        findings = Finding.objects.filter(scan=scan, rule_id=rule_id)
        assert [(f.status, f.evidence) for f in findings] == [("NOT_EVALUATED", {"reason": REASON})]
    # Every other collector's resources were evaluated as usual.
    assert statuses(scan, "EC2_SG_SSH_OPEN") == {"PASS", "FAIL"}
    assert statuses(scan, "EC2_IMDSV2_REQUIRED") == {"PASS", "FAIL"}
    assert statuses(scan, "EC2_EBS_DEFAULT_ENCRYPTION") in ({"PASS"}, {"FAIL"})
    # The log says where it failed, never what the message said.
    (record,) = [r for r in caplog.records if "collector ec2.volumes raised" in r.getMessage()]
    assert "collect_then_crash" in record.getMessage()
    assert "builtins.RuntimeError" in record.getMessage()
    assert record.exc_info is None
    assert "123456789012" not in caplog.text


def test_the_scan_page_lists_the_failed_collector(client, volumes_collector_crashes):
    seed_region("eu-west-1")
    scan = scan_regions(["eu-west-1"])
    client.force_login(create_user())
    page = client.get(reverse("scan_pages:detail", args=[scan.id])).content.decode()
    assert REASON in page
    assert '<span class="status partial">Partial</span>' in page
    assert "123456789012" not in page


def test_compliance_counts_the_failed_collectors_requirements_as_not_evaluated(
    volumes_collector_crashes,
):
    seed_region("eu-west-1")
    scan = scan_regions(["eu-west-1"])
    (compute,) = [s for s in compliance_scores(scan=scan) if s.framework_id == "cis_aws_compute"]
    (encrypted_volumes,) = [r for r in compute.requirements if r.id == "2.2.1"]
    assert encrypted_volumes.rule_ids == ["EC2_EBS_ENCRYPTION"]
    assert encrypted_volumes.counts == {"PASS": 0, "FAIL": 0, "NOT_EVALUATED": 1}
    assert encrypted_volumes.status == RequirementStatus.NOT_EVALUATED
