"""Reveal a whole scan: names and ARNs shown to one session for a while, kept nowhere else."""

import csv
import io
import json
import logging
import time

import boto3
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from findings.models import Finding
from findings.reveal import reveal_expiry
from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start, scan_wait
from scans.models import Scan, ScanRegion
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
from testing.factories import create_member, create_scan, create_scan_region

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
REGION = "eu-west-1"
CANARY_NAME = "canary-name-Zx81Q"
CANARY_FORM = {
    "access_key_id": CANARY_KEY_ID,
    "secret_access_key": CANARY_SECRET,
    "session_token": CANARY_TOKEN,
}


@pytest.fixture
def named_instance(aws):
    """A finished scan whose IMDSv1 instance wears a canary Name tag: (scan, finding, ARN)."""
    seeded = seed_region(REGION)
    instance_id = seeded["imds_v1"]
    boto3.client("ec2", region_name=REGION).create_tags(
        Resources=[instance_id], Tags=[{"Key": "Name", "Value": CANARY_NAME}]
    )
    scan = scan_start(
        credentials=AwsCredentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY), regions=[REGION]
    )
    scan = scan_wait(scan_id=scan.id, timeout=60)
    finding = Finding.objects.get(scan=scan, rule_id="EC2_IMDSV2_REQUIRED", status="FAIL")
    return scan, finding, f"arn:aws:ec2:{REGION}:123456789012:instance/{instance_id}"


@pytest.fixture
def operator_client(client):
    client.force_login(create_member(username="olga", group="operator"))
    return client


FLAT = "view=flat&status="


def reveal(client, scan):
    return client.post(reverse("scan_pages:reveal", args=[scan.id]), CANARY_FORM)


def scan_pages(client, scan, finding) -> dict[str, str]:
    """Every page of the scan that lists its findings, by what it is: the flat list with every
    status, and the resource view (the pages open grouped by rule, which shows no hash)."""
    urls = {
        "scan page": f"{reverse('scan_pages:detail', args=[scan.id])}?{FLAT}",
        "findings table": f"{reverse('findings:table', args=[scan.id])}?{FLAT}",
        "findings list": f"{reverse('findings:list')}?scan={scan.id}&{FLAT}",
        "resource view": f"{reverse('findings:list')}?scan={scan.id}&view=resources&status=",
        "finding detail": reverse("findings:detail", args=[finding.id]),
    }
    pages = {}
    for what, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, what
        pages[what] = response
    return pages


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def assert_no_identity(text: str, where: str, arn: str) -> None:
    instance_id = arn.rsplit("/", 1)[1]
    for value in (arn, instance_id, CANARY_NAME):
        assert value not in text, f"resource identifier found in {where}"


def test_reveal_names_every_page_of_the_scan_and_leaves_no_trace(
    operator_client, named_instance, caplog
):
    caplog.set_level(logging.DEBUG)
    scan, finding, arn = named_instance
    before = body(operator_client.get(reverse("scan_pages:detail", args=[scan.id])))
    assert arn not in before
    assert CANARY_NAME not in before

    response = reveal(operator_client, scan)
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    pages = scan_pages(operator_client, scan, finding)
    for what, page in pages.items():
        assert arn in body(page), f"no ARN on the {what}"
        assert CANARY_NAME in body(page), f"no Name on the {what}"
        assert "no-store" in page["Cache-Control"], f"the {what} may be cached"
    assert "until" in body(pages["scan page"])

    event = AuditEvent.objects.get(action=AuditEvent.Action.RESOURCES_REVEALED)
    assert event.target == f"scan {scan.id}"
    assert event.detail["revealed"] >= 1
    assert event.detail["resources"] >= event.detail["revealed"]
    # Names and ARNs are in the encrypted cache for this session, and nowhere else.
    entries = [
        value for key, value in caches["vault"]._cache.items() if "securescope:reveal:" in key
    ]
    assert len(entries) == 1
    for where, text in (
        ("the database", database_dump()),
        ("the logs", caplog.text),
        ("the data folder", data_files().decode(errors="replace")),
        ("the cache", repr(entries)),
    ):
        assert_no_identity(text, where, arn)
        assert_no_canary(text, where)
    for what, page in pages.items():
        assert_no_canary(body(page), what)


def test_revealed_exports_carry_arn_and_name_and_plain_exports_do_not_change(
    operator_client, named_instance
):
    scan, finding, arn = named_instance
    export = reverse("findings:export", args=[scan.id, "json"])
    plain_before = body(operator_client.get(export))
    reveal(operator_client, scan)
    assert body(operator_client.get(export)) == plain_before, "the plain export changed"
    assert "resource_arn" not in plain_before

    revealed = operator_client.get(reverse("findings:export_revealed", args=[scan.id, "json"]))
    assert revealed.status_code == 200
    assert "no-store" in revealed["Cache-Control"]
    assert "revealed" in revealed["Content-Disposition"]
    records = json.loads(body(revealed))["findings"]
    assert all({"resource_arn", "resource_name"} <= set(record) for record in records)
    named = [r for r in records if r["resource_hash"] == finding.resource_hash]
    assert named
    assert all((r["resource_arn"], r["resource_name"]) == (arn, CANARY_NAME) for r in named)
    # Apart from its two fields, a revealed record is the plain one.
    plain = json.loads(plain_before)["findings"]
    identity_fields = {"resource_arn", "resource_name"}
    assert [{k: v for k, v in r.items() if k not in identity_fields} for r in records] == plain

    exported = operator_client.get(reverse("findings:export_revealed", args=[scan.id, "csv"]))
    header, *rows = csv.reader(io.StringIO(body(exported)))
    assert header[-2:] == ["resource_arn", "resource_name"]
    hash_at = header.index("resource_hash")
    named_rows = [row[-2:] for row in rows if row[hash_at] == finding.resource_hash]
    assert named_rows
    assert all(row == [arn, CANARY_NAME] for row in named_rows)
    event = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT_DOWNLOADED).first()
    assert event.detail["revealed"] >= 1
    assert_no_identity(json.dumps(event.detail), "the audit log", arn)


def test_keys_of_another_account_are_refused(operator_client, named_instance, monkeypatch):
    scan, finding, arn = named_instance
    monkeypatch.setattr("findings.reveal.account_hash", lambda account_id: "another account")
    response = reveal(operator_client, scan)
    assert response.status_code == 400
    assert "belong to another account" in body(response)
    assert_no_canary(body(response), "the refusal")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.RESOURCES_REVEALED).exists()
    for what, page in scan_pages(operator_client, scan, finding).items():
        assert_no_identity(body(page), what, arn)


def test_bad_keys_are_refused_with_the_form_error_and_never_echoed(operator_client, named_instance):
    scan, _, _ = named_instance
    response = operator_client.post(
        reverse("scan_pages:reveal", args=[scan.id]),
        {"access_key_id": CANARY_KEY_ID, "secret_access_key": CANARY_SECRET},
    )
    assert response.status_code == 400
    assert "need their session token" in body(response)
    assert_no_canary(body(response), "the form error")


def test_the_reveal_ends_after_its_ttl(operator_client, named_instance, settings):
    scan, finding, arn = named_instance
    settings.REVEAL_TTL_SECONDS = 600
    reveal(operator_client, scan)
    # Read after the reveal, however long it took, so that +601 s is past its expiry.
    revealed_at = time.time()
    with time_machine.travel(revealed_at + 590, tick=False):
        assert reveal_expiry(session=operator_client.session, scan_id=scan.id) is not None
        table = f"{reverse('findings:table', args=[scan.id])}?{FLAT}"
        assert CANARY_NAME in body(operator_client.get(table))
    # Past the TTL (the cache's and the entry's own), every page is back to hashes.
    with time_machine.travel(revealed_at + 601, tick=False):
        assert reveal_expiry(session=operator_client.session, scan_id=scan.id) is None
        for what, page in scan_pages(operator_client, scan, finding).items():
            assert_no_identity(body(page), what, arn)
        gone = operator_client.get(reverse("findings:export_revealed", args=[scan.id, "csv"]))
        assert gone.status_code == 410


def test_forget_drops_the_reveal_at_once(operator_client, named_instance):
    scan, finding, arn = named_instance
    reveal(operator_client, scan)
    response = operator_client.post(reverse("scan_pages:reveal_forget", args=[scan.id]))
    assert "Forgotten" in body(operator_client.get(response.url))
    assert not [key for key in caches["vault"]._cache if "securescope:reveal:" in key]
    for what, page in scan_pages(operator_client, scan, finding).items():
        assert_no_identity(body(page), what, arn)


def test_signing_out_forgets_every_reveal(operator_client, named_instance):
    scan, _, _ = named_instance
    reveal(operator_client, scan)
    assert [key for key in caches["vault"]._cache if "securescope:reveal:" in key]
    operator_client.post(reverse("logout"))
    assert not [key for key in caches["vault"]._cache if "securescope:reveal:" in key]


def test_a_reveal_belongs_to_its_session(operator_client, named_instance):
    scan, finding, arn = named_instance
    reveal(operator_client, scan)
    other = Client()
    other.force_login(create_member(username="otto", group="operator"))
    for what, page in scan_pages(other, scan, finding).items():
        assert_no_identity(body(page), what, arn)


def test_a_viewer_may_not_reveal_nor_download_a_revealed_export(client, named_instance):
    scan, _, _ = named_instance
    client.force_login(create_member(username="vera", group="viewer"))
    assert reveal(client, scan).status_code == 403
    exported = client.get(reverse("findings:export_revealed", args=[scan.id, "json"]))
    assert exported.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.RESOURCES_REVEALED).exists()
    page = body(client.get(reverse("scan_pages:detail", args=[scan.id])))
    assert "Reveal names and ARNs" not in page


def test_losing_the_permission_hides_what_was_revealed(operator_client, named_instance):
    scan, finding, arn = named_instance
    reveal(operator_client, scan)
    # Moved to the viewer group: still reads every page, may no longer see what was revealed.
    olga = get_user_model().objects.get(username="olga")
    olga.groups.set([Group.objects.get(name="viewer")])
    for what, page in scan_pages(operator_client, scan, finding).items():
        assert_no_identity(body(page), what, arn)


def test_a_running_scan_cannot_be_revealed_yet(operator_client):
    scan = create_scan(status=Scan.Status.RUNNING)
    create_scan_region(scan, status=ScanRegion.Status.RUNNING, started_at=timezone.now())
    response = reveal(operator_client, scan)
    assert response.status_code == 302
    page = body(operator_client.get(response.url))
    assert "once the scan has finished" in page
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.RESOURCES_REVEALED).exists()
