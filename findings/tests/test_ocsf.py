"""The OCSF export: valid Detection Finding events, stable ids, byte-identical re-exports."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from jsonschema import Draft202012Validator

from findings.ocsf import CLASS_UID, OCSF_VERSION, SEVERITY_CAPTIONS
from findings.selectors import MutedFilter
from findings.services import mute_create
from findings.tests.ocsf_jsonschema import SCHEMA_DIR, class_uid, event_class_schema
from findings.tests.test_exports import render
from testing.factories import create_finding, create_scan, create_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def scan_with_findings():
    scan = create_scan()
    create_finding(
        scan,
        rule_id="IAM_ROOT_MFA",
        severity="critical",
        region="global",
        resource_hash="c" * 64,
        evidence={"root_mfa_enabled": False},
    )
    create_finding(scan, rule_id="EC2_SG_SSH_OPEN", region="us-west-2", status="PASS")
    create_finding(
        scan,
        rule_id="EC2_SG_SSH_OPEN",
        region="eu-west-1",
        resource_hash="d" * 64,
        status="NOT_EVALUATED",
        evidence={"missing": {"security_groups": "AccessDenied"}},
    )
    return scan


def events(scan, **filters) -> list[dict]:
    return [json.loads(line) for line in render(scan, "ocsf", **filters).splitlines()]


def test_vendored_schema_is_the_declared_release():
    assert json.loads((SCHEMA_DIR / "dictionary.json").read_text())["name"] == "dictionary"
    assert class_uid("detection_finding") == CLASS_UID == 2004
    assert OCSF_VERSION == "1.2.0"


def test_compiled_schema_refuses_what_ocsf_refuses():
    """The compiled schema is not a pass-everything: it checks required attributes, enums,
    types and unknown attributes."""
    validator = Draft202012Validator(event_class_schema("detection_finding"))
    assert "finding_info" in validator.schema["required"]
    assert validator.schema["additionalProperties"] is False
    assert not validator.is_valid({"class_uid": 2004})
    assert not validator.is_valid({"class_uid": 2003})
    assert not validator.is_valid({"type_uid": 200499})
    assert not validator.is_valid({"severity_id": 7})
    assert not validator.is_valid({"time": "yesterday"})
    assert not validator.is_valid({"finding_info": {"uid": "x", "title": "t", "colour": "red"}})


def test_every_event_validates_against_the_ocsf_class(scan_with_findings):
    validator = Draft202012Validator(event_class_schema("detection_finding"))
    exported = events(scan_with_findings)
    assert len(exported) == 3
    for event in exported:
        errors = sorted(validator.iter_errors(event), key=str)
        assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
        assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
        assert event["severity"] == SEVERITY_CAPTIONS[event["severity_id"]]


def test_event_fields_map_the_finding(scan_with_findings):
    finding = scan_with_findings.findings.get(rule_id="IAM_ROOT_MFA")
    exported = events(scan_with_findings)
    event = next(e for e in exported if e["unmapped"]["rule_id"] == "IAM_ROOT_MFA")
    assert event["finding_info"]["uid"] == finding.fingerprint
    assert event["finding_info"]["title"] == finding.title
    assert (event["severity_id"], event["severity"]) == (5, "Critical")
    assert (event["status_id"], event["status"], event["status_code"]) == (1, "New", "FAIL")
    closed = scan_with_findings.finished_at or scan_with_findings.created_at
    assert event["time"] == int(closed.timestamp() * 1000)
    assert event["cloud"] == {"provider": "AWS", "region": "global"}
    assert event["resources"] == [
        {"type": finding.resource_type, "uid": "c" * 64, "region": "global"}
    ]
    assert event["metadata"]["product"]["name"] == "SecureScope"
    assert event["metadata"]["version"] == "1.2.0"
    assert event["remediation"]["desc"].startswith("Console: ")
    assert event["unmapped"]["evidence"] == {"root_mfa_enabled": False}
    assert event["unmapped"]["compliance"]
    for compliance in event["unmapped"]["compliance"]:
        assert compliance["standards"]
        assert compliance["requirements"]
    assert [e["status_code"] for e in exported] == ["NOT_EVALUATED", "PASS", "FAIL"]


def test_a_muted_finding_is_suppressed(scan_with_findings):
    user = create_user()
    mute_create(
        finding=scan_with_findings.findings.get(rule_id="IAM_ROOT_MFA"),
        whole_rule=False,
        justification="break-glass account, reviewed",
        owner=user,
        expires_on=datetime.now(tz=UTC).date() + timedelta(days=30),
        user=user,
    )
    event = next(
        e
        for e in events(scan_with_findings, muted=MutedFilter.INCLUDE)
        if e["unmapped"]["rule_id"] == "IAM_ROOT_MFA"
    )
    assert (event["status_id"], event["status"]) == (3, "Suppressed")
    assert event["unmapped"]["muted"] is True


def test_ocsf_download_is_json_lines_and_byte_identical(client, scan_with_findings):
    client.force_login(create_user())
    url = reverse("findings:export", args=[scan_with_findings.id, "ocsf"])
    response = client.get(url)
    first = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/x-ndjson"
    assert f"securescope-{scan_with_findings.id}.ocsf.jsonl" in response["Content-Disposition"]
    assert first == b"".join(client.get(url).streaming_content)
    assert first == render(scan_with_findings, "ocsf").encode()
