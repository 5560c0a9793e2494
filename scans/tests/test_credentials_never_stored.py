"""Canary keys go through the web form and the command; no trace of them is left anywhere."""

import io
import itertools
import json
import logging

import pytest
from django.core.management import call_command
from django.urls import reverse

from findings.models import Finding
from scans.collection.vault import vault_get
from scans.lifecycle.services import scan_wait
from scans.models import Scan
from securescope.tests.test_url_access import named_routes
from testing.aws import seed_region
from testing.canary import (
    CANARY_KEY_ID,
    CANARY_SECRET,
    CANARY_TOKEN,
    assert_no_canary,
    assert_no_trace,
    data_files,
    database_dump,
)
from testing.factories import create_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def log_capture(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def scan_urls(scan: Scan) -> list[str]:
    """Every route outside the admin, with each parameter filled from this scan."""
    values = {
        "scan_id": [scan.id],
        "finding_id": list(Finding.objects.filter(scan=scan).values_list("id", flat=True)),
        "rule_id": sorted(set(Finding.objects.filter(scan=scan).values_list("rule_id", flat=True))),
        "export_format": ["json", "csv", "md"],
        "mute_id": [],  # the scan made no mutes
        "token_id": [],  # nor API tokens (findings/api/tests/test_canary.py calls the API)
        "base_id": [scan.id],
        "head_id": [scan.id],
        "run_id": [scan.organization_run_id] if scan.organization_run_id else [],
    }
    urls = []
    for name, pattern in named_routes():
        if name.startswith("admin:"):
            continue
        parameters = list(pattern.pattern.regex.groupindex)
        missing = set(parameters) - set(values)
        assert not missing, f"route {name} takes {missing}: say which values this test uses"
        for combination in itertools.product(*(values[parameter] for parameter in parameters)):
            urls.append(reverse(name, kwargs=dict(zip(parameters, combination, strict=True))))
        if name == "findings:list":
            urls.append(f"{reverse(name)}?scan={scan.id}")
    return urls


def admin_urls(scan: Scan) -> list[str]:
    """The admin pages that show the scan and its findings."""
    finding = Finding.objects.filter(scan=scan).first()
    return [
        reverse("admin:scans_scan_change", args=[scan.id]),
        reverse("admin:findings_finding_changelist"),
        reverse("admin:findings_finding_change", args=[finding.id]),
    ]


@pytest.mark.slow
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
    for url in scan_urls(scan):
        # The full page and its HTMX partial are different templates.
        responses.append(client.get(url))
        responses.append(client.get(url, headers={"hx-request": "true"}))
    client.force_login(create_user(username="admin", is_staff=True, is_superuser=True))
    responses.extend(client.get(url) for url in admin_urls(scan))
    assert all(response.status_code == 200 for response in responses[-3:])
    assert_no_trace(responses, log_capture.text)


def test_command_scan_leaves_no_trace(aws, log_capture, monkeypatch, capsys):
    seed_region("eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CANARY_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", CANARY_TOKEN)
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("scan", "--regions", "eu-west-1", stdout=stdout, stderr=stderr)
    scan = Scan.objects.get()
    assert scan.status == Scan.Status.SUCCEEDED
    assert vault_get(scan_id=scan.id) is None
    # The export goes to sys.stdout itself, not to the command's stdout.
    exported = capsys.readouterr()
    assert json.loads(exported.out)["scan"]["id"] == str(scan.id)
    assert_no_canary(stdout.getvalue() + stderr.getvalue(), "the command output")
    assert_no_canary(exported.out + exported.err, "the export on standard output")
    assert_no_canary(database_dump(), "the database")
    assert_no_canary(log_capture.text, "the logs")
    assert_no_canary(data_files(), "the data folder")
