"""Every page needs a login and starting a scan needs the permission (CSRF: test_csrf.py)."""

import uuid

import pytest
from django.urls import reverse

from testing.factories import create_scan, create_user

pytestmark = pytest.mark.django_db

SCAN_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
PROTECTED = [
    reverse("scans:list"),
    reverse("scans:new"),
    reverse("scan_pages:detail", args=[SCAN_ID]),
    reverse("scans:progress", args=[SCAN_ID]),
    reverse("findings:table", args=[SCAN_ID]),
    reverse("findings:export", args=[SCAN_ID, "json"]),
    "/",
]


@pytest.mark.parametrize("url", PROTECTED)
def test_anonymous_requests_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_post_to_new_scan_is_sent_to_login(client):
    response = client.post(reverse("scans:new"), {"access_key_id": "x"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_admin_needs_a_staff_login(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def test_login_page_is_public(client):
    assert client.get(reverse("login")).status_code == 200


def test_user_without_permission_cannot_start_a_scan(client):
    client.force_login(create_user(can_scan=False))
    assert client.get(reverse("scans:new")).status_code == 403
    assert client.post(reverse("scans:new"), {}).status_code == 403
    assert b"New scan" not in client.get(reverse("scans:list")).content


def test_user_without_permission_can_read_scans(client):
    scan = create_scan()
    client.force_login(create_user(can_scan=False))
    assert client.get(reverse("scan_pages:detail", args=[scan.id])).status_code == 200
