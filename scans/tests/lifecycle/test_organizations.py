"""Scanning an organization: a scan per ACTIVE account, refused roles reported, never fatal."""

import pytest

from scans.collection.aws import AwsCredentials, CredentialsRejected
from scans.collection.vault import vault_get
from scans.lifecycle.organizations import organization_scan_start
from scans.lifecycle.services import scan_wait
from scans.models import OrganizationRun, Scan
from securescope import executor
from securescope.privacy import account_hash, account_label
from testing.aws import moto_user_keys
from testing.organizations import moto_organization

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def organization(aws, monkeypatch):
    return moto_organization(monkeypatch)


def test_each_active_account_is_scanned_and_a_refused_role_is_reported(organization):
    run = organization_scan_start(
        credentials=AwsCredentials(**organization.keys), regions=["eu-west-1"]
    )
    scans = {scan.account_hash: scan_wait(scan_id=scan.id, timeout=120) for scan in run.scans.all()}
    scanned = [organization.management, *organization.members]
    assert set(scans) == {account_hash(account_id) for account_id in scanned}
    assert all(scan.status == Scan.Status.SUCCEEDED for scan in scans.values())
    assert all(scan.regions == ["eu-west-1"] for scan in scans.values())
    run.refresh_from_db()
    assert run.regions == ["eu-west-1"]
    assert run.account_label == account_label(organization.management)
    assert run.not_assumed == [
        {
            "account": account_label(refused),
            "reason": "These keys may not assume that role (check its trust policy and the "
            "external id). (AccessDenied)",
        }
        for refused in organization.refused
    ]
    assert not any(
        account_id in str(run.not_assumed)
        for account_id in [*organization.refused, *organization.members]
    )


def test_the_management_account_is_scanned_with_the_keys_and_members_through_the_role(
    organization,
):
    run = organization_scan_start(
        credentials=AwsCredentials(**organization.keys),
        role_name="OrganizationAccountAccessRole",
        external_id="org-external-id",
        regions=["eu-west-1"],
    )
    entries = {
        scan.account_label: vault_get(scan_id=scan.id)
        for scan in run.scans.all()
        if vault_get(scan_id=scan.id) is not None
    }
    management = entries[account_label(organization.management)]
    assert management.credentials.role_arn == ""
    member_id = organization.members[0]
    member = entries[account_label(member_id)]
    assert member.credentials.role_arn == (
        f"arn:aws:iam::{member_id}:role/OrganizationAccountAccessRole"
    )
    assert member.credentials.external_id == "org-external-id"
    assert member.identity.account_id == member_id
    for scan in run.scans.all():
        scan_wait(scan_id=scan.id, timeout=120)


def test_keys_that_may_not_list_the_accounts_store_nothing(aws, monkeypatch):
    keys = moto_user_keys(
        monkeypatch,
        user_name="no-orgs",
        policy='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": ["sts:GetCallerIdentity"], "Resource": "*"}]}',
    )
    with pytest.raises(CredentialsRejected, match="organizations:ListAccounts"):
        organization_scan_start(credentials=AwsCredentials(**keys), regions=["eu-west-1"])
    assert not OrganizationRun.objects.exists()
    assert not Scan.objects.exists()


def test_an_account_outside_any_organization_is_told_so(aws):
    with pytest.raises(CredentialsRejected, match="part of an organization"):
        organization_scan_start(
            credentials=AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40), regions=["eu-west-1"]
        )
    assert not OrganizationRun.objects.exists()


@pytest.mark.parametrize("role_name", ["", "role/with/path", "x" * 65, "rôle"])
def test_a_role_name_aws_would_refuse_is_refused_before_any_call(role_name):
    with pytest.raises(CredentialsRejected, match="role name"):
        organization_scan_start(
            credentials=AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40), role_name=role_name
        )


def test_members_units_are_queued_after_every_member_started_one_account_at_a_time(
    organization, monkeypatch
):
    queued = []

    def record(task: str, calls: list[tuple], cluster: str) -> None:
        # Every member has been started (its scan and units exist) when the first unit is queued.
        assert Scan.objects.count() == 1 + len(organization.members)
        queued.extend(calls)

    monkeypatch.setitem(executor.EXECUTORS, "record", record)
    run = organization_scan_start(
        credentials=AwsCredentials(**organization.keys),
        regions=["eu-west-1", "us-east-1"],
        executor="record",
    )
    scans = [
        str(scan_id) for scan_id in run.scans.order_by("created_at").values_list("id", flat=True)
    ]
    assert queued == [
        (scan_id, unit) for unit in ["global", "eu-west-1", "us-east-1"] for scan_id in scans
    ]
    run.refresh_from_db()
    assert (run.status, run.members_done, run.members_total) == (
        OrganizationRun.Status.STARTED,
        len(organization.members) + len(organization.refused) + 1,
        len(organization.members) + len(organization.refused) + 1,
    )
