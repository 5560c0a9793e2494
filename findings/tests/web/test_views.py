"""Overview, findings page and finding detail: full pages, HTMX partials, filters, query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from securescope.severity_floor import SESSION_KEY
from testing.factories import create_finding, create_scan, create_user

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
# The flat list with every status: the findings page opens grouped by rule on failing findings.
FLAT = {"view": "flat", "status": ""}


def rows(response) -> int:
    return response.content.count(b'<td><span class="result')


@pytest.fixture
def user(client):
    user = create_user()
    client.force_login(user)
    return user


@pytest.fixture
def two_scans():
    """An account scanned twice: one finding resolved, one new, one failing in both."""
    earlier = create_scan(
        created_at=timezone.now() - timedelta(days=1),
        finished_at=timezone.now() - timedelta(days=1),
        severity_counts={"critical": 0, "high": 2, "medium": 0, "low": 0, "info": 0},
    )
    later = create_scan(
        finished_at=timezone.now(),
        severity_counts={"critical": 1, "high": 1, "medium": 0, "low": 0, "info": 0},
    )
    create_finding(earlier, resource_hash="1" * 64)  # fails in both
    create_finding(earlier, resource_hash="2" * 64)  # resolved later
    create_finding(later, resource_hash="1" * 64)
    create_finding(later, resource_hash="2" * 64, status="PASS")
    create_finding(
        later,
        rule_id="IAM_ROOT_MFA",
        title="Root user has no MFA",
        service="iam",
        severity="critical",
        region="global",
        resource_type="AWS::IAM::AccountSummary",
        resource_hash="3" * 64,
        compliance={"cis_aws_foundations": {"version": "3.0.0", "sections": ["1.5"]}},
    )
    return earlier, later


def test_overview_is_the_home_page_and_says_what_to_do_without_scans(client, user):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"No scans yet" in response.content
    assert reverse("scans:new").encode() in response.content


def test_overview_shows_latest_scan_per_account_with_trend_and_new(client, user, two_scans):
    _, later = two_scans
    create_scan(account_hash="f" * 64, account_label="****7777", finished_at=timezone.now())
    response = client.get(reverse("home"))
    content = response.content.decode()
    assert "Account ****9012" in content
    assert "Account ****7777" in content
    assert content.count('<text class="date"') == 2 + 1, "one trend column per scan of each account"
    assert "Root user has no MFA" in content, "top failing rules"
    overview = response.context["accounts"][
        1 if content.index("7777") < content.index("9012") else 0
    ]
    assert overview.scan == later
    assert overview.new_failing == 1
    assert overview.pass_rate == 33


def test_overview_query_count_is_bounded(client, user, two_scans, django_assert_max_num_queries):
    # One of them reads the tallies of every scan on the account's score trend, one counts the
    # resources at the end of an exposure path, two read the user's permissions (reading needs
    # view_findings).
    with django_assert_max_num_queries(16):
        client.get(reverse("home"))


def test_findings_page_defaults_to_latest_scan_and_partial_has_no_chrome(client, user, two_scans):
    _, later = two_scans
    page = client.get(reverse("findings:list"))
    assert page.status_code == 200
    assert page.context["scan"] == later
    assert b"<html" in page.content
    partial = client.get(reverse("findings:list"), {"scan": later.id, **FLAT}, headers=HX)
    assert b"<html" not in partial.content
    assert rows(partial) == 3


def test_findings_page_empty_state(client, user):
    response = client.get(reverse("findings:list"))
    assert b"No findings yet" in response.content


def test_findings_page_unknown_scan_is_404(client, user):
    assert client.get(reverse("findings:list"), {"scan": "nope"}).status_code == 404


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"service": "iam"}, 1),
        ({"region": "global"}, 1),
        ({"resource_type": "AWS::EC2::SecurityGroup"}, 2),
        ({"section": "cis_aws_foundations:1.5"}, 1),
        ({"section": "cis_aws_foundations:5.2"}, 2),
        ({"q": "mfa"}, 1),
        ({"status": "PASS"}, 1),
        ({"change": "new"}, 1),
        ({"change": "unchanged"}, 1),
        ({"change": "resolved"}, 1),
    ],
)
def test_findings_filters(client, user, two_scans, filters, expected):
    _, later = two_scans
    response = client.get(
        reverse("findings:list"), {"scan": later.id, **FLAT, **filters}, headers=HX
    )
    assert rows(response) == expected


def test_sort_by_severity_puts_critical_first_and_reverses(client, user, two_scans):
    _, later = two_scans
    url = reverse("findings:list")
    ascending = client.get(url, {"scan": later.id, **FLAT, "sort": "severity"}, headers=HX)
    assert [f.severity for f in ascending.context["page"]] == ["critical", "high", "high"]
    descending = client.get(url, {"scan": later.id, **FLAT, "sort": "-severity"}, headers=HX)
    assert [f.severity for f in descending.context["page"]] == ["high", "high", "critical"]


def test_findings_page_query_count_does_not_grow(client, user, django_assert_num_queries):
    scan = create_scan(finished_at=timezone.now())
    for index in range(150):
        create_finding(scan, resource_hash=f"{index:064x}")
    # session, user, scan, the account's mutes, one count, one page, the user's permissions
    # (two: whether the bulk mute form shows); filter choices come from the cached catalog.
    with django_assert_num_queries(8):
        client.get(
            reverse("findings:list"), {"scan": scan.id, "view": "flat", "page": 2}, headers=HX
        )


def test_global_severity_floor_is_kept_in_the_session_and_applied(client, user, two_scans):
    _, later = two_scans
    response = client.post(
        reverse("findings:severity"),
        {"severity_floor": "critical", "next": reverse("findings:list")},
    )
    assert response.status_code == 302
    assert response.url == reverse("findings:list")
    assert client.session[SESSION_KEY] == "critical"
    page = client.get(reverse("findings:list"), {"scan": later.id, **FLAT})
    assert [f.severity for f in page.context["page"]] == ["critical"]
    assert b"and above on every page" not in page.content, "critical has nothing above"
    assert b'<option value="critical" selected>' in page.content
    # A page filter cannot widen the floor.
    wider = client.get(reverse("findings:list"), {"scan": later.id, **FLAT, "severity": "high"})
    assert list(wider.context["page"]) == []
    client.post(reverse("findings:severity"), {"severity_floor": ""})
    assert SESSION_KEY not in client.session


def test_severity_floor_ignores_foreign_next_url(client, user):
    response = client.post(
        reverse("findings:severity"), {"severity_floor": "high", "next": "https://evil.example/"}
    )
    assert response.url == reverse("home")


def test_finding_detail_shows_rule_evidence_history_and_remediation(client, user, two_scans):
    _, later = two_scans
    finding = later.findings.get(resource_hash="1" * 64)
    response = client.get(reverse("findings:detail", args=[finding.id]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "open_ports" in content
    assert 'id="advice"' in content, "the advice block the lead fills in"
    assert response.context["rule"] is not None
    assert len(response.context["history"]) == 2, "this scan and the earlier one"
    # The framework by its registry label, with the version and sections the rule maps.
    assert "<td>CIS AWS Foundations Benchmark</td><td>v3.0.0 " in content


def test_finding_detail_gives_the_reason_a_rule_is_unmapped(client, user):
    scan = create_scan()
    finding = create_finding(
        scan,
        rule_id="EKS_ADDON_OUTDATED",
        compliance={"unmapped": "No CIS Amazon EKS item covers add-on versions."},
    )
    content = client.get(reverse("findings:detail", args=[finding.id])).content.decode()
    assert (
        "No benchmark maps this control: No CIS Amazon EKS item covers add-on versions." in content
    )
    assert "N, o" not in content, "the reason is text, not a list to join"


def test_finding_detail_query_count(client, user, two_scans, django_assert_max_num_queries):
    _, later = two_scans
    finding = later.findings.get(resource_hash="1" * 64)
    with django_assert_max_num_queries(8):
        client.get(reverse("findings:detail", args=[finding.id]))


def test_scan_detail_links_to_findings_compliance_and_diff(client, user, two_scans):
    _, later = two_scans
    content = client.get(reverse("scan_pages:detail", args=[later.id])).content.decode()
    assert reverse("findings:diff", args=[later.id]) in content
    assert reverse("scan_pages:compliance", args=[later.id]) in content
    assert f"{reverse('findings:list')}?scan={later.id}" in content


@pytest.mark.parametrize(("section", "expected"), [("5.3", 1), ("5.2", 2), ("1.5", 0)])
def test_a_section_filter_reads_single_and_multi_version_mappings(client, user, section, expected):
    # Findings stored before rules mapped two versions keep one mapping; newer ones a list.
    scan = create_scan(finished_at=timezone.now())
    create_finding(scan, resource_hash="4" * 64)
    create_finding(
        scan,
        resource_hash="5" * 64,
        compliance={
            "cis_aws_foundations": [
                {"version": "5.0.0", "sections": ["5.3"]},
                {"version": "3.0.0", "sections": ["5.2"]},
            ]
        },
    )
    filters = {"scan": scan.id, **FLAT, "section": f"cis_aws_foundations:{section}"}
    response = client.get(reverse("findings:list"), filters, headers=HX)
    assert rows(response) == expected
