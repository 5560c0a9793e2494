"""The scans list: filters, duration, counts under the severity floor, HTMX partial."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from testing.factories import create_member, create_scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def scans():
    now = timezone.now()
    finished = create_scan(
        created_at=now - timedelta(minutes=5),
        finished_at=now - timedelta(minutes=3),
        severity_counts={"critical": 4, "high": 7, "medium": 0, "low": 0, "info": 0},
    )
    running = create_scan(status="running", account_hash="f" * 64, account_label="****7777")
    return finished, running


def test_list_shows_duration_counts_and_running_scans(client, scans):
    client.force_login(create_member(username="vera", group="viewer"))
    content = client.get(reverse("scans:list")).content.decode()
    assert "120 s" in content
    assert "running" in content
    assert 'title="critical">4<' in content


@pytest.mark.parametrize(
    ("filters", "expected"),
    [({"status": "running"}, 1), ({"account": "f" * 64}, 1), ({"status": "failed"}, 0), ({}, 2)],
)
def test_filters_and_htmx_partial(client, scans, filters, expected):
    client.force_login(create_member(username="vera", group="viewer"))
    response = client.get(reverse("scans:list"), filters, headers={"HX-Request": "true"})
    assert b"<html" not in response.content
    assert len(response.context["page"]) == expected


def test_severity_floor_hides_lower_counts(client, scans):
    client.force_login(create_member(username="vera", group="viewer"))
    client.post(reverse("findings:severity"), {"severity_floor": "critical"})
    content = client.get(reverse("scans:list")).content.decode()
    assert 'title="critical">4<' in content
    assert 'title="high"' not in content


def test_new_scan_button_only_for_operators(client, scans):
    client.force_login(create_member(username="vera", group="viewer"))
    assert reverse("scans:new").encode() not in client.get(reverse("scans:list")).content
    client.force_login(create_member(username="olga", group="operator"))
    assert reverse("scans:new").encode() in client.get(reverse("scans:list")).content


def test_empty_state_says_what_to_do(client):
    client.force_login(create_member(username="olga", group="operator"))
    assert b"Start one" in client.get(reverse("scans:list")).content


def test_query_count_does_not_grow_with_scans(client, django_assert_num_queries):
    for index in range(60):
        create_scan(account_hash=f"{index:064x}", finished_at=timezone.now())
    client.force_login(create_member(username="vera", group="viewer"))
    # session, user, its permissions and its groups' (reading needs view_findings), account
    # choices, one count, one page (who started it joined in)
    with django_assert_num_queries(7):
        client.get(reverse("scans:list"), headers={"HX-Request": "true"})
