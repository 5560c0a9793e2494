"""Advice runs in its own django-q2 cluster, so a slow model never delays a scan unit."""

import pytest
from django_q.models import OrmQ

from advice.models import ScanAdvice
from advice.services import ADVICE_TASK, advice_plan_for_scan
from securescope.executor import UNIT_TASK, enqueue_scan_units
from testing.factories import create_finding, create_scan

pytestmark = pytest.mark.django_db(transaction=True)


def queued(cluster: str) -> list[str]:
    return [task.func() for task in OrmQ.objects.filter(key=cluster)]


def test_advice_items_go_to_the_advice_cluster_and_scan_units_to_scans(settings, llm_server):
    settings.SCAN_EXECUTOR = "django-q"
    scan = create_scan()
    create_finding(scan, rule_id="EC2_SG_SSH_OPEN", evidence={"open_ports": [22]})
    create_finding(
        scan,
        rule_id="EC2_SG_SSH_OPEN",
        resource_hash="c" * 64,
        evidence={"open_ports": [22, 3389]},
    )
    item_ids = advice_plan_for_scan(scan_id=scan.id)
    enqueue_scan_units(scan_id=scan.id, units=["global", "us-east-1"])

    assert queued("advice") == [ADVICE_TASK, ADVICE_TASK]
    assert sorted(task.args()[0] for task in OrmQ.objects.filter(key="advice")) == sorted(item_ids)
    assert queued("scans") == [UNIT_TASK, UNIT_TASK]
    assert ScanAdvice.objects.filter(scan=scan, status="pending").count() == 2
