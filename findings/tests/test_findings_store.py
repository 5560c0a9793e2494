"""Findings are written in batches, one INSERT per BATCH_SIZE, and the write time is measured."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import create_scan
from findings.models import Finding
from findings.services import BATCH_SIZE, findings_store
from rules.engine import Evaluation, load_catalog
from rules.evaluators import Result
from scans.inventory import Resource

pytestmark = pytest.mark.django_db


def _evaluations(count: int):
    rule = load_catalog().rules[0]
    for index in range(count):
        resource = Resource(
            type=rule.resource_type,
            arn=f"arn:aws:ec2:eu-west-1:123456789012:thing/{index}",
            region="eu-west-1",
            data={},
        )
        status = "FAIL" if index % 3 == 0 else "PASS"
        yield Evaluation(rule=rule, resource=resource, result=Result(status, {}))


def test_findings_are_inserted_in_batches_and_the_write_time_is_recorded():
    scan = create_scan()
    count = 2 * BATCH_SIZE + 1
    with CaptureQueriesContext(connection) as queries:
        result = findings_store(scan_id=scan.id, evaluations=_evaluations(count))
    inserts = [query for query in queries if query["sql"].startswith("INSERT")]
    assert len(inserts) == 3
    assert (result.stored, result.failed) == (count, len(range(0, count, 3)))
    assert Finding.objects.filter(scan=scan).count() == count
    assert result.write_seconds > 0
