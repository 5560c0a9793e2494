"""Reading needs the view_findings permission, and what a signed-in user reads is never cached."""

import pytest
from django.urls import reverse

from testing.factories import create_finding, create_scan, create_user

pytestmark = pytest.mark.django_db


def test_findings_pages_partials_and_exports_are_kept_by_no_cache(client):
    scan = create_scan()
    finding = create_finding(scan)
    client.force_login(create_user())
    for url, headers in (
        (reverse("findings:list") + f"?scan={scan.id}", {}),
        (reverse("findings:list") + f"?scan={scan.id}", {"HX-Request": "true"}),
        (reverse("findings:detail", args=[finding.id]), {}),
        (reverse("findings:export", args=[scan.id, "csv"]), {}),
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_a_user_in_no_group_reads_nothing_and_is_told_why(client):
    scan = create_scan()
    client.force_login(create_user(username="nobody", can_scan=False, can_view=False))
    response = client.get(reverse("findings:export", args=[scan.id, "json"]))
    assert response.status_code == 403
    assert scan.account_label not in response.content.decode()


def test_the_sign_in_page_stays_open(client):
    assert client.get(reverse("login")).status_code == 200
