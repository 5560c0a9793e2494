"""A closed scan is scored once per process and catalog; a running scan every time."""

import pytest

from findings.scan_scores import closed_scans_scores, compliance_scores
from findings.tallies import closed_scan_tallies_forget
from rules.loading import clear_catalog_cache
from scans.models import Scan
from testing.factories import close_scan, create_finding, create_scan

pytestmark = pytest.mark.django_db

SSH = {"cis_aws_foundations": {"version": "3.0.0", "sections": ["5.2"]}}


def _foundations(scores):
    return next(score for score in scores if score.framework_id == "cis_aws_foundations")


def _closed_scan(**overrides):
    scan = create_scan(**overrides)
    create_finding(scan, resource_hash="1" * 64, compliance=SSH)
    create_finding(scan, resource_hash="2" * 64, status="PASS", compliance=SSH)
    return close_scan(scan)


def test_a_closed_scan_is_scored_once(django_assert_num_queries):
    scan = _closed_scan()
    first = compliance_scores(scan=scan, severities=["critical", "high"])
    with django_assert_num_queries(0):
        again = compliance_scores(scan=scan, severities=["high", "critical"])
    assert [score.percent for score in again] == [score.percent for score in first]
    assert _foundations(again).failing_findings == 1
    # A different floor is another score.
    assert _foundations(compliance_scores(scan=scan, severities=["low"])).failing_findings == 0


def test_a_running_scan_is_scored_from_its_findings_each_time():
    scan = create_scan(status=Scan.Status.RUNNING)
    create_finding(scan, resource_hash="1" * 64, status="PASS", compliance=SSH)
    assert _foundations(compliance_scores(scan=scan)).failing_findings == 0
    create_finding(scan, resource_hash="2" * 64, compliance=SSH)
    assert _foundations(compliance_scores(scan=scan)).failing_findings == 1


def test_a_catalog_parsed_again_drops_the_kept_scores(django_assert_num_queries):
    scan = _closed_scan()
    compliance_scores(scan=scan)
    clear_catalog_cache()
    # The process keeps the tallies too: forgotten, scoring again is seen reading them.
    closed_scan_tallies_forget(scan_id=scan.id)
    with django_assert_num_queries(1):
        compliance_scores(scan=scan)


def test_several_closed_scans_read_the_tallies_of_those_not_scored_yet_in_one_query(
    django_assert_num_queries,
):
    scored, fresh, other = _closed_scan(), _closed_scan(), _closed_scan()
    compliance_scores(scan=scored, severities=["high"])
    with django_assert_num_queries(1):
        scores = closed_scans_scores(scans=[scored, fresh, other], severities=["high"])
    assert {scan_id: _foundations(each).failing_findings for scan_id, each in scores.items()} == {
        scored.id: 1,
        fresh.id: 1,
        other.id: 1,
    }
