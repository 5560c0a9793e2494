"""The findings table: filters, HTMX partial, pagination, and a bounded query count."""

import pytest
from django.urls import reverse

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


FLAT = {"view": "flat", "status": ""}


def test_partial_for_htmx_has_no_page_chrome(client, scan):
    response = client.get(
        reverse("findings:table", args=[scan.id]), FLAT, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert response.content.count(b"<tr>") == 1 + 100, "header row plus one page"


def test_severity_and_status_filters(client, scan):
    response = client.get(
        reverse("findings:table", args=[scan.id]),
        {"view": "flat", "severity": "low", "status": "PASS"},
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
