"""Canary keys go through the web form and the command; no trace of them is left anywhere."""

import io
import logging

import pytest
from django.core.management import call_command
from django.urls import reverse

from conftest import (
    CANARY_KEY_ID,
    CANARY_SECRET,
    CANARY_TOKEN,
    assert_no_canary,
    create_user,
    data_files,
    database_dump,
    seed_region,
)
from scans.models import Scan
from scans.services import scan_wait
from scans.vault import vault_get

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def log_capture(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def test_web_form_scan_leaves_no_trace(client, aws, log_capture):
    seed_region("eu-west-1")
    client.force_login(create_user())
    responses = [client.get(reverse("scans:new"))]
    # A form error round trip must not echo the secrets back.
    responses.append(
        client.post(
            reverse("scans:new"),
            {"access_key_id": CANARY_KEY_ID, "secret_access_key": CANARY_SECRET},
        )
    )
    assert b"need their session token" in responses[-1].content
    responses.append(
        client.post(
            reverse("scans:new"),
            {
                "access_key_id": CANARY_KEY_ID,
                "secret_access_key": CANARY_SECRET,
                "session_token": CANARY_TOKEN,
                "regions": ["eu-west-1"],
                "start_anyway": "on",  # temporary keys without an expiration ask first
            },
        )
    )
    scan = scan_wait(scan_id=Scan.objects.get().id, timeout=60)
    assert scan.status == Scan.Status.SUCCEEDED
    assert vault_get(scan_id=scan.id) is None
    for name in ("scans:detail", "scans:progress"):
        responses.append(client.get(reverse(name, args=[scan.id])))
    for export_format in ("json", "csv", "md"):
        response = client.get(reverse("findings:export", args=[scan.id, export_format]))
        responses.append(response)
    responses.append(client.get(reverse("scans:list")))
    for response in responses:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert_no_canary(body, f"response {response.status_code}")
        assert_no_canary(str(response.headers), "response headers")
    assert_no_canary(database_dump(), "the database")
    assert_no_canary(log_capture.text, "the logs")
    assert_no_canary(data_files(), "the data folder")


def test_command_scan_leaves_no_trace(aws, log_capture, monkeypatch, tmp_path):
    seed_region("eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CANARY_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", CANARY_TOKEN)
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("scan", "--regions", "eu-west-1", stdout=stdout, stderr=stderr)
    scan = Scan.objects.get()
    assert scan.status == Scan.Status.SUCCEEDED
    assert vault_get(scan_id=scan.id) is None
    assert_no_canary(stdout.getvalue() + stderr.getvalue(), "the command output")
    assert_no_canary(database_dump(), "the database")
    assert_no_canary(log_capture.text, "the logs")
    assert_no_canary(data_files(), "the data folder")
