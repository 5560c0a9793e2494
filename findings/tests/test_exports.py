"""Exports are deterministic, complete and carry only anonymized data."""

import csv
import io
import json

import pytest
from django.urls import reverse

from findings.exports import (
    ADVICE_FIELDS,
    ADVICE_SECTION_COLUMNS,
    CSV_SCAN_FIELDS,
    EXPORTERS,
    FINDING_FIELDS,
)
from findings.selectors import finding_list
from testing.factories import create_finding, create_scan, create_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def scan_with_findings():
    scan = create_scan(severity_counts={"critical": 1, "high": 1, "medium": 0, "low": 0})
    # Created out of order: the export must sort them.
    create_finding(
        scan,
        rule_id="IAM_ROOT_MFA",
        severity="critical",
        region="global",
        resource_hash="c" * 64,
        evidence={"root_mfa_enabled": False},
    )
    create_finding(
        scan,
        rule_id="EC2_SG_SSH_OPEN",
        region="us-west-2",
        resource_hash="e" * 64,
        status="PASS",
        evidence={"world_ingress": False, "ports_checked": [22]},
    )
    create_finding(
        scan,
        rule_id="EC2_SG_SSH_OPEN",
        region="eu-west-1",
        resource_hash="d" * 64,
        evidence={"title": "a | pipe", "open_ports": [22]},
    )
    return scan


def render(scan, export_format: str, **filters) -> str:
    return "".join(EXPORTERS[export_format](scan, finding_list(scan_id=scan.id, **filters)))


def test_json_export_shape_and_order(scan_with_findings):
    document = json.loads(render(scan_with_findings, "json"))
    assert set(document) == {"scan", "findings"}
    assert document["scan"]["id"] == str(scan_with_findings.id)
    assert document["scan"]["account"] == "****9012"
    keys = [(f["rule_id"], f["region"]) for f in document["findings"]]
    assert keys == [
        ("EC2_SG_SSH_OPEN", "eu-west-1"),
        ("EC2_SG_SSH_OPEN", "us-west-2"),
        ("IAM_ROOT_MFA", "global"),
    ]
    # Failing findings carry their advice; without a model, the catalog's curated remediation.
    for finding in document["findings"]:
        expected = (
            {*FINDING_FIELDS, "advice"} if finding["status"] == "FAIL" else set(FINDING_FIELDS)
        )
        assert set(finding) == expected
    assert {f["status"] for f in document["findings"]} == {"FAIL", "PASS"}


@pytest.mark.parametrize("export_format", ["json", "csv", "md"])
def test_same_scan_exports_byte_identical(client, scan_with_findings, export_format):
    client.force_login(create_user())
    url = reverse("findings:export", args=[scan_with_findings.id, export_format])
    first = b"".join(client.get(url).streaming_content)
    second = b"".join(client.get(url).streaming_content)
    assert first == second
    assert first == render(scan_with_findings, export_format).encode()


def test_export_view_sets_attachment_and_type(client, scan_with_findings):
    client.force_login(create_user())
    response = client.get(reverse("findings:export", args=[scan_with_findings.id, "json"]))
    assert response["Content-Type"] == "application/json"
    assert f"securescope-{scan_with_findings.id}.json" in response["Content-Disposition"]


def test_export_honours_the_severity_filter(client, scan_with_findings):
    client.force_login(create_user())
    url = reverse("findings:export", args=[scan_with_findings.id, "json"])
    document = json.loads(b"".join(client.get(url, {"severity": "critical"}).streaming_content))
    assert [f["rule_id"] for f in document["findings"]] == ["IAM_ROOT_MFA"]


def test_unknown_export_format_is_404(client, scan_with_findings):
    client.force_login(create_user())
    url = reverse("findings:export", args=[scan_with_findings.id, "xml"])
    assert client.get(url).status_code == 404


def test_csv_export_has_header_and_json_cells(scan_with_findings):
    rows = list(csv.reader(io.StringIO(render(scan_with_findings, "csv"))))
    assert tuple(rows[0]) == (
        *FINDING_FIELDS,
        *(f"advice_{name}" for name in ADVICE_FIELDS),
        *ADVICE_SECTION_COLUMNS,
        *(f"scan_{name}" for name in CSV_SCAN_FIELDS),
    )
    assert len(rows) == 4
    evidence = json.loads(rows[1][FINDING_FIELDS.index("evidence")])
    assert evidence["open_ports"] == [22]


def test_csv_gives_each_advice_section_a_column_on_failing_rows_only(scan_with_findings):
    rows = list(csv.DictReader(io.StringIO(render(scan_with_findings, "csv"))))
    assert ADVICE_SECTION_COLUMNS == (
        "advice_rationale",
        "advice_remediation_cli",
        "advice_remediation_console",
        "advice_blast_radius",
        "advice_regression_testing",
    )
    for row in rows:
        sections = [row[column] for column in ADVICE_SECTION_COLUMNS]
        if row["status"] == "FAIL":
            assert row["advice_source"] == "curated"
            assert all(sections), row["rule_id"]
        else:
            assert sections == [""] * 5
    root_mfa = next(row for row in rows if row["rule_id"] == "IAM_ROOT_MFA")
    assert root_mfa["advice_remediation_cli"].startswith("aws iam ")
    assert "### Blast radius" in root_mfa["advice_markdown"]


def test_markdown_export_escapes_table_cells(scan_with_findings):
    text = render(scan_with_findings, "md")
    assert text.startswith("# SecureScope scan of account ****9012")
    assert "a \\| pipe" in text
    # The two failing findings are rows; the passing one is an appendix count.
    assert text.count("\n| global |") + text.count("\n| eu-west-1 |") == 2
    assert "\n| us-west-2 |" not in text


def test_csv_export_names_the_disabled_rules_on_every_row(scan_with_findings):
    scan_with_findings.rule_settings = {"disabled": ["EKS_ADDON_OUTDATED", "IAM_ROOT_MFA"]}
    scan_with_findings.save(update_fields=["rule_settings"])
    text = render(scan_with_findings, "csv")
    assert text.startswith("rule_id,"), "the header comes first: no comment line before it"
    records = list(csv.DictReader(io.StringIO(text)))
    assert len(records) == 3
    for record in records:
        assert json.loads(record["scan_disabled_rules"]) == ["EKS_ADDON_OUTDATED", "IAM_ROOT_MFA"]


def test_csv_export_says_no_rule_was_disabled(scan_with_findings):
    records = list(csv.DictReader(io.StringIO(render(scan_with_findings, "csv"))))
    assert {record["scan_disabled_rules"] for record in records} == {"[]"}


def test_csv_export_quotes_a_cell_that_would_run_as_a_formula(scan_with_findings):
    create_finding(scan_with_findings, rule_id="Z_RULE", title='=HYPERLINK("http://x")')
    rows = list(csv.DictReader(io.StringIO(render(scan_with_findings, "csv"))))
    assert rows[-1]["title"] == '\'=HYPERLINK("http://x")'


def test_markdown_export_shows_html_in_advice_as_text():
    from advice.render import markdown_neutralised

    advice = "### Why\n\nSee <img src=x onerror=alert(1)> and `<code>`\n\n```sh\necho <b>\n```\n"
    assert markdown_neutralised(advice) == (
        "### Why\n\nSee &lt;img src=x onerror=alert(1)> and `<code>`\n\n```sh\necho <b>\n```\n"
    )
