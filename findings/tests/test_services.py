"""Findings are written in batches (COPY on PostgreSQL) and hold what was evaluated."""

from dataclasses import replace

import pytest
from django.db.models import JSONField

from findings import services
from findings.columns import JSON_COLUMNS, STORED_COLUMNS
from findings.models import Finding
from findings.services import BATCH_SIZE, finding_fingerprint, findings_store
from rules.engine import Evaluation
from rules.evaluators import Result
from rules.loading import load_catalog
from securescope.privacy import redact_evidence, resource_hash
from securescope.resources import Resource
from testing.factories import create_scan

pytestmark = pytest.mark.django_db


def _evaluation(index: int, evidence: dict | None = None, status: str = "PASS") -> Evaluation:
    rule = load_catalog().rules[0]
    resource = Resource(
        type=rule.resource_type,
        arn=f"arn:aws:ec2:eu-west-1:123456789012:thing/{index}",
        region="eu-west-1",
        data={},
    )
    return Evaluation(rule=rule, resource=resource, result=Result(status, evidence or {}))


def test_the_declared_columns_are_the_finding_models_columns():
    # `is_new` is marked when the scan closes, not written with the finding.
    fields = [
        field
        for field in Finding._meta.concrete_fields
        if not field.primary_key and field.name != "is_new"
    ]
    assert sorted(STORED_COLUMNS) == sorted(field.column for field in fields)
    assert {field.column for field in fields if isinstance(field, JSONField)} == JSON_COLUMNS


def test_findings_are_written_in_batches_and_the_write_time_is_recorded(monkeypatch):
    batches = []
    write = services._write
    monkeypatch.setattr(services, "_write", lambda rows: (batches.append(len(rows)), write(rows)))
    scan = create_scan()
    count = 2 * BATCH_SIZE + 1
    evaluations = (
        _evaluation(index, status="FAIL" if index % 3 == 0 else "PASS") for index in range(count)
    )
    result = findings_store(scan_id=scan.id, evaluations=evaluations)
    assert batches == [BATCH_SIZE, BATCH_SIZE, 1]
    assert (result.stored, result.failed) == (count, len(range(0, count, 3)))
    assert Finding.objects.filter(scan=scan).count() == count
    assert result.write_seconds > 0


@pytest.mark.parametrize("writer", ["_copy", "_insert"])
def test_a_stored_finding_holds_what_the_evaluation_said(monkeypatch, writer):
    # COPY is PostgreSQL's writer, executemany the others'; both run here on PostgreSQL.
    monkeypatch.setattr(services, "_write", getattr(services, writer))
    evidence = {
        "open_ports": [22, 3389],
        "cidr": "0.0.0.0/0",
        "note": 'tab\there, "quotes", back\\slash, new\nline, naïve ünïcode',
        "source": "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123456789abcdef0",
        "nested": {"enabled": False, "count": None},
    }
    evaluation = _evaluation(7, evidence, status="FAIL")
    scan = create_scan()
    findings_store(scan_id=scan.id, evaluations=[evaluation])
    finding = Finding.objects.get(scan=scan)
    rule, arn = evaluation.rule, evaluation.resource.arn
    assert finding.evidence == redact_evidence(evidence)
    assert "123456789012" not in str(finding.evidence)
    assert finding.compliance == rule.compliance
    assert finding.resource_hash == resource_hash(arn)
    assert finding.fingerprint == finding_fingerprint(
        rule_id=rule.id, resource_hash=resource_hash(arn), region="eu-west-1"
    )
    assert (finding.rule_id, finding.title, finding.service, finding.severity) == (
        rule.id,
        rule.title,
        rule.service,
        rule.severity,
    )
    assert (finding.status, finding.region, finding.resource_type) == (
        "FAIL",
        "eu-west-1",
        rule.resource_type,
    )


def test_a_result_that_lowers_its_severity_is_stored_at_that_severity():
    # A world-open group attached to nothing fails at low, whatever its rule's severity.
    rule = next(rule for rule in load_catalog().rules if rule.severity == "high")
    resource = Resource(
        type=rule.resource_type, arn="arn:aws:ec2:eu-west-1:1:x/1", region="eu-west-1"
    )
    scan = create_scan()
    findings_store(
        scan_id=scan.id,
        evaluations=[
            Evaluation(rule=rule, resource=resource, result=Result("FAIL", {})),
            Evaluation(
                rule=replace(rule, id="LOWERED"),
                resource=resource,
                result=Result("FAIL", {"attached": False}, severity="low"),
            ),
        ],
    )
    severities = dict(Finding.objects.filter(scan=scan).values_list("rule_id", "severity"))
    assert severities == {rule.id: "high", "LOWERED": "low"}
