"""Exposure paths from stored findings: latest scans, links resolved, and every export."""

import pytest

from findings.exports import EXPORTERS
from findings.exposure import exposure_paths, latest_succeeded_scans, reachable_resource_count
from findings.selectors import finding_list
from testing.factories import create_finding, create_scan

pytestmark = pytest.mark.django_db

CHAIN = [{"step": "route", "kind": "internet_gateway"}, {"step": "instance", "imds_v1": True}]


def _path(scan, resource_hash: str = "1" * 64, **overrides):
    link = {
        "rule": "EC2_SG_SSH_OPEN",
        "resource_type": "AWS::EC2::SecurityGroup",
        "resource": "2" * 64,
        "region": "us-east-1",
    }
    values = {
        "rule_id": "EXPOSURE_ADMIN_PORT_POWERFUL_INSTANCE",
        "title": "Internet reaches an administration port",
        "service": "exposure",
        "severity": "critical",
        "resource_type": "Exposure::Instance",
        "resource_hash": resource_hash,
        "evidence": {"chain": CHAIN, "built_from": [link]},
        "compliance": {"unmapped": "a combination"},
    }
    return create_finding(scan, **{**values, **overrides})


def test_latest_succeeded_scan_per_account_only():
    old = create_scan()
    new = create_scan()
    create_scan(status="failed")
    other = create_scan(account_hash="c" * 64)
    assert set(latest_succeeded_scans()) == {new, other}
    assert latest_succeeded_scans(account_hash=old.account_hash) == [new]


def test_links_resolve_to_the_findings_of_the_same_scan():
    scan, later = create_scan(), create_scan()
    group = create_finding(scan, resource_hash="2" * 64)
    create_finding(later, resource_hash="2" * 64)
    _path(scan)
    (path,) = exposure_paths(scans=[scan])
    assert path.chain == CHAIN
    ((link, found),) = path.built_from
    assert link["rule"] == "EC2_SG_SSH_OPEN"
    assert found == group


def test_reachable_resources_are_counted_once_whatever_their_paths():
    scan = create_scan()
    _path(scan)
    _path(scan, rule_id="EXPOSURE_REACHABLE_INSTANCE_ROLE_IMDSV1", severity="high")
    _path(scan, resource_hash="3" * 64)
    _path(scan, resource_hash="4" * 64, status="PASS")
    assert reachable_resource_count(scan=scan) == 2


@pytest.mark.parametrize("export_format", sorted(EXPORTERS))
def test_path_findings_are_in_every_export(export_format):
    scan = create_scan(severity_counts={"critical": 1})
    _path(scan)
    text = "".join(EXPORTERS[export_format](scan, finding_list(scan_id=scan.id)))
    assert "EXPOSURE_ADMIN_PORT_POWERFUL_INSTANCE" in text
    assert "internet_gateway" in text
