"""The Exposure page: paths by severity, their chains and links, filters, the overview tile."""

import pytest
from django.urls import reverse

from testing.factories import create_finding, create_scan, create_user

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
INSTANCE = "1" * 64
GROUP = "2" * 64


@pytest.fixture
def user(client):
    user = create_user()
    client.force_login(user)
    return user


def _path(scan, **overrides):
    values = {
        "rule_id": "EXPOSURE_ADMIN_PORT_POWERFUL_INSTANCE",
        "title": "Internet reaches an administration port",
        "service": "exposure",
        "severity": "critical",
        "resource_type": "Exposure::Instance",
        "resource_hash": INSTANCE,
        "evidence": {
            "chain": [
                {"step": "route", "kind": "internet_gateway"},
                {"step": "instance", "reachable_ports": [22]},
            ],
            "built_from": [
                {
                    "rule": "EC2_SG_SSH_OPEN",
                    "resource_type": "AWS::EC2::SecurityGroup",
                    "resource": GROUP,
                    "region": "us-east-1",
                },
                {
                    "rule": "EC2_IMDSV2_REQUIRED",
                    "resource_type": "AWS::EC2::Instance",
                    "resource": INSTANCE,
                    "region": "us-east-1",
                },
            ],
        },
        "compliance": {"unmapped": "a combination"},
    }
    return create_finding(scan, **{**values, **overrides})


@pytest.fixture
def scans():
    regions = ["us-east-1", "eu-west-1"]
    first = create_scan(regions=regions)
    second = create_scan(account_hash="c" * 64, account_label="****3333", regions=regions)
    group_finding = create_finding(first, resource_hash=GROUP)
    _path(first)
    _path(
        first,
        rule_id="EXPOSURE_REACHABLE_INSTANCE_ROLE_IMDSV1",
        severity="high",
        region="eu-west-1",
        resource_hash="4" * 64,
    )
    _path(first, status="PASS", resource_hash="5" * 64)
    _path(second, region="eu-west-1")
    return first, second, group_finding


def test_paths_sorted_by_severity_with_chain_and_links_to_their_findings(client, user, scans):
    _, _, group_finding = scans
    page = client.get(reverse("findings:exposure"))
    assert page.status_code == 200
    text = page.content.decode()
    paths = page.context["paths"]
    assert [path.finding.severity for path in paths] == ["critical", "critical", "high"]
    assert "internet_gateway" in text
    assert reverse("findings:detail", args=[group_finding.id]) in text
    # The IMDSv2 finding was not stored in this scan: named, not linked.
    assert 'EC2_IMDSV2_REQUIRED <span class="hint">(not stored in this scan)' in text


def test_filter_by_account_and_region_answers_the_partial(client, user, scans):
    _, second, _ = scans
    partial = client.get(reverse("findings:exposure"), {"account": second.account_hash}, headers=HX)
    assert b"<html" not in partial.content
    assert [path.scan for path in partial.context["paths"]] == [second]
    by_region = client.get(reverse("findings:exposure"), {"region": "eu-west-1"})
    assert {path.finding.rule_id for path in by_region.context["paths"]} == {
        "EXPOSURE_REACHABLE_INSTANCE_ROLE_IMDSV1",
        "EXPOSURE_ADMIN_PORT_POWERFUL_INSTANCE",
    }
    assert all(path.finding.region == "eu-west-1" for path in by_region.context["paths"])


def test_bad_filters_show_every_path_and_say_why(client, user, scans):
    page = client.get(reverse("findings:exposure"), {"account": "nope", "region": "x; drop"})
    assert len(page.context["paths"]) == 3
    assert b'role="alert"' in page.content


def test_query_count_does_not_grow_with_paths(client, user, scans, django_assert_max_num_queries):
    first, _, _ = scans
    for index in range(20):
        _path(first, resource_hash=f"{index:064d}", region="ap-south-1")
    with django_assert_max_num_queries(8):
        client.get(reverse("findings:exposure"))


def test_overview_links_the_resources_reachable_with_admin_credentials(client, user, scans):
    first, _, _ = scans
    page = client.get(reverse("home")).content.decode()
    exposure = reverse("findings:exposure")
    assert f'href="{exposure}?account={first.account_hash}"' in page
    assert "2</span> resources reachable from the internet with admin credentials" in page


def test_the_global_severity_floor_applies(client, user, scans):
    client.post(reverse("findings:severity"), {"severity_floor": "critical", "next": "/"})
    page = client.get(reverse("findings:exposure"))
    assert {path.finding.severity for path in page.context["paths"]} == {"critical"}


def test_no_scan_says_so(client, user):
    page = client.get(reverse("findings:exposure"))
    assert b"no succeeded scan yet" in page.content
