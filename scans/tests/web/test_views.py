"""The whole path through the web UI: form, scan units on the thread pool, progress, findings."""

import hashlib
import hmac
from collections import Counter

import pytest
from django.conf import settings
from django.urls import reverse

from findings.models import Finding
from scans.collection.vault import vault_get
from scans.lifecycle.services import scan_wait
from scans.models import Scan, ScanRegion
from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, seed_region
from testing.factories import create_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
REGIONS = ["eu-west-1", "us-west-2"]


@pytest.fixture
def finished_scan(client, aws):
    seeded = {region: seed_region(region) for region in REGIONS}
    client.force_login(create_user())
    response = client.post(
        reverse("scans:new"),
        {
            "access_key_id": TEST_ACCESS_KEY_ID,
            "secret_access_key": TEST_SECRET_ACCESS_KEY,
            "regions": REGIONS,
        },
    )
    scan = Scan.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("scan_pages:detail", args=[scan.id])
    return scan_wait(scan_id=scan.id, timeout=60), seeded


def test_scan_runs_every_region_plus_global_and_succeeds(finished_scan):
    scan, _ = finished_scan
    assert scan.status == Scan.Status.SUCCEEDED
    units = ScanRegion.objects.filter(scan=scan)
    assert {unit.region for unit in units} == {"global", *REGIONS}
    assert all(unit.status == ScanRegion.Status.SUCCEEDED for unit in units)
    assert all(unit.resources_collected > 0 for unit in units)
    assert vault_get(scan_id=scan.id) is None, "credentials are deleted when the scan ends"


def test_each_seed_rule_fails_and_passes_where_expected(finished_scan):
    scan, _ = finished_scan
    counts = Counter(Finding.objects.filter(scan=scan).values_list("rule_id", "status"))
    per_region = len(REGIONS)
    assert counts["EC2_SG_SSH_OPEN", "FAIL"] == per_region
    assert counts["EC2_SG_SSH_OPEN", "PASS"] >= per_region
    assert counts["EC2_IMDSV2_REQUIRED", "FAIL"] == per_region
    assert counts["EC2_IMDSV2_REQUIRED", "PASS"] == per_region
    assert counts["EC2_EBS_ENCRYPTION", "PASS"] == per_region
    assert counts["EC2_EBS_ENCRYPTION", "FAIL"] >= per_region
    assert counts["EKS_PUBLIC_ENDPOINT_NO_CIDR", "FAIL"] == per_region
    assert counts["EKS_PUBLIC_ENDPOINT_NO_CIDR", "PASS"] == per_region
    assert counts["EKS_CONTROL_PLANE_LOGGING", "FAIL"] == per_region
    assert counts["EKS_CONTROL_PLANE_LOGGING", "PASS"] == per_region
    assert counts["EC2_EBS_DEFAULT_ENCRYPTION", "FAIL"] == per_region
    assert counts["IAM_ROOT_MFA", "FAIL"] == 1
    failing = Finding.objects.filter(scan=scan, status="FAIL")
    assert scan.severity_counts["critical"] == failing.filter(severity="critical").count() == 1
    assert scan.severity_counts["high"] == failing.filter(severity="high").count()


def documented_hash(arn: str) -> str:
    """The README's formula, computed here rather than by securescope.privacy."""
    return hmac.new(settings.RESOURCE_HASH_KEY.encode(), arn.encode(), hashlib.sha256).hexdigest()


def test_finding_identifies_resource_only_by_the_hmac_of_its_arn(finished_scan):
    scan, seeded = finished_scan
    group_id = seeded["eu-west-1"]["open_sg"]
    arn = f"arn:aws:ec2:eu-west-1:123456789012:security-group/{group_id}"
    finding = Finding.objects.get(
        scan=scan, rule_id="EC2_SG_SSH_OPEN", status="FAIL", region="eu-west-1"
    )
    assert finding.resource_hash == documented_hash(arn)
    assert finding.evidence["open_ports"] == [22]
    # A region's setting is a resource too, under the ARN form the README gives it.
    setting = Finding.objects.get(
        scan=scan, rule_id="EC2_EBS_DEFAULT_ENCRYPTION", region="eu-west-1"
    )
    assert setting.resource_hash == documented_hash(
        "arn:aws:ec2:eu-west-1:123456789012:ebs-default-encryption"
    )
    stored = str(list(Finding.objects.filter(scan=scan).values()))
    for ids in seeded.values():
        for resource_id in ids.values():
            assert resource_id not in stored
    assert "123456789012" not in stored


def test_progress_partial_tells_htmx_to_reload_once_finished(client, finished_scan):
    scan, _ = finished_scan
    url = reverse("scans:progress", args=[scan.id])
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
    assert b"eu-west-1" in response.content
    assert b"hx-trigger" not in response.content, "a finished scan is not polled"


def test_detail_page_shows_findings_and_severity_filter(client, finished_scan):
    scan, _ = finished_scan
    page = client.get(reverse("scan_pages:detail", args=[scan.id]), {"severity": "critical"})
    assert page.status_code == 200
    assert b"IAM_ROOT_MFA" in page.content
    assert b"EC2_SG_SSH_OPEN" not in page.content
