"""Canary keys go through the web form and the command; no trace of them is left anywhere."""

import io
import logging
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from conftest import create_user, seed_region
from scans.models import Scan
from scans.services import scan_wait
from scans.vault import vault_get

pytestmark = pytest.mark.django_db(transaction=True)

CANARY_KEY_ID = "ASIACANARY7EXAMPLE00"
CANARY_SECRET = "CanarySecret/0123456789+abcdefghijklmnop"
CANARY_TOKEN = "CanarySessionToken" + "Q" * 300 + "=="
CANARIES = (CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN)


def database_dump() -> str:
    """Every row of every table (django-q2's included) as JSON text."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT row_to_json(t)::text FROM "{table}" t')  # noqa: S608
            rows.extend(row[0] for row in cursor.fetchall())
    return "\n".join(rows)


def data_files() -> bytes:
    return b"".join(
        path.read_bytes() for path in Path(settings.DATA_DIR).rglob("*") if path.is_file()
    )


def assert_no_canary(text: str | bytes, where: str) -> None:
    for canary in CANARIES:
        needle = canary.encode() if isinstance(text, bytes) else canary
        assert needle not in text, f"credential found in {where}"
        # A prefix long enough to identify the key also counts as a leak.
        assert needle[:12] not in text, f"credential prefix found in {where}"


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
