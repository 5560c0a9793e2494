"""Exposure paths from stored findings: latest scans, links resolved, and every export."""

import pytest

from findings.exports import EXPORTERS
from findings.exposure import exposure_paths, latest_succeeded_scans, reachable_resource_count
from findings.selectors import finding_list
from findings.tallies import stored_tallies
from testing.factories import close_scan, create_finding, create_scan

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


def test_a_closed_scan_counts_reachable_resources_from_the_path_rules_its_tallies_name(
    django_assert_num_queries,
):
    scan = create_scan()
    _path(scan)
    _path(scan, rule_id="EXPOSURE_REACHABLE_INSTANCE_ROLE_IMDSV1", severity="high")
    _path(scan, resource_hash="4" * 64, status="PASS")
    create_finding(scan, resource_hash="5" * 64)
    close_scan(scan)
    tallies = stored_tallies(scan_id=scan.id)
    assert reachable_resource_count(scan=scan, tallies=tallies) == 1
    quiet = create_scan(account_hash="c" * 64)
    create_finding(quiet)
    _path(quiet, status="PASS")
    close_scan(quiet)
    quiet_tallies = stored_tallies(scan_id=quiet.id)
    with django_assert_num_queries(0):
        assert reachable_resource_count(scan=quiet, tallies=quiet_tallies) == 0


@pytest.mark.parametrize("export_format", sorted(EXPORTERS))
def test_path_findings_are_in_every_export(export_format):
    scan = create_scan(severity_counts={"critical": 1})
    _path(scan)
    text = "".join(EXPORTERS[export_format](scan, finding_list(scan_id=scan.id)))
    assert "EXPOSURE_ADMIN_PORT_POWERFUL_INSTANCE" in text
    assert "internet_gateway" in text
