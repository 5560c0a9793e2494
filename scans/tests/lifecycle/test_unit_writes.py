"""A unit's progress costs a bounded number of writes to its ScanRegion row: one per
collector as it ends (so the progress table moves within a region), never one per page or
findings batch."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start
from scans.lifecycle.units import scan_unit_run
from scans.models import ScanRegion
from testing.aws import seed_region

pytestmark = pytest.mark.django_db


def test_a_unit_updates_its_progress_row_three_times_and_once_per_collector(aws):
    seed_region("eu-west-1")
    # Inside the test's transaction the units are not enqueued: this test runs one itself.
    scan = scan_start(
        credentials=AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40), regions=["eu-west-1"]
    )

    with CaptureQueriesContext(connection) as queries:
        scan_unit_run(scan_id=scan.id, region="eu-west-1")

    table = ScanRegion._meta.db_table
    updates = [q["sql"] for q in queries if q["sql"].startswith(f'UPDATE "{table}"')]
    unit = ScanRegion.objects.get(scan=scan, region="eu-west-1")
    assert unit.findings_count > 0
    assert unit.collectors_done == unit.collectors_total > 0
    # Running, collected, finished, and each collector's end.
    assert len(updates) == 3 + unit.collectors_total, updates
