"""The HTML report: self-contained, sections in order, counts that add up, escaped."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils.html import escape

from findings.models import Finding
from findings.report_html import one_line_fix
from findings.tests.test_exports import render
from rules.loading import load_catalog
from scans.models import ScanRegion
from testing.factories import create_finding, create_scan, create_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def scan():
    scan = create_scan(
        minimal_permissions={"s3:GetBucketPolicy": "denied", "ec2:DescribeFlowLogs": "ok"},
        rule_settings={"disabled": ["S3_BUCKET_BPA"]},
    )
    ScanRegion.objects.create(
        scan=scan, region="eu-west-1", error="collector ec2 failed: Throttling", warnings=["slow"]
    )
    create_finding(scan, rule_id="IAM_ROOT_MFA", severity="critical", resource_hash="c" * 64)
    for letter in "de":
        create_finding(scan, severity="high", region="eu-west-1", resource_hash=letter * 64)
    create_finding(
        scan,
        severity="high",
        resource_hash="f" * 64,
        status="NOT_EVALUATED",
        evidence={"reason": "ec2:DescribeSecurityGroups denied"},
    )
    create_finding(scan, severity="high", resource_hash="a" * 64, status="PASS")
    create_finding(
        scan,
        rule_id="EC2_IMDSV2",
        title="<script>alert(1)</script>",
        severity="medium",
        resource_hash="9" * 64,
    )
    return scan


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def test_report_is_self_contained(scan):
    html = render(scan, "html")
    parsed = Collector()
    parsed.feed(html)
    assert "script" not in parsed.tags
    assert "link" not in parsed.tags
    assert "img" not in parsed.tags
    assert parsed.urls == []
    assert "<style>" in html
    assert "@media print" in html
    assert html.count("<svg") == 2, "failing by severity, and requirements passing per framework"


def test_title_is_escaped(scan):
    html = render(scan, "html")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_sections_come_in_report_order(scan):
    html = render(scan, "html")
    ids = re.findall(r'<h[23] id="([^"]+)"', html)
    assert ids == [
        "summary",
        "top-risks",
        "coverage",
        "compliance",
        "failing",
        "severity-critical",
        "severity-high",
        "severity-medium",
        "passing",
    ]


def test_severity_heading_counts_only_its_failing_findings(scan):
    html = render(scan, "html")
    for severity in ("critical", "high", "medium"):
        failing = scan.findings.filter(severity=severity, status=Finding.Status.FAIL).count()
        heading = re.search(rf'<h3 id="severity-{severity}">.*?\((\d+) failing\)</h3>', html)
        assert int(heading.group(1)) == failing
    # The high heading counts 2, not the PASS and NOT_EVALUATED rows of the same severity.
    assert "High</span> (2 failing)" in html


def test_pass_rows_are_an_appendix_count(scan):
    html = render(scan, "html")
    assert "a" * 64 not in html
    appendix = html.split('id="passing"')[1]
    assert re.search(r"<code>EC2_SG_SSH_OPEN</code>.*?<td class=\"num\">1</td>", appendix)


def test_coverage_lists_permissions_not_evaluated_errors_and_warnings(scan):
    coverage = render(scan, "html").split('id="coverage"')[1].split('id="failing"')[0]
    assert "<code>s3:GetBucketPolicy</code></td><td>denied</td>" in coverage
    assert "ec2:DescribeFlowLogs" not in coverage
    assert "ec2:DescribeSecurityGroups denied" in coverage
    assert "collector ec2 failed: Throttling" in coverage
    assert "<td>slow</td>" in coverage


def test_summary_and_top_risks(scan):
    html = render(scan, "html")
    summary = html.split('id="summary"')[1].split('id="top-risks"')[0]
    assert "****9012" in summary
    assert "S3_BUCKET_BPA" in summary
    # 4 failing, 1 passing: 20 % of 5 evaluated.
    assert "20 % of 5 evaluated findings" in summary
    top = html.split('id="top-risks"')[1].split('id="coverage"')[0]
    assert top.index("IAM_ROOT_MFA") < top.index("EC2_SG_SSH_OPEN")
    assert "EC2_IMDSV2" not in top
    rule = next(r for r in load_catalog().rules if r.id == "IAM_ROOT_MFA")
    assert escape(one_line_fix(rule)) in top


def test_one_line_fix_is_the_catalogs_summary():
    rule = next(r for r in load_catalog().rules if r.id == "IAM_ROOT_MFA")
    assert one_line_fix(rule) == rule.remediation.summary
    assert one_line_fix(None) == ""


def test_html_download_is_byte_identical(client, scan):
    client.force_login(create_user())
    url = reverse("findings:export", args=[scan.id, "html"])
    response = client.get(url)
    first = b"".join(response.streaming_content)
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert f"securescope-{scan.id}.html" in response["Content-Disposition"]
    assert first == b"".join(client.get(url).streaming_content)
    assert first == render(scan, "html").encode()
