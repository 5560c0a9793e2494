"""A rule whose evaluator raises costs only itself: the region's other rules are still stored."""

import logging
from collections import Counter
from dataclasses import replace

import pytest

from findings.models import Finding
from rules.loading import load_catalog
from rules.schema import Catalog
from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start, scan_wait
from scans.models import Scan
from testing.aws import seed_region

REGION = "eu-west-1"
BROKEN_RULE = "EC2_SG_SSH_OPEN"


def catalog_with_a_broken_rule() -> Catalog:
    """The shipped catalog, with SSH's port list written as a bare number, which the evaluator
    cannot iterate over for any security group.

    The loader rejects such params, so the catalog is built past it, the way an evaluator bug
    would reach a scan.
    """
    shipped = load_catalog()
    rules = tuple(
        replace(rule, params={"ports": 22}) if rule.id == BROKEN_RULE else rule
        for rule in shipped.rules
    )
    return Catalog(rules=rules, errors=())


@pytest.mark.django_db(transaction=True)
def test_a_raising_rule_is_not_evaluated_and_the_others_are_stored(aws, monkeypatch, caplog):
    seed_region(REGION)
    broken = catalog_with_a_broken_rule()
    monkeypatch.setattr("scans.lifecycle.units.load_catalog", lambda: broken)
    caplog.set_level(logging.ERROR, logger="rules.engine")

    scan = scan_start(
        credentials=AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40), regions=[REGION]
    )
    scan = scan_wait(scan_id=scan.id, timeout=90)

    assert scan.status == Scan.Status.SUCCEEDED
    findings = Finding.objects.filter(scan=scan)
    counts = Counter(findings.values_list("rule_id", "status"))
    assert counts["EC2_IMDSV2_REQUIRED", "FAIL"] == 1
    assert counts["EC2_IMDSV2_REQUIRED", "PASS"] == 1
    assert counts["EC2_SG_ADMIN_PORTS_IPV4", "FAIL"] == 1
    broken_findings = findings.filter(rule_id=BROKEN_RULE)
    assert broken_findings.count() >= 2, "every security group still has a result"
    assert set(broken_findings.values_list("status", flat=True)) == {"NOT_EVALUATED"}
    assert {finding.evidence["reason"] for finding in broken_findings} == {"rule error: TypeError"}
    messages = [record.getMessage() for record in caplog.records if record.name == "rules.engine"]
    assert messages == [f"Rule {BROKEN_RULE} raised TypeError; its results are NOT_EVALUATED"]
    assert all(
        record.exc_info is None for record in caplog.records if record.name == "rules.engine"
    )
