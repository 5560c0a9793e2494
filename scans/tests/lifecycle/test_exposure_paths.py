"""A region unit builds the exposure model from what it collected and stores the path findings
with the rest, located on the instance the path ends at, naming no identifier."""

import json

import pytest

from findings.models import Finding
from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start
from scans.lifecycle.units import scan_unit_run
from scans.models import ScanRegion
from securescope.privacy import resource_hash
from testing.exposure import ACCOUNT, ADMIN_POLICY, Account

pytestmark = pytest.mark.django_db

REGION = "eu-west-1"


def test_a_unit_stores_the_path_on_the_instance_with_its_model_time(aws):
    account = Account(REGION)
    account.internet_route()
    instance = account.instance(
        groups=[account.group("ssh", 22)], profile=account.profile("admin", ADMIN_POLICY)
    )
    scan = scan_start(
        credentials=AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40), regions=[REGION]
    )

    scan_unit_run(scan_id=scan.id, region=REGION)

    path = Finding.objects.get(scan=scan, rule_id="EXPOSURE_ADMIN_PORT_POWERFUL_INSTANCE")
    assert path.status == Finding.Status.FAIL
    assert path.severity == "critical"
    assert path.resource_hash == resource_hash(instance)
    imds = Finding.objects.get(scan=scan, rule_id="EC2_IMDSV2_REQUIRED")
    assert imds.resource_hash == path.resource_hash
    linked = {(link["rule"], link["resource"]) for link in path.evidence["built_from"]}
    assert ("EC2_IMDSV2_REQUIRED", imds.resource_hash) in linked
    text = json.dumps(path.evidence)
    assert ACCOUNT not in text
    assert instance.rsplit("/", 1)[-1] not in text
    unit = ScanRegion.objects.get(scan=scan, region=REGION)
    assert unit.timings["exposure_model"] >= 0
