"""The compliance view groups a scan's results by framework and section."""

import pytest
from django.urls import reverse

from findings.compliance import compliance_summary
from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start, scan_wait
from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, seed_region
from testing.factories import create_finding, create_scan, create_user

pytestmark = pytest.mark.django_db

FOUNDATIONS_52 = {
    "cis_aws_foundations": {"version": "3.0.0", "sections": ["5.2", "5.3"]},
    "security_hub": ["EC2.53"],
}
FOUNDATIONS_110 = {"cis_aws_foundations": {"version": "3.0.0", "sections": ["1.10"]}}
OLD_FOUNDATIONS = {"cis_aws_foundations": {"version": "1.4.0", "sections": ["2.1.1"]}}
NO_MAPPING = {"security_hub": []}
EKS = {"cis_eks": {"version": "1.8.0", "sections": ["5.4.1"]}}


@pytest.fixture
def scan():
    scan = create_scan()
    for index, status in enumerate(["FAIL", "PASS", "PASS", "PASS"]):
        create_finding(
            scan,
            rule_id="EC2_SG_SSH_OPEN",
            status=status,
            resource_hash=f"{index:064x}",
            compliance=FOUNDATIONS_52,
        )
    create_finding(
        scan,
        rule_id="IAM_USER_MFA",
        status="FAIL",
        resource_hash="f" * 64,
        compliance=FOUNDATIONS_110,
    )
    create_finding(
        scan,
        rule_id="COMMON_S3_ENCRYPTION",
        status="PASS",
        resource_hash="d" * 64,
        compliance=OLD_FOUNDATIONS,
    )
    create_finding(
        scan,
        rule_id="EKS_NODEGROUP_REMOTE_ACCESS",
        status="FAIL",
        resource_hash="c" * 64,
        compliance=NO_MAPPING,
    )
    create_finding(
        scan,
        rule_id="EKS_PUBLIC_ENDPOINT_NO_CIDR",
        status="NOT_EVALUATED",
        resource_hash="e" * 64,
        compliance=EKS,
    )
    return scan


def test_summary_per_framework_and_section(scan):
    old_foundations, foundations, eks, security_hub = compliance_summary(scan=scan)
    assert (old_foundations.version, old_foundations.passed) == ("1.4.0", 1)
    assert (foundations.name, foundations.version) == ("CIS AWS Foundations Benchmark", "3.0.0")
    assert (foundations.passed, foundations.failed, foundations.not_evaluated) == (3, 2, 0)
    assert foundations.percent == 60
    # Sections sort as numbers: 1.10 before 5.2.
    assert [s.name for s in foundations.sections] == ["1.10", "5.2", "5.3"]
    section_52 = foundations.sections[1]
    assert (section_52.passed, section_52.failed, section_52.percent) == (3, 1, 75)
    assert section_52.sorted_rule_ids == ["EC2_SG_SSH_OPEN"]
    assert eks.not_evaluated == 1
    assert eks.percent is None, "nothing evaluated is not 0 % and not 100 %"
    assert [s.name for s in security_hub.sections] == ["EC2.53"], "an empty mapping maps nothing"


def test_compliance_page_links_sections_to_their_findings(client, scan):
    client.force_login(create_user())
    page = client.get(reverse("scan_pages:compliance", args=[scan.id]))
    assert page.status_code == 200
    # A section's findings pass and fail: its link opens the flat list with every status.
    link = reverse("scan_pages:detail", args=[scan.id]) + "?rule=EC2_SG_SSH_OPEN"
    assert f"{link}&amp;view=flat&amp;status=".encode() in page.content
    assert b"60 %" in page.content
    filtered = client.get(f"{link}&view=flat&status=")
    assert filtered.content.count(b"EC2_SG_SSH_OPEN</strong>") == 4
    assert b"IAM_USER_MFA</strong>" not in filtered.content


def test_compliance_page_query_count_is_fixed(client, scan, django_assert_max_num_queries):
    client.force_login(create_user())
    with django_assert_max_num_queries(7):
        client.get(reverse("scan_pages:compliance", args=[scan.id]))


def test_compliance_page_honours_the_severity_floor(client):
    scan = create_scan()
    create_finding(scan, severity="critical", resource_hash="1" * 64)
    create_finding(scan, severity="low", resource_hash="2" * 64, status="PASS")
    client.force_login(create_user())
    url = reverse("scan_pages:compliance", args=[scan.id])
    (everything,) = client.get(url).context["frameworks"]
    assert (everything.passed, everything.failed) == (1, 1)
    client.post(reverse("findings:severity"), {"severity_floor": "high"})
    (floored,) = client.get(url).context["frameworks"]
    assert (floored.passed, floored.failed) == (0, 1)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_compliance_page_of_a_real_moto_scan_counts_pass_fail_and_not_evaluated(client, aws):
    seed_region("eu-west-1")
    scan = scan_start(
        credentials=AwsCredentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY),
        regions=["eu-west-1"],
    )
    scan = scan_wait(scan_id=scan.id, timeout=90)
    client.force_login(create_user())

    page = client.get(reverse("scan_pages:compliance", args=[scan.id]))

    assert page.status_code == 200
    frameworks = page.context["frameworks"]
    # moto lacks SSM's instance inventory, so the SSM rules are not evaluated: all three show.
    for count in ("passed", "failed", "not_evaluated"):
        assert sum(getattr(tally, count) for tally in frameworks) > 0, count
    content = page.content.decode()
    for tally in frameworks:
        summary = f"{tally.passed} pass · {tally.failed} fail · {tally.not_evaluated} not evaluated"
        assert summary in content


def test_a_rule_mapped_to_two_versions_counts_in_both():
    scan = create_scan()
    create_finding(
        scan,
        status="FAIL",
        compliance={
            "cis_aws_foundations": [
                {"version": "5.0.0", "sections": ["5.3"]},
                {"version": "3.0.0", "sections": ["5.2"]},
            ]
        },
    )
    v3, v5 = compliance_summary(scan=scan)
    assert [
        (v3.version, [s.name for s in v3.sections]),
        (v5.version, [s.name for s in v5.sections]),
    ] == [
        ("3.0.0", ["5.2"]),
        ("5.0.0", ["5.3"]),
    ]
    assert (v3.failed, v5.failed) == (1, 1)
