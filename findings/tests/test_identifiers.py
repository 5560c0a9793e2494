"""RESOURCE_IDENTIFIERS=encrypted: names and ARNs rest as ciphertext, shown by permission only."""

import logging
import subprocess
from pathlib import Path

import boto3
import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Permission
from django.urls import reverse

from findings.identifiers import stored_identities
from findings.models import Finding, ResourceIdentity
from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start, scan_wait
from securescope.models import AuditEvent
from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, seed_region
from testing.canary import data_files, database_dump
from testing.factories import create_member, create_user
from testing.processes import embedded_env, run_manage

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
REGION = "eu-west-1"
CANARY_NAME = "canary-name-Ew09K"


@pytest.fixture
def identifier_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def encrypted_mode(settings, identifier_key):
    settings.RESOURCE_IDENTIFIERS = "encrypted"
    settings.IDENTIFIER_KEY = [identifier_key]


def scanned_named_instance() -> tuple[Finding, str]:
    """Scan a region whose IMDSv1 instance wears a canary Name: its failing finding, its ARN."""
    instance_id = seed_region(REGION)["imds_v1"]
    boto3.client("ec2", region_name=REGION).create_tags(
        Resources=[instance_id], Tags=[{"Key": "Name", "Value": CANARY_NAME}]
    )
    scan = scan_start(
        credentials=AwsCredentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY), regions=[REGION]
    )
    scan_wait(scan_id=scan.id, timeout=60)
    finding = Finding.objects.get(scan=scan, rule_id="EC2_IMDSV2_REQUIRED", status="FAIL")
    return finding, f"arn:aws:ec2:{REGION}:123456789012:instance/{instance_id}"


def identifier_reader(username: str = "ida"):
    user = create_member(username=username, group="viewer")
    user.user_permissions.add(Permission.objects.get(codename="view_identifiers"))
    return user


def assert_nowhere(text: str, where: str, arn: str) -> None:
    for value in (arn, arn.rsplit("/", 1)[1], CANARY_NAME):
        assert value not in text, f"resource identifier in plain text in {where}"


def test_identities_are_stored_only_as_ciphertext(aws, encrypted_mode, caplog):
    caplog.set_level(logging.DEBUG)
    finding, arn = scanned_named_instance()
    rows = ResourceIdentity.objects.filter(scan=finding.scan)
    assert rows.filter(resource_hash=finding.resource_hash).exists()
    scanned = Finding.objects.filter(scan=finding.scan).values_list("resource_hash", flat=True)
    assert set(rows.values_list("resource_hash", flat=True)) <= set(scanned)
    for where, text in (
        ("the database", database_dump()),
        ("the logs", caplog.text),
        ("the data folder", data_files().decode(errors="replace")),
    ):
        assert_nowhere(text, where, arn)
    # The ciphertext opens, with the key, to the resource.
    shown = stored_identities(
        scan_id=finding.scan_id, user=identifier_reader(), hashes=None, where="test"
    )
    assert (shown[finding.resource_hash].arn, shown[finding.resource_hash].name) == (
        arn,
        CANARY_NAME,
    )


def test_the_default_mode_stores_no_identity(aws):
    finding, _ = scanned_named_instance()
    assert not ResourceIdentity.objects.exists()
    assert (
        stored_identities(
            scan_id=finding.scan_id, user=identifier_reader(), hashes=None, where="test"
        )
        == {}
    )


def test_only_holders_of_the_permission_see_them_and_each_view_is_audited(
    aws, encrypted_mode, client
):
    finding, arn = scanned_named_instance()
    # The flat list with every status: the findings pages open on rules, which show no hash.
    pages = [
        f"{reverse('scan_pages:detail', args=[finding.scan_id])}?view=flat&status=",
        f"{reverse('findings:list')}?scan={finding.scan_id}&view=flat&status=",
        reverse("findings:detail", args=[finding.id]),
    ]
    client.force_login(create_member(username="olga", group="operator"))
    for url in pages:
        assert_nowhere(client.get(url).content.decode(), url, arn)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.IDENTIFIERS_VIEWED).exists()

    client.force_login(identifier_reader())
    for url in pages:
        response = client.get(url)
        assert arn in response.content.decode()
        assert CANARY_NAME in response.content.decode()
        assert "no-store" in response["Cache-Control"]
    exported = client.get(reverse("findings:export_revealed", args=[finding.scan_id, "json"]))
    assert exported.status_code == 200
    assert arn in b"".join(exported.streaming_content).decode()
    views = AuditEvent.objects.filter(action=AuditEvent.Action.IDENTIFIERS_VIEWED)
    assert views.count() == len(pages) + 1
    assert all(event.target == f"scan {finding.scan_id}" for event in views)
    assert all(event.detail["shown"] >= 1 for event in views)
    assert_nowhere(repr(list(views.values("target", "detail"))), "the audit log", arn)


def test_a_token_moved_to_another_row_does_not_open(aws, encrypted_mode):
    finding, _ = scanned_named_instance()
    first, second = ResourceIdentity.objects.filter(scan=finding.scan)[:2]
    ResourceIdentity.objects.filter(pk=second.pk).update(sealed=first.sealed)
    shown = stored_identities(
        scan_id=finding.scan_id, user=identifier_reader(), hashes=None, where="test"
    )
    assert first.resource_hash in shown
    assert second.resource_hash not in shown


def test_a_new_key_first_still_reads_what_the_old_one_wrote(aws, encrypted_mode, settings):
    finding, arn = scanned_named_instance()
    reader = identifier_reader()
    old = settings.IDENTIFIER_KEY[0]
    settings.IDENTIFIER_KEY = [Fernet.generate_key().decode(), old]
    shown = stored_identities(scan_id=finding.scan_id, user=reader, hashes=None, where="test")
    assert shown[finding.resource_hash].arn == arn
    settings.IDENTIFIER_KEY = [Fernet.generate_key().decode()]
    assert stored_identities(scan_id=finding.scan_id, user=reader, hashes=None, where="t") == {}


def check_in_fresh_process(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess:
    return run_manage(embedded_env(DATA_DIR=str(tmp_path), **overrides), "check")


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"RESOURCE_IDENTIFIERS": "encrypted"},
            "RESOURCE_IDENTIFIERS=encrypted needs IDENTIFIER_KEY",
        ),
        (
            {"RESOURCE_IDENTIFIERS": "encrypted", "IDENTIFIER_KEY": "NotAFernetKeyEXAMPLE"},
            "IDENTIFIER_KEY: key 1 is not a Fernet key",
        ),
        ({"RESOURCE_IDENTIFIERS": "plaintext"}, "must be 'none' or 'encrypted'"),
    ],
    ids=["no key", "malformed key", "unknown mode"],
)
def test_a_bad_configuration_refuses_to_start(tmp_path, overrides, message):
    result = check_in_fresh_process(tmp_path, **overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
    assert "NotAFernetKeyEXAMPLE" not in result.stderr


@pytest.mark.subprocess
def test_the_mode_with_its_key_starts(tmp_path, identifier_key):
    result = check_in_fresh_process(
        tmp_path, RESOURCE_IDENTIFIERS="encrypted", IDENTIFIER_KEY=identifier_key
    )
    assert result.returncode == 0, result.stderr


def test_a_user_without_the_permission_reads_nothing(aws, encrypted_mode):
    finding, _ = scanned_named_instance()
    plain = create_user(username="paul", can_scan=False)
    assert stored_identities(scan_id=finding.scan_id, user=plain, hashes=None, where="t") == {}
