"""The Markdown export reads as a report: summary, compliance table, findings grouped by
severity then rule."""

import pytest

from findings.exports import export_markdown
from findings.selectors import finding_list
from testing.factories import create_finding, create_scan

pytestmark = pytest.mark.django_db


def test_markdown_groups_by_severity_then_rule_after_summary_and_compliance():
    scan = create_scan()
    create_finding(scan, rule_id="EC2_SG_SSH_OPEN", severity="high", resource_hash="1" * 64)
    create_finding(scan, rule_id="EC2_SG_SSH_OPEN", severity="high", resource_hash="2" * 64)
    create_finding(
        scan, rule_id="IAM_ROOT_MFA", severity="critical", region="global", resource_hash="3" * 64
    )
    create_finding(scan, rule_id="EC2_EBS_ENCRYPTION", severity="medium", resource_hash="4" * 64)
    text = "".join(export_markdown(scan, finding_list(scan_id=scan.id)))
    # Each rule's advice (here the curated remediation) sits below its table at level 4.
    headings = [line for line in text.splitlines() if line.startswith("#") and line[:4] != "####"]
    assert headings[:3] == [
        "# SecureScope scan of account ****9012",
        "## Summary",
        "## Compliance",
    ]
    assert [h.split(":")[0].split(" (")[0] for h in headings[3:]] == [
        "## Critical",
        "### IAM_ROOT_MFA",
        "## High",
        "### EC2_SG_SSH_OPEN",
        "## Medium",
        "### EC2_EBS_ENCRYPTION",
    ]
    assert "## High (2)" in text
    assert "| CIS AWS Foundations Benchmark v3.0.0 | 3 | 0 | 4 | 0 | 0 % |" in text
    assert "\n\n## High" in text, "a blank line ends each table"
    # One piece of advice per rule and evidence shape, not one per finding.
    ssh = text.split("### EC2_SG_SSH_OPEN")[1].split("## Medium")[0]
    assert ssh.count("_Remediation: the rule catalog's curated advice._") == 1
    # The curated advice has the five sections a model's has, in the same order.
    headings = [line for line in ssh.splitlines() if line.startswith("#### ")]
    assert headings == [
        "#### Why it matters",
        "#### Fix it with the AWS CLI",
        "#### Fix it in the console",
        "#### Blast radius",
        "#### Regression testing",
    ]
