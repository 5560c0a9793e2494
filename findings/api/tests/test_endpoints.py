"""What the endpoints answer: the scan form's validation, filters and cursors, byte-identical
exports, diffs and mutes with the pages' rules."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from findings.api.tests.conftest import Api
from findings.models import Mute
from testing.factories import create_finding, create_scan

pytestmark = pytest.mark.django_db


def test_a_scan_request_gets_the_forms_errors_per_field_and_no_key_back(client, world):
    operator = Api(client, world["operator_token"])
    key_id, secret = "ASIAEXAMPLEKEY000001", "s" * 39 + "EXAMPLE"[:1]
    response = operator(
        "POST",
        "/scans",
        {"access_key_id": key_id, "secret_access_key": secret, "regions": ["xx-1"]},
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"session_token", "regions"}
    assert "need their session token" in errors["session_token"][0]
    assert key_id not in response.content.decode()
    assert secret not in response.content.decode()


def test_a_body_of_the_wrong_shape_is_a_400_without_the_value(client, world):
    response = Api(client, world["operator_token"])(
        "POST", "/scans", {"access_key_id": ["AKIAWRONGSHAPE000001"], "regions": "eu-west-1"}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"access_key_id", "regions"}
    assert "AKIAWRONGSHAPE" not in response.content.decode()


def test_scan_detail_has_progress_and_counts(client, world):
    body = Api(client, world["viewer_token"])("GET", f"/scans/{world['scan'].id}").json()
    assert body["id"] == str(world["scan"].id)
    assert body["status"] == "succeeded"
    assert body["progress"] == []
    assert "finding_counts" in body


def test_findings_follow_the_cursor_through_every_page_once(client, world):
    scan = world["scan"]
    for index in range(5):
        create_finding(scan, resource_hash=f"{index:064d}", severity="low")
    viewer = Api(client, world["viewer_token"])
    seen, cursor = [], ""
    for _ in range(10):
        page = viewer(
            "GET", f"/scans/{scan.id}/findings?limit=2&sort=-severity&cursor={cursor}"
        ).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 6


def test_findings_take_the_dashboards_filters(client, world):
    scan = world["scan"]
    create_finding(scan, resource_hash="c" * 64, severity="low", status="PASS")
    viewer = Api(client, world["viewer_token"])
    page = viewer("GET", f"/scans/{scan.id}/findings?severity=low").json()
    assert [item["severity"] for item in page["items"]] == ["low"]
    assert viewer("GET", f"/scans/{scan.id}/findings?status=BOGUS").status_code == 400
    assert viewer("GET", f"/scans/{scan.id}/findings?cursor=forged").status_code == 400
    assert viewer("GET", "/findings").json()["scan_id"] == str(scan.id)


@pytest.mark.parametrize("export_format", ["json", "csv", "md"])
def test_the_export_is_the_pages_download_byte_for_byte(client, world, export_format):
    scan = world["scan"]
    response = Api(client, world["viewer_token"])(
        "GET", f"/scans/{scan.id}/export?format={export_format}"
    )
    client.force_login(world["viewer"])
    page = client.get(reverse("findings:export", args=[scan.id, export_format]))
    assert response.status_code == 200
    assert response["Content-Type"] == page["Content-Type"]
    assert b"".join(response.streaming_content) == b"".join(page.streaming_content)


def test_an_unknown_export_format_is_a_404(client, world):
    viewer = Api(client, world["viewer_token"])
    assert viewer("GET", f"/scans/{world['scan'].id}/export?format=exe").status_code == 404


def test_the_diff_lists_new_and_resolved(client, world):
    scan = world["scan"]
    create_finding(scan, resource_hash="d" * 64)
    body = Api(client, world["viewer_token"])(
        "GET", f"/scans/{world['earlier'].id}/diff/{scan.id}"
    ).json()
    assert body["categories"]["new"]["count"] == 1
    assert body["categories"]["unchanged"]["count"] == 1


def test_scans_of_two_accounts_cannot_be_compared(client, world):
    other = create_scan(account_hash="e" * 64, finished_at=timezone.now())
    response = Api(client, world["viewer_token"])(
        "GET", f"/scans/{other.id}/diff/{world['scan'].id}"
    )
    assert response.status_code == 400


def test_a_mute_follows_the_forms_rules(client, world):
    operator = Api(client, world["operator_token"])
    body = {
        "finding_id": world["finding"].id,
        "scope": "rule",
        "justification": "accepted",
        "expires_on": str(timezone.now().date()),
    }
    response = operator("POST", "/mutes", body)
    assert response.status_code == 400
    assert "expires_on" in response.json()["errors"]
    body["expires_on"] = str(timezone.now().date() + timedelta(days=3))
    response = operator("POST", "/mutes", body)
    assert response.status_code == 201
    assert response.json()["whole_rule"] is True
    assert response.json()["owner"] == "olga"
    mute = Mute.objects.get()
    assert operator("DELETE", f"/mutes/{mute.id}").status_code == 204
    assert not Mute.objects.exists()


def test_rules_list_the_catalog_with_state(client, world):
    rules = Api(client, world["viewer_token"])("GET", "/rules?service=iam").json()
    assert rules
    assert all(rule["service"] == "iam" for rule in rules)
    assert all(rule["enabled"] for rule in rules)
