"""The findings table: filters, HTMX partial, pagination, and a bounded query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from findings.selectors import finding_counts, finding_list, stored_finding_count
from testing.factories import create_finding, create_scan, create_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def scan(client):
    client.force_login(create_user())
    scan = create_scan()
    for index in range(120):
        create_finding(
            scan,
            resource_hash=f"{index:064x}",
            severity="high" if index % 2 else "low",
            status="FAIL" if index % 3 else "PASS",
        )
    return scan


def test_partial_for_htmx_has_no_page_chrome(client, scan):
    response = client.get(reverse("findings:table", args=[scan.id]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert response.content.count(b"<tr>") == 1 + 100, "header row plus one page"


def test_severity_and_status_filters(client, scan):
    response = client.get(
        reverse("findings:table", args=[scan.id]), {"severity": "low", "status": "PASS"}
    )
    rows = response.content.count(b'<td><span class="sev low">')
    expected = sum(1 for i in range(120) if i % 2 == 0 and i % 3 == 0)
    assert rows == expected
    assert b'<td><span class="sev high">' not in response.content


def test_invalid_filter_is_ignored_not_an_error(client, scan):
    response = client.get(reverse("findings:table", args=[scan.id]), {"severity": "bogus"})
    assert response.status_code == 200


def test_detail_page_query_count_does_not_grow_with_findings(
    client, scan, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        client.get(reverse("scan_pages:detail", args=[scan.id]), {"page": 2})


def _counted(scan):
    scan.finding_counts = finding_counts(scan_id=scan.id)
    scan.save(update_fields=["finding_counts"])
    return scan


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"severities": ["high"]},
        {"status": "PASS"},
        {"severities": ["low", "high"], "status": "FAIL"},
        {"severities": ["critical"]},
    ],
)
def test_stored_counts_answer_as_counting_rows_would(scan, filters):
    _counted(scan)
    expected = finding_list(scan_id=scan.id, **filters).count()
    assert stored_finding_count(scan=scan, **filters) == expected


def test_finished_scan_pages_without_counting_its_rows(client, scan):
    _counted(scan)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            reverse("findings:table", args=[scan.id]), {"status": "FAIL", "page": 2}
        )
    assert response.content.count(b'<span class="result FAIL">') == 80
    assert not [q for q in queries if q["sql"].startswith("SELECT COUNT(*)")]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("findings:table", args=[scan.id]))
    assert b"Page 1 of 2" in response.content
    assert not [q for q in queries if q["sql"].startswith("SELECT COUNT(*)")]


def test_running_scan_and_rule_filter_count_rows(scan):
    _counted(scan)
    create_finding(scan, rule_id="EC2_IMDSV2", resource_hash="c" * 64)  # after the counting
    assert stored_finding_count(scan=scan, rule_ids=["EC2_IMDSV2"]) is None
    assert stored_finding_count(scan=scan) == 120, "stored when the scan finished"
    scan.status = "running"
    assert stored_finding_count(scan=scan) is None
