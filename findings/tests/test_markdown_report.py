"""The Markdown export reads as a report: summary, top risks, coverage, compliance per framework
and section, failing findings by severity then rule, passing findings as appendix counts."""

import re

import pytest

from findings.exports import export_markdown
from findings.selectors import finding_list
from scans.models import Scan
from testing.factories import create_finding, create_scan, create_scan_region

pytestmark = pytest.mark.django_db


@pytest.fixture
def report():
    scan = create_scan(minimal_permissions={"iam:GetAccountPasswordPolicy": "denied"})
    create_scan_region(scan, region="eu-west-1", error="throttled", warnings=["slow region"])
    create_finding(scan, rule_id="EC2_SG_SSH_OPEN", severity="high", resource_hash="1" * 64)
    create_finding(scan, rule_id="EC2_SG_SSH_OPEN", severity="high", resource_hash="2" * 64)
    create_finding(
        scan, rule_id="EC2_SG_SSH_OPEN", severity="high", resource_hash="5" * 64, status="PASS"
    )
    create_finding(
        scan,
        rule_id="IAM_ROOT_MFA",
        severity="critical",
        region="global",
        resource_hash="3" * 64,
        compliance={"cis_aws_foundations": {"version": "3.0.0", "sections": ["1.5"]}},
    )
    create_finding(scan, rule_id="EC2_EBS_ENCRYPTION", severity="medium", resource_hash="4" * 64)
    create_finding(
        scan,
        rule_id="IAM_PASSWORD_MIN_LENGTH",
        severity="medium",
        region="global",
        resource_hash="6" * 64,
        status="NOT_EVALUATED",
        compliance={"cis_aws_foundations": {"version": "3.0.0", "sections": ["1.8"]}},
        evidence={"reason": "permission denied: iam:GetAccountPasswordPolicy"},
    )
    return "".join(export_markdown(scan, finding_list(scan_id=scan.id)))


def test_sections_come_in_report_order(report):
    headings = [line for line in report.splitlines() if re.match(r"#{1,3} ", line)]
    assert [h.split(":")[0].split(" (")[0] for h in headings] == [
        "# SecureScope scan of account ****9012",
        "## Summary",
        "## Top risks",
        "## Coverage",
        "### Permissions",
        "### Not evaluated",
        "### Region errors",
        "### Warnings",
        "## Compliance per framework",
        *[h.split(":")[0] for h in headings if h.startswith("### CIS") or h.startswith("### AWS")],
        "## Failing findings",
        "### Critical",
        "### High",
        "### Medium",
        "## Appendix",
    ]
    assert "\n\n## Failing findings" in report, "a blank line ends each table"


def test_severity_heading_counts_failing_findings_only(report):
    assert "### High (2 failing)" in report, "the passing SSH finding is not counted"
    assert (
        "#### EC2_SG_SSH_OPEN: Security group allows SSH (22) from the whole internet (2)" in report
    )
    # Passing findings are an appendix count per rule, never rows.
    appendix = report.split("## Appendix: passing findings per rule")[1]
    assert (
        "| `EC2_SG_SSH_OPEN` | Security group allows SSH (22) from the whole internet | 1 |"
        in appendix
    )
    assert "5" * 64 not in report


def test_summary_and_coverage_name_what_the_scan_could_not_see(report):
    summary = report.split("## Top risks")[0]
    assert "- Failing findings: 4 (critical 1, high 2, medium 1, low 0, info 0)" in summary
    assert "- CIS AWS Foundations Benchmark v3.0.0: 0 % (0 of 2 requirements pass;" in summary
    coverage = report.split("## Coverage")[1].split("## Compliance")[0]
    assert "| `iam:GetAccountPasswordPolicy` | denied |" in coverage
    assert (
        "| `IAM_PASSWORD_MIN_LENGTH` | permission denied: iam:GetAccountPasswordPolicy | 1 |"
        in coverage
    )
    assert "| eu-west-1 | throttled |" in coverage
    assert "| eu-west-1 | slow region |" in coverage


def test_compliance_per_section_with_requirement_titles(report):
    compliance = report.split("## Compliance per framework")[1].split("## Failing findings")[0]
    assert "### CIS AWS Foundations Benchmark v3.0.0: 0 %" in compliance
    assert "#### 1 Identity and Access Management:" in compliance
    assert (
        "| **1.5** Ensure MFA is enabled for the 'root' user account (Level 1) | fail | 1 | "
        "IAM_ROOT_MFA |" in compliance
    )
    assert (
        "| **1.8** Ensure IAM password policy requires minimum length of 14 or greater"
        in compliance
    )
    assert "| not evaluated: 1 finding not evaluated |" in compliance
    assert (
        "| **1.1** Maintain current contact details (Level 1) | manual: no rule automates it |"
        in compliance
    )


def test_advice_follows_each_rule_once_at_level_five(report):
    ssh = report.split("#### EC2_SG_SSH_OPEN")[1].split("### Medium")[0]
    assert ssh.count("_Remediation: the rule catalog's curated advice._") == 1
    assert [line for line in ssh.splitlines() if line.startswith("##### ")] == [
        "##### Why it matters",
        "##### Fix it with the AWS CLI",
        "##### Fix it in the console",
        "##### Blast radius",
        "##### Regression testing",
    ]


def test_the_same_scan_exports_the_same_bytes(report):
    scan = Scan.objects.get()
    assert "".join(export_markdown(scan, finding_list(scan_id=scan.id))) == report
