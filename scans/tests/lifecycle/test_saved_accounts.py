"""Saved accounts: scanned and tested through their role, from the base identity, storing no key."""

import json

import pytest

from scans.collection.aws import CredentialsRejected
from scans.collection.vault import vault_get
from scans.lifecycle.accounts import (
    saved_account_connection_test,
    saved_account_scan_start,
)
from scans.lifecycle.services import AccountScanRunning, scan_start
from scans.models import Scan
from securescope.models import AuditEvent
from securescope.privacy import find_identifiers
from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, create_role_for_auditor
from testing.factories import create_saved_account, create_user

pytestmark = pytest.mark.django_db


def test_scan_now_assumes_the_role_and_the_vault_holds_only_its_keys(aws, ambient_base_identity):
    account = create_saved_account()
    user = create_user()
    scan = saved_account_scan_start(account=account, user=user)
    assert scan.saved_account == account
    assert scan.source == Scan.Source.SAVED_ACCOUNT
    assert scan.account_label == "****3333"
    assert scan.regions == ["eu-west-1"]
    assert scan.created_by == user
    credentials = vault_get(scan_id=scan.id).credentials
    assert credentials.access_key_id.startswith("ASIA")
    assert credentials.access_key_id != TEST_ACCESS_KEY_ID
    assert credentials.secret_access_key != TEST_SECRET_ACCESS_KEY
    assert credentials.role_arn == credentials.external_id == ""


def test_each_scan_records_the_base_identity_use_without_identifiers(aws, ambient_base_identity):
    account = create_saved_account()
    scan = saved_account_scan_start(account=account, user=create_user())
    event = AuditEvent.objects.get(action=AuditEvent.Action.BASE_IDENTITY_USED)
    assert event.target == f"scan {scan.id}"
    assert event.actor_username == "analyst"
    assert event.detail == {
        "purpose": "scan",
        "saved_account": account.pk,
        "source": Scan.Source.SAVED_ACCOUNT,
    }
    # The target is the scan's id, which a 12-digit run of its hex could pass off as an account.
    recorded = json.dumps(event.detail)
    assert find_identifiers(recorded) == []
    assert account.external_id not in recorded + event.target


def test_a_second_scan_is_refused_while_one_runs(aws, ambient_base_identity):
    account = create_saved_account()
    # Units start on commit, which this test's transaction never does: the scan stays running.
    saved_account_scan_start(account=account)
    with pytest.raises(AccountScanRunning):
        saved_account_scan_start(account=account)
    assert Scan.objects.count() == 1


def test_the_check_holds_under_the_account_lock_for_a_start_that_raced_it(
    aws, ambient_base_identity
):
    account = create_saved_account()
    first = saved_account_scan_start(account=account)
    credentials = vault_get(scan_id=first.id).credentials
    # Past the early check (as a start that began before the first scan existed would be).
    with pytest.raises(AccountScanRunning):
        scan_start(credentials=credentials, regions=["eu-west-1"], saved_account=account)
    assert Scan.objects.count() == 1
    assert list(Scan.objects.values_list("id", flat=True)) == [first.id]


def test_a_finished_scan_does_not_block_the_next(aws, ambient_base_identity):
    account = create_saved_account()
    first = saved_account_scan_start(account=account)
    Scan.objects.filter(id=first.id).update(status=Scan.Status.SUCCEEDED)
    assert saved_account_scan_start(account=account).id != first.id


def test_without_a_base_identity_nothing_is_started(aws):
    with pytest.raises(CredentialsRejected, match="SCANNER_BASE_IDENTITY=ambient"):
        saved_account_scan_start(account=create_saved_account())
    assert Scan.objects.count() == 0
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.BASE_IDENTITY_USED).exists()


def test_test_connection_shows_the_masked_account(aws, ambient_base_identity):
    account = create_saved_account()
    result = saved_account_connection_test(account=account, user=create_user())
    assert result.succeeded
    assert result.account_label == "****3333"
    assert "****3333" in result.message
    assert "111122223333" not in result.message
    event = AuditEvent.objects.get(action=AuditEvent.Action.BASE_IDENTITY_USED)
    assert event.target == f"saved account {account.pk}"
    assert event.detail == {"purpose": "test connection", "succeeded": True}


def test_test_connection_without_a_base_identity_says_how_to_turn_it_on(aws):
    result = saved_account_connection_test(account=create_saved_account(), user=None)
    assert not result.succeeded
    assert "SCANNER_BASE_IDENTITY=ambient" in result.message


@pytest.fixture
def guarded_role(aws) -> str:
    """Created before moto's authentication is switched on by `auditor_keys`."""
    return create_role_for_auditor(external_id="ext-1234")


@pytest.fixture
def auditor_as_base_identity(
    guarded_role, auditor_keys, ambient_base_identity, monkeypatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", auditor_keys["access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", auditor_keys["secret_access_key"])


def test_test_connection_through_a_guarded_role(guarded_role, auditor_as_base_identity):
    account = create_saved_account(role_arn=guarded_role, external_id="ext-1234")
    result = saved_account_connection_test(account=account, user=None)
    assert result.succeeded, result.message
    assert result.account_label == "****9012"


def test_access_denied_is_a_clear_message(guarded_role, auditor_as_base_identity):
    account = create_saved_account(role_arn=guarded_role, external_id="not-the-one")
    result = saved_account_connection_test(account=account, user=None)
    assert not result.succeeded
    assert "may not assume that role" in result.message
    assert "(AccessDenied)" in result.message
    assert find_identifiers(result.message) == []
    assert AuditEvent.objects.get().detail == {"purpose": "test connection", "succeeded": False}
