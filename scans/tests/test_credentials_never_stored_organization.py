"""Canary management keys scan a whole organization, by the web form and by the command: no
trace of them in the database, the logs, any page or export, or the files written."""

import io
import logging

import boto3
import pytest
from django.core.management import call_command
from django.urls import reverse

from scans.collection.vault import vault_get
from scans.lifecycle.services import scan_wait
from scans.models import OrganizationRun, Scan
from scans.tests.test_credentials_never_stored import scan_urls
from testing.canary import (
    CANARY_KEY_ID,
    CANARY_SECRET,
    CANARY_TOKEN,
    assert_no_canary,
    assert_no_trace,
)
from testing.factories import create_user
from testing.organizations import organization_started

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def log_capture(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
def organization(aws) -> list[str]:
    """The moto account's organization with two members (moto takes any keys as its account)."""
    client = boto3.client("organizations", region_name="us-east-1")
    client.create_organization(FeatureSet="ALL")
    return [
        client.create_account(AccountName=f"m{n}", Email=f"m{n}@example.com")[
            "CreateAccountStatus"
        ]["AccountId"]
        for n in range(2)
    ]


def test_web_organization_scan_leaves_no_trace(client, organization, log_capture):
    client.force_login(create_user())
    responses = [
        client.post(
            reverse("scans:new"),
            {
                "access_key_id": CANARY_KEY_ID,
                "secret_access_key": CANARY_SECRET,
                "session_token": CANARY_TOKEN,
                "organization": "on",
                "external_id": "org-external-id",
                "regions": ["eu-west-1"],
                "start_anyway": "on",
            },
        )
    ]
    # Started in the background: the keys wait in the vault under the run, and go once used.
    run = organization_started(run_id=OrganizationRun.objects.get().id)
    assert responses[0].url == reverse("organizations:detail", args=[run.id])
    assert run.status == OrganizationRun.Status.STARTED
    assert vault_get(scan_id=run.id) is None
    scans = [scan_wait(scan_id=scan.id, timeout=120) for scan in run.scans.all()]
    assert len(scans) == 1 + len(organization)
    assert all(vault_get(scan_id=scan.id) is None for scan in scans)
    for url in scan_urls(scans[0]):
        responses.append(client.get(url))
        responses.append(client.get(url, headers={"hx-request": "true"}))
    assert reverse("organizations:export", args=[run.id, "csv"]) in [
        r.request["PATH_INFO"] for r in responses
    ]
    assert_no_trace(responses, log_capture.text)


def test_command_organization_scan_leaves_no_trace(
    organization, log_capture, monkeypatch, tmp_path
):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CANARY_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", CANARY_TOKEN)
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(
        "scan",
        "--organization",
        "--regions",
        "eu-west-1",
        "--output",
        str(tmp_path),
        stdout=stdout,
        stderr=stderr,
    )
    assert Scan.objects.count() == 1 + len(organization)
    assert len(list(tmp_path.iterdir())) == 2 + len(organization)
    for path in tmp_path.iterdir():
        assert_no_canary(path.read_bytes(), f"the output file {path.name}")
    assert_no_canary(stdout.getvalue() + stderr.getvalue(), "the command output")
    assert_no_trace([], log_capture.text)
