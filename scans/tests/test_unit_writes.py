"""A unit's progress costs a bounded number of writes to its ScanRegion row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import seed_region
from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start, scan_unit_run
from scans.models import ScanRegion

pytestmark = pytest.mark.django_db


def test_a_unit_updates_its_progress_row_at_most_three_times(aws):
    seed_region("eu-west-1")
    # Inside the test's transaction the units are not enqueued: this test runs one itself.
    scan = scan_start(
        credentials=AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40), regions=["eu-west-1"]
    )

    with CaptureQueriesContext(connection) as queries:
        scan_unit_run(scan_id=scan.id, region="eu-west-1")

    table = ScanRegion._meta.db_table
    updates = [q["sql"] for q in queries if q["sql"].startswith(f'UPDATE "{table}"')]
    assert ScanRegion.objects.get(scan=scan, region="eu-west-1").findings_count > 0
    # Running, collected, finished: not one per collector, page or findings batch.
    assert 1 <= len(updates) <= 3, updates
