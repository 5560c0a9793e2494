"""The JSON export's field names are a contract with the pipelines that parse it.

The names are written out here rather than taken from findings.exports, so renaming or dropping
a field fails this test instead of silently changing what consumers receive. Keys come sorted
within the scan and each finding. `muted_failing_by_severity` is there only when active mutes
cover some of the scan's failing findings (which `failing_by_severity` then leaves out), so a
scan without them exports exactly as before mutes were counted.
"""

import json

import pytest

from findings.exports import EXPORTERS
from findings.selectors import MutedFilter, finding_list
from testing.factories import create_finding, create_mute, create_scan, create_user

pytestmark = pytest.mark.django_db

SCAN_KEYS = [
    "account",
    "compliance",
    "created_at",
    "disabled_rules",
    "failing_by_severity",
    "finished_at",
    "id",
    "not_evaluated",
    "permissions",
    "region_errors",
    "regions",
    "status",
    "warnings",
]
# One entry per framework version, scored per requirement; the finding share is secondary.
COMPLIANCE_KEYS = [
    "failed",
    "findings_pass_percent",
    "framework",
    "manual",
    "name",
    "not_evaluated",
    "passed",
    "requirements",
    "score_percent",
    "summary",
    "version",
]
REQUIREMENT_KEYS = ["failing", "id", "level", "reason", "rules", "status", "title"]
MUTED_SCAN_KEYS = sorted([*SCAN_KEYS, "muted_failing_by_severity"])
FINDING_KEYS = [
    "compliance",
    "evidence",
    "muted",
    "region",
    "resource_hash",
    "resource_type",
    "rule_id",
    "service",
    "severity",
    "status",
    "title",
]
# Only failing findings carry advice: the model's, or the catalog's curated remediation.
FAILING_FINDING_KEYS = sorted([*FINDING_KEYS, "advice"])
ADVICE_KEYS = ["generated_at", "markdown", "model", "sections", "source"]
# Model and curated advice alike, by section.
ADVICE_SECTION_KEYS = [
    "blast_radius",
    "rationale",
    "regression_testing",
    "remediation_cli",
    "remediation_console",
]


@pytest.fixture
def exported() -> dict:
    scan = create_scan(severity_counts={"critical": 1})
    create_finding(scan, rule_id="IAM_ROOT_MFA", severity="critical", region="global")
    create_finding(scan, status="PASS", resource_hash="c" * 64)
    create_mute(
        account_hash=scan.account_hash,
        account_label=scan.account_label,
        rule_id="IAM_ROOT_MFA",
        owner=create_user(),
        justification="break-glass root",
    )
    findings = finding_list(scan_id=scan.id, muted=MutedFilter.INCLUDE)
    text = "".join(EXPORTERS["json"](scan, findings))
    # json.loads keeps the text's key order, so the sorted-keys promise is checked too.
    return json.loads(text)


def test_top_level_is_scan_then_findings(exported):
    assert list(exported) == ["scan", "findings"]
    assert list(exported["scan"]) == MUTED_SCAN_KEYS
    assert exported["scan"]["failing_by_severity"]["critical"] == 0
    assert exported["scan"]["muted_failing_by_severity"]["critical"] == 1


def test_a_scan_without_mutes_keeps_the_scan_keys_and_its_stored_counts():
    scan = create_scan(severity_counts={"critical": 1})
    create_finding(scan, rule_id="IAM_ROOT_MFA", severity="critical", region="global")
    document = json.loads("".join(EXPORTERS["json"](scan, finding_list(scan_id=scan.id))))
    assert list(document["scan"]) == SCAN_KEYS
    assert document["scan"]["failing_by_severity"] == {"critical": 1}


def test_scan_carries_compliance_per_requirement_and_coverage(exported):
    scan = exported["scan"]
    assert {tuple(framework) for framework in scan["compliance"]} == {tuple(COMPLIANCE_KEYS)}
    foundations = next(
        f
        for f in scan["compliance"]
        if (f["framework"], f["version"]) == ("cis_aws_foundations", "3.0.0")
    )
    assert list(foundations["requirements"][0]) == REQUIREMENT_KEYS
    root_mfa = next(r for r in foundations["requirements"] if "IAM_ROOT_MFA" in r["rules"])
    assert (root_mfa["status"], root_mfa["failing"]) == ("FAIL", 1), "a mute does not pass it"
    assert list(scan["permissions"]) == ["denied", "unavailable"]


def test_each_finding_has_the_documented_fields(exported):
    failing, passing = (
        [f for f in exported["findings"] if f["status"] == status] for status in ("FAIL", "PASS")
    )
    assert [list(finding) for finding in failing] == [FAILING_FINDING_KEYS]
    assert [list(finding) for finding in passing] == [FINDING_KEYS]
    assert list(failing[0]["advice"]) == ADVICE_KEYS
    assert list(failing[0]["advice"]["sections"]) == ADVICE_SECTION_KEYS
    assert failing[0]["advice"]["source"] == "curated"
    assert (failing[0]["muted"], passing[0]["muted"]) == (True, False)
