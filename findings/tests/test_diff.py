"""Comparing two scans of one account: new, regressed, resolved, unchanged; change reports."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from findings.diff import scan_diff
from testing.factories import create_finding, create_scan, create_user

pytestmark = pytest.mark.django_db

NEW, REGRESSED, RESOLVED, UNCHANGED, FIXED_LONG_AGO = (str(n) * 64 for n in range(1, 6))


@pytest.fixture
def scans():
    now = timezone.now()
    first, base, head = (
        create_scan(created_at=now - timedelta(days=days), finished_at=now - timedelta(days=days))
        for days in (2, 1, 0)
    )
    create_finding(first, resource_hash=REGRESSED)
    create_finding(base, resource_hash=REGRESSED, status="PASS")
    create_finding(base, resource_hash=RESOLVED)
    create_finding(base, resource_hash=UNCHANGED, severity="critical")
    create_finding(head, resource_hash=NEW)
    create_finding(head, resource_hash=REGRESSED)
    create_finding(head, resource_hash=RESOLVED, status="PASS")
    create_finding(head, resource_hash=UNCHANGED, severity="critical")
    return first, base, head


def hashes(diff, category):
    return {finding.resource_hash for finding in diff.findings[category]}


def test_four_categories(scans):
    _, base, head = scans
    diff = scan_diff(base=base, head=head)
    assert hashes(diff, "new") == {NEW}
    assert hashes(diff, "regressed") == {REGRESSED}
    assert hashes(diff, "resolved") == {RESOLVED}
    assert hashes(diff, "unchanged") == {UNCHANGED}


def test_order_of_the_two_scans_does_not_matter(scans):
    _, base, head = scans
    assert hashes(scan_diff(base=head, head=base), "new") == {NEW}


def test_scans_of_two_accounts_cannot_be_compared(scans):
    other = create_scan(account_hash="f" * 64)
    with pytest.raises(ValueError, match="different accounts"):
        scan_diff(base=other, head=scans[2])


def test_diff_page_defaults_to_previous_scan_and_honours_severity_floor(client, scans):
    _, base, head = scans
    client.force_login(create_user())
    response = client.get(reverse("findings:diff", args=[head.id]))
    assert response.status_code == 200
    assert response.context["diff"].base == base
    counts = {s["name"]: s["count"] for s in response.context["sections"]}
    assert counts == {"new": 1, "regressed": 1, "resolved": 1, "unchanged": 1}
    client.post(reverse("findings:severity"), {"severity_floor": "critical"})
    response = client.get(reverse("findings:diff", args=[head.id]))
    counts = {s["name"]: s["count"] for s in response.context["sections"]}
    assert counts == {"new": 0, "regressed": 0, "resolved": 0, "unchanged": 1}


def test_first_scan_of_an_account_has_nothing_to_compare(client, scans):
    first, _, _ = scans
    client.force_login(create_user())
    response = client.get(reverse("findings:diff", args=[first.id]))
    assert b"nothing to compare with yet" in response.content


def test_base_from_another_account_is_404(client, scans):
    other = create_scan(account_hash="f" * 64)
    client.force_login(create_user())
    response = client.get(reverse("findings:diff", args=[scans[2].id]), {"base": other.id})
    assert response.status_code == 404


@pytest.mark.parametrize("export_format", ["md", "csv"])
def test_change_report_is_streamed_and_byte_identical(client, scans, export_format):
    _, base, head = scans
    client.force_login(create_user())
    url = reverse("findings:diff_export", args=[head.id, export_format])
    first = client.get(url, {"base": base.id})
    body = b"".join(first.streaming_content)
    assert body == b"".join(client.get(url, {"base": base.id}).streaming_content)
    assert NEW.encode() in body
    assert RESOLVED.encode() in body
    if export_format == "md":
        assert body.startswith(b"# Change report for account ****9012")
        assert b"## Regressed (1)" in body


def test_comparing_with_a_later_scan_links_a_working_change_report(client, scans):
    _, base, head = scans
    client.force_login(create_user())
    response = client.get(reverse("findings:diff", args=[base.id]), {"base": head.id})
    assert response.context["other"] == head
    export = reverse("findings:diff_export", args=[base.id, "csv"]) + f"?base={head.id}"
    assert export in response.content.decode()
    assert client.get(export).status_code == 200


def test_the_diff_csv_quotes_a_cell_that_would_run_as_a_formula(client, scans):
    _, base, head = scans
    create_finding(head, resource_hash="f" * 64, title="@SUM(1+1)*cmd|' /C calc'!A0")
    client.force_login(create_user())
    url = reverse("findings:diff_export", args=[head.id, "csv"]) + f"?base={base.id}"
    body = b"".join(client.get(url).streaming_content).decode()
    assert "'@SUM(1+1)" in body
    assert ",@SUM" not in body


ROOT_MFA = {"cis_aws_foundations": {"version": "3.0.0", "sections": ["1.5"]}}
IMDS = {"cis_aws_foundations": {"version": "3.0.0", "sections": ["5.6"]}}


@pytest.fixture
def requirement_scans():
    """Root MFA passes then fails; IMDSv2 fails on one instance then passes on both."""
    now = timezone.now()
    base, head = (
        create_scan(created_at=now - timedelta(days=days), finished_at=now - timedelta(days=days))
        for days in (1, 0)
    )
    for scan, root_status, imds_statuses in (
        (base, "PASS", ("FAIL", "PASS")),
        (head, "FAIL", ("PASS", "PASS")),
    ):
        create_finding(scan, rule_id="IAM_ROOT_MFA", status=root_status, compliance=ROOT_MFA)
        for index, status in enumerate(imds_statuses):
            create_finding(
                scan,
                rule_id="EC2_IMDSV2_REQUIRED",
                status=status,
                resource_hash=f"{index:064x}",
                compliance=IMDS,
            )
    return base, head


def test_requirements_newly_failing_and_now_passing(requirement_scans):
    base, head = requirement_scans
    changes = scan_diff(base=base, head=head).requirement_changes()
    foundations = "CIS AWS Foundations Benchmark v3.0.0"
    assert [
        (c.framework, c.requirement_id, c.before, c.after, c.failing)
        for c in changes["newly failing"]
    ] == [(foundations, "1.5", "pass", "fail", 1)]
    assert [(c.requirement_id, c.before, c.after) for c in changes["now passing"]] == [
        ("5.6", "fail", "pass")
    ]


def test_a_rule_off_in_either_scan_changes_no_requirement(requirement_scans):
    base, head = requirement_scans
    base.findings.filter(rule_id="IAM_ROOT_MFA").delete()
    base.rule_settings = {"disabled": ["IAM_ROOT_MFA"]}
    base.save(update_fields=["rule_settings"])
    changes = scan_diff(base=base, head=head).requirement_changes()
    assert changes["newly failing"] == [], "not evaluated before is not passing before"


def test_diff_page_and_change_report_list_requirements_newly_failing(client, requirement_scans):
    _, head = requirement_scans
    client.force_login(create_user())
    page = client.get(reverse("findings:diff", args=[head.id])).content.decode()
    assert "Requirements newly failing (1)" in page
    assert "Ensure MFA is enabled for the &#x27;root&#x27; user account" in page
    report = b"".join(
        client.get(reverse("findings:diff_export", args=[head.id, "md"])).streaming_content
    ).decode()
    assert "## Requirements newly failing (1)" in report
    assert (
        "| CIS AWS Foundations Benchmark v3.0.0 | 1.5 Ensure MFA is enabled for the 'root' user "
        "account | pass | fail | 1 |" in report
    )
    assert "## Requirements now passing (1)" in report
