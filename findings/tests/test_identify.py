"""Identify this resource: the raw id is shown in that one response, never stored or logged."""

import logging

import pytest
from django.urls import reverse

from findings.models import Finding
from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start, scan_wait
from securescope.models import AuditEvent
from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, seed_region
from testing.canary import (
    CANARY_KEY_ID,
    CANARY_SECRET,
    CANARY_TOKEN,
    assert_no_canary,
    data_files,
    database_dump,
)
from testing.factories import create_member

pytestmark = pytest.mark.django_db(transaction=True)
REGION = "eu-west-1"
CANARY_FORM = {
    "access_key_id": CANARY_KEY_ID,
    "secret_access_key": CANARY_SECRET,
    "session_token": CANARY_TOKEN,
}


@pytest.fixture
def open_group(aws):
    """A finished scan with a failing security group; returns (finding, its group id)."""
    seeded = seed_region(REGION)
    scan = scan_start(
        credentials=AwsCredentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY),
        regions=[REGION],
    )
    scan_wait(scan_id=scan.id, timeout=60)
    finding = Finding.objects.get(scan=scan, rule_id="EC2_SG_SSH_OPEN", status="FAIL")
    return finding, seeded["open_sg"]


def test_operator_sees_the_raw_id_once_and_it_is_kept_nowhere(client, open_group, caplog):
    caplog.set_level(logging.DEBUG)
    finding, group_id = open_group
    client.force_login(create_member(username="olga", group="operator"))
    url = reverse("findings:identify", args=[finding.id])
    response = client.post(url, CANARY_FORM, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert group_id in body, "the resource is named in this response"
    assert "<html" not in body
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.RESOURCE_IDENTIFIED)
    assert event.detail["found"] is True
    # Neither the id nor the keys are left anywhere: database, logs, files, the next page.
    for where, text in (
        ("the database", database_dump()),
        ("the logs", caplog.text),
        ("the data folder", data_files().decode(errors="replace")),
        ("the detail page", client.get(reverse("findings:detail", args=[finding.id])).content),
    ):
        text = text.decode() if isinstance(text, bytes) else text
        assert group_id not in text, f"resource id found in {where}"
        assert_no_canary(text, where)
    assert_no_canary(body, "the identify response")


def test_a_resource_that_is_gone_is_reported_as_gone(client, open_group):
    import boto3

    finding, group_id = open_group
    boto3.client("ec2", region_name=REGION).delete_security_group(GroupId=group_id)
    client.force_login(create_member(username="olga", group="operator"))
    response = client.post(reverse("findings:identify", args=[finding.id]), CANARY_FORM)
    assert b"has this hash any more" in response.content
    assert group_id.encode() not in response.content


def test_keys_of_another_account_are_refused(client, open_group, monkeypatch):
    finding, group_id = open_group
    monkeypatch.setattr(
        "findings.identify.account_hash", lambda account_id: "another account's hash"
    )
    client.force_login(create_member(username="olga", group="operator"))
    response = client.post(reverse("findings:identify", args=[finding.id]), CANARY_FORM)
    assert b"belong to another account" in response.content
    assert group_id.encode() not in response.content


def test_viewer_may_not_identify(client, open_group):
    finding, _ = open_group
    client.force_login(create_member(username="vera", group="viewer"))
    response = client.post(reverse("findings:identify", args=[finding.id]), CANARY_FORM)
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.RESOURCE_IDENTIFIED).exists()
