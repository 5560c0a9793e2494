"""Tallies stored when a scan closes answer every count as counting its findings would, with
mutes subtracted and "new since the previous scan" included."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from findings.models import FindingTally
from findings.selectors import finding_list
from findings.tallies import ScanCounts
from scans.lifecycle.services import scan_finalize_if_complete
from scans.models import Scan, ScanRegion
from testing.factories import (
    close_scan,
    create_finding,
    create_mute,
    create_scan,
    create_scan_region,
    create_user,
)

pytestmark = pytest.mark.django_db

RULES = [
    ("EC2_SG_SSH_OPEN", "Security group allows SSH from the internet", "high", "5.2"),
    ("IAM_ROOT_MFA", "Root user has no MFA", "critical", "1.5"),
    ("EC2_EBS_ENCRYPTION", "EBS volume is not encrypted", "medium", "2.2.1"),
    ("EC2_IMDSV2", "Instance allows IMDSv1", "low", "5.6"),
]
REGIONS = ["us-east-1", "eu-west-1", "global"]
STATUSES = ["FAIL", "PASS", "FAIL", "NOT_EVALUATED", "PASS"]


def populate(scan, *, count: int, shift: int = 0) -> None:
    for index in range(count):
        rule_id, title, severity, section = RULES[index % len(RULES)]
        create_finding(
            scan,
            rule_id=rule_id,
            title=title,
            severity=severity,
            status=STATUSES[(index + shift) % len(STATUSES)],
            region=REGIONS[index % len(REGIONS)],
            resource_hash=f"{index:064x}",
            compliance={"cis_aws_foundations": {"version": "3.0.0", "sections": [section]}},
        )


@pytest.fixture
def scans():
    now = timezone.now()
    before = create_scan(created_at=now - timedelta(days=1), finished_at=now)
    populate(before, count=70, shift=1)
    close_scan(before)
    scan = create_scan(finished_at=now)
    populate(scan, count=90)
    close_scan(scan)
    owner = create_user(username="owner")
    create_mute(
        account_hash=scan.account_hash,
        account_label=scan.account_label,
        rule_id="EC2_IMDSV2",
        owner=owner,
    )
    muted = scan.findings.filter(rule_id="EC2_SG_SSH_OPEN", status="FAIL").first()
    create_mute(
        account_hash=scan.account_hash,
        account_label=scan.account_label,
        rule_id=muted.rule_id,
        fingerprint=muted.fingerprint,
        owner=owner,
    )
    return before, scan


FILTERS = [
    {},
    {"status": "FAIL"},
    {"status": "PASS", "severities": ["high", "critical"]},
    {"severities": []},
    {"region": "global"},
    {"service": "ec2", "resource_type": "AWS::EC2::SecurityGroup"},
    {"rule_ids": ["IAM_ROOT_MFA", "EC2_IMDSV2"]},
    {"search": "mfa"},
    {"search": "SECURITY group"},
    {"section": "cis_aws_foundations:5.2"},
    {"muted": "include"},
    {"muted": "only"},
    {"muted": "only", "status": "FAIL"},
    {"change": "new"},
    {"change": "new", "severities": ["high"]},
    {"change": "unchanged"},
    {"change": "resolved"},
    {"change": "new", "muted": "include"},
]


@pytest.mark.parametrize("filters", FILTERS)
def test_tallies_count_what_the_findings_list_holds(scans, filters):
    _, scan = scans
    counts = ScanCounts(scan, filters)
    assert counts.total() == finding_list(scan=scan, **filters).count()
    if filters.get("change") != "resolved":
        assert counts.tallies is not None, "answered from the stored tallies"


@pytest.mark.parametrize("filters", FILTERS)
def test_counting_live_gives_the_same_split(scans, filters):
    _, scan = scans
    stored = ScanCounts(scan, filters).by_key()
    FindingTally.objects.all().delete()
    scan.finding_counts = {}
    live = ScanCounts(scan, filters)
    assert live.by_key() == stored
    assert live.tallies is None


def test_rule_groups_order_by_severity_then_count_and_count_every_status(scans):
    _, scan = scans
    groups = ScanCounts(scan, {"status": "FAIL"}).rule_groups()
    assert [group.rule_id for group in groups] == [
        "IAM_ROOT_MFA",
        "EC2_SG_SSH_OPEN",
        "EC2_EBS_ENCRYPTION",
    ]
    assert [group.severity for group in groups] == ["critical", "high", "medium"]
    root = groups[0]
    listed = finding_list(scan=scan, rule_ids=["IAM_ROOT_MFA"])
    assert root.failing == listed.filter(status="FAIL").count()
    assert root.passing == listed.filter(status="PASS").count()
    assert root.not_evaluated == listed.filter(status="NOT_EVALUATED").count()
    assert root.title == "Root user has no MFA"
    assert "EC2_IMDSV2" not in {group.rule_id for group in groups}, "muted as a whole"


def test_a_closed_scan_counts_without_reading_its_findings():
    scan_without_mutes = create_scan(account_hash="e" * 64, finished_at=timezone.now())
    populate(scan_without_mutes, count=30)
    close_scan(scan_without_mutes)
    with CaptureQueriesContext(connection) as queries:
        counts = ScanCounts(scan_without_mutes, {"status": "FAIL", "search": "root"})
        counts.total()
        counts.rule_groups()
    assert not [q for q in queries if '"findings_finding"' in q["sql"]]


@pytest.mark.usefixtures("scans")
def test_closing_a_scan_stores_its_tallies_with_new_since_the_previous():
    scan = create_scan(status=Scan.Status.RUNNING, created_at=timezone.now() + timedelta(1))
    populate(scan, count=20, shift=2)
    create_scan_region(scan, status=ScanRegion.Status.SUCCEEDED)
    assert scan_finalize_if_complete(scan_id=scan.id)
    tallies = FindingTally.objects.filter(scan=scan)
    assert sum(tally.count for tally in tallies) == 20
    latest_good = Scan.objects.exclude(id=scan.id).order_by("-created_at").first()
    assert {tally.compared_with for tally in tallies} == {latest_good.id}
    new = finding_list(scan=scan, change="new", muted="include").count()
    assert sum(tally.new_count for tally in tallies) == new


def test_a_running_scan_is_counted_live():
    scan = create_scan(status=Scan.Status.RUNNING)
    populate(scan, count=12)
    counts = ScanCounts(scan, {"status": "FAIL"})
    assert counts.tallies is None
    assert counts.total() == finding_list(scan=scan, status="FAIL").count()


def fingerprints(findings) -> set[str]:
    return set(findings.values_list("fingerprint", flat=True))


def newly_failing(scan, since) -> set[str]:
    return fingerprints(scan.findings.filter(status="FAIL")) - fingerprints(
        since.findings.filter(status="FAIL")
    )


def test_closing_a_scan_marks_its_new_findings_and_the_list_reads_the_marks(scans):
    before, scan = scans
    new = newly_failing(scan, before)
    assert new, "the fixture has findings new since the previous scan"
    assert fingerprints(scan.findings.filter(is_new=True)) == new
    assert not before.findings.filter(is_new=True).exists(), "nothing before the first scan"
    listed = finding_list(scan=scan, change="new", muted="include")
    assert fingerprints(listed) == new
    sql = str(listed.query)
    assert "is_new" in sql
    assert "EXISTS" not in sql, "no lookup of each failing finding in the previous scan"
    unchanged = finding_list(scan=scan, change="unchanged", muted="include")
    assert fingerprints(unchanged) == fingerprints(scan.findings.filter(status="FAIL")) - new


def test_closing_a_scan_again_marks_against_the_previous_scan_of_that_time(scans):
    before, scan = scans
    before.findings.filter(status="FAIL").update(status="PASS")
    close_scan(scan)
    assert fingerprints(scan.findings.filter(is_new=True)) == fingerprints(
        scan.findings.filter(status="FAIL")
    )
    before.findings.update(status="FAIL")
    close_scan(scan)
    marked = fingerprints(scan.findings.filter(is_new=True))
    assert marked == newly_failing(scan, before)
    assert marked < fingerprints(scan.findings.filter(status="FAIL")), "marks are cleared"


def test_new_since_previous_compares_with_a_scan_that_closed_after_the_marks(scans):
    before, scan = scans
    between = create_scan(created_at=before.created_at + timedelta(hours=1), finished_at=None)
    populate(between, count=90, shift=3)
    new = newly_failing(scan, between)
    assert new != fingerprints(scan.findings.filter(is_new=True)), "the marks are out of date"
    assert fingerprints(finding_list(scan=scan, change="new", muted="include")) == new
    unchanged = finding_list(scan=scan, change="unchanged", muted="include")
    assert fingerprints(unchanged) == fingerprints(scan.findings.filter(status="FAIL")) - new


def test_new_since_previous_is_every_failing_finding_once_the_previous_scan_is_deleted(scans):
    before, scan = scans
    before.delete()
    listed = finding_list(scan=scan, change="new", muted="include")
    assert fingerprints(listed) == fingerprints(scan.findings.filter(status="FAIL"))


def test_a_process_reads_a_closed_scans_tallies_once(scans):
    _, scan = scans
    ScanCounts(scan, {}).total()
    with CaptureQueriesContext(connection) as queries:
        assert ScanCounts(scan, {"status": "FAIL"}).total()
    assert not [query for query in queries if '"findings_findingtally"' in query["sql"]]


def test_closing_a_scan_again_replaces_the_tallies_a_process_kept(scans):
    _, scan = scans
    counted = ScanCounts(scan, {"muted": "include"}).total()
    create_finding(scan, rule_id="IAM_ROOT_MFA", severity="critical", status="FAIL")
    close_scan(scan)
    assert ScanCounts(scan, {"muted": "include"}).total() == counted + 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's autovacuum")
def test_the_findings_table_is_vacuumed_soon_after_a_scan_marks_its_new_findings():
    # Marking clears the visibility map of the pages it touches: the resource view's
    # index-only scan read the heap for two pages in three until a vacuum.
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'findings_finding'")
        (options,) = cursor.fetchone()
    assert {
        "autovacuum_vacuum_threshold=1000",
        "autovacuum_vacuum_scale_factor=0",
        "autovacuum_vacuum_insert_threshold=20000",
    } <= set(options)


def test_a_running_scans_rule_groups_read_each_rule_from_an_example_found_while_counting(scans):
    _, scan = scans
    stored = ScanCounts(scan, {"status": "FAIL"}).rule_groups()
    FindingTally.objects.all().delete()
    scan.finding_counts = {}
    live = ScanCounts(scan, {"status": "FAIL"})
    with CaptureQueriesContext(connection) as queries:
        groups = live.rule_groups()
    assert [(g.rule_id, g.title, g.compliance, g.counts) for g in groups] == [
        (g.rule_id, g.title, g.compliance, g.counts) for g in stored
    ]
    finding_queries = [q["sql"] for q in queries if '"findings_finding"' in q["sql"]]
    # The count by rule, region, status and severity, then the examples by primary key.
    assert len(finding_queries) == 2
    assert '"findings_finding"."id" IN' in finding_queries[1]


def finding_reads(queries) -> list[str]:
    return [query["sql"] for query in queries if '"findings_finding"' in query["sql"]]


def test_a_running_scan_is_counted_again_only_once_a_unit_ends_or_a_mute_changes():
    scan = create_scan(status=Scan.Status.RUNNING)
    create_scan_region(scan, status=ScanRegion.Status.SUCCEEDED, findings_count=12)
    populate(scan, count=12)
    first = ScanCounts(scan, {"status": "FAIL"})
    counted = first.total()
    first.rule_groups()
    with CaptureQueriesContext(connection) as queries:
        assert ScanCounts(scan, {"status": "FAIL"}).total() == counted
        groups = ScanCounts(scan, {"status": "FAIL"}).rule_groups()
    reads = finding_reads(queries)
    assert len(reads) == 1, "counts kept until a unit ends"
    assert '"findings_finding"."id" IN' in reads[0], "the rules read from their examples"
    assert {group.title for group in groups} == {title for _, title, _, _ in RULES}

    # A unit stores its findings in the transaction that ends it.
    later = create_scan_region(scan, region="eu-west-1")
    create_finding(scan, rule_id="IAM_ROOT_MFA", severity="critical", status="FAIL")
    ScanRegion.objects.filter(id=later.id).update(
        status=ScanRegion.Status.SUCCEEDED, findings_count=1, finished_at=timezone.now()
    )
    assert ScanCounts(scan, {"status": "FAIL"}).total() == counted + 1

    create_mute(
        account_hash=scan.account_hash,
        account_label=scan.account_label,
        rule_id="IAM_ROOT_MFA",
        owner=create_user(username="muter"),
    )
    muted = scan.findings.filter(rule_id="IAM_ROOT_MFA", status="FAIL").count()
    assert ScanCounts(scan, {"status": "FAIL"}).total() == counted + 1 - muted


@pytest.mark.usefixtures("scans")
def test_a_running_scans_change_since_the_previous_scan_is_counted_every_time():
    scan = create_scan(status=Scan.Status.RUNNING, created_at=timezone.now() + timedelta(1))
    create_scan_region(scan, status=ScanRegion.Status.SUCCEEDED)
    populate(scan, count=20, shift=2)
    ScanCounts(scan, {"change": "new"}).total()
    with CaptureQueriesContext(connection) as queries:
        ScanCounts(scan, {"change": "new"}).total()
    assert finding_reads(queries), "the previous scan may change while this one runs"
