"""A scan's region units run at the same time, not one after the other (embedded thread pool)."""

import dataclasses
import threading

import pytest
from django.core.management import call_command

from scans.collection.collectors import REGISTRY, CollectContext
from scans.models import Scan, ScanRegion

pytestmark = pytest.mark.django_db(transaction=True)

REGIONS = ["eu-west-1", "us-west-2", "ap-southeast-2"]
COLLECTOR = "ec2.security_groups"


def test_region_units_run_concurrently(aws, monkeypatch, settings, tmp_path):
    settings.SCAN_EXECUTOR = "thread"
    # Each region unit calls this collector once and waits there for the others: units run one
    # at a time, the first waits alone until the barrier breaks.
    meeting = threading.Barrier(parties=len(REGIONS), timeout=10)
    collector = REGISTRY[COLLECTOR]
    regions_met = []

    def collect_after_meeting(ctx: CollectContext) -> list:
        meeting.wait()
        regions_met.append(ctx.region)
        return collector.collect(ctx)

    monkeypatch.setitem(
        REGISTRY, COLLECTOR, dataclasses.replace(collector, collect=collect_after_meeting)
    )

    call_command("scan", "--regions", ",".join(REGIONS), "--output", str(tmp_path / "scan.json"))

    assert not meeting.broken
    assert sorted(regions_met) == sorted(REGIONS)
    scan = Scan.objects.get()
    assert scan.status == Scan.Status.SUCCEEDED
    units = ScanRegion.objects.filter(scan=scan).exclude(region="global")
    assert sorted(unit.region for unit in units) == sorted(REGIONS)
    for unit in units:
        assert not [warning for warning in unit.warnings if COLLECTOR in warning], unit.region
