"""An organization run begun from the web form: keys proven and accounts listed at once, the
members started by a background task, its progress on the run, a dead start reaped."""

from datetime import timedelta

import pytest
from django.utils import timezone

from scans.collection.aws import AwsCredentials, CallerIdentity
from scans.collection.vault import VaultEntry, vault_delete, vault_get, vault_put
from scans.lifecycle import organizations
from scans.lifecycle.housekeeping import (
    STALLED_START_ERROR,
    UNQUEUED_UNIT_ERROR,
    scan_units_reap,
)
from scans.lifecycle.organizations import (
    KEYS_GONE_ERROR,
    MEMBERS_START_TASK,
    organization_members_start,
    organization_scan_begin,
)
from scans.lifecycle.services import scan_wait
from scans.models import OrganizationRun, Scan, ScanRegion
from securescope import executor
from securescope.privacy import account_label
from testing.factories import create_organization_run, create_scan, create_scan_region
from testing.organizations import moto_organization, organization_started

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(monkeypatch, settings) -> list[tuple[str, tuple]]:
    """Tasks queued, recorded instead of run."""
    calls: list[tuple[str, tuple]] = []
    monkeypatch.setitem(
        executor.EXECUTORS,
        "record",
        lambda task, args, cluster: calls.extend((task, call) for call in args),
    )
    settings.SCAN_EXECUTOR = "record"
    return calls


@pytest.fixture
def organization(aws, monkeypatch):
    return moto_organization(monkeypatch)


def test_the_request_lists_the_accounts_and_queues_one_task_that_starts_them(organization, queued):
    run = organization_scan_begin(
        credentials=AwsCredentials(**organization.keys),
        external_id="org-external-id",
        regions=["eu-west-1"],
    )
    members = 1 + len(organization.members) + len(organization.refused)
    assert (run.status, run.members_done, run.members_total) == (
        OrganizationRun.Status.STARTING,
        0,
        members,
    )
    assert queued == [(MEMBERS_START_TASK, (str(run.id),))]
    assert not Scan.objects.exists()
    sealed = vault_get(scan_id=run.id)
    assert sealed.credentials.role_arn == ""
    assert sealed.credentials.external_id == "org-external-id"

    organization_members_start(run_id=run.id, executor="record")

    run.refresh_from_db()
    assert (run.status, run.members_done) == (OrganizationRun.Status.STARTED, members)
    assert run.scans.count() == 1 + len(organization.members)
    # A member whose role cannot be assumed is reported and the others are started.
    assert [account["account"] for account in run.not_assumed] == [
        account_label(refused) for refused in organization.refused
    ]
    assert vault_get(scan_id=run.id) is None
    member = run.scans.exclude(account_label=account_label(organization.management)).first()
    assert vault_get(scan_id=member.id).credentials.external_id == "org-external-id"
    units = [call for task, call in queued if task == executor.UNIT_TASK]
    assert len(units) == run.scans.count() * 2


def test_progress_is_recorded_after_each_member(organization, queued, monkeypatch):
    run = organization_scan_begin(
        credentials=AwsCredentials(**organization.keys), regions=["eu-west-1"]
    )
    seen = []
    start = organizations.scan_start

    def scan_start_seeing_progress(**options):
        seen.append(OrganizationRun.objects.get(id=run.id).members_done)
        return start(**options)

    monkeypatch.setattr(organizations, "scan_start", scan_start_seeing_progress)
    organization_members_start(run_id=run.id, executor="record")
    # The refused member fails inside scan_start too: every member is counted as it is done.
    assert seen == list(range(run.members_total))


def test_members_start_in_the_thread_pool_and_are_scanned(aws, monkeypatch):
    organization = moto_organization(monkeypatch)
    run = organization_scan_begin(
        credentials=AwsCredentials(**organization.keys), regions=["eu-west-1"]
    )
    run = organization_started(run_id=run.id)
    scans = [scan_wait(scan_id=scan.id, timeout=120) for scan in run.scans.all()]
    assert {scan.status for scan in scans} == {Scan.Status.SUCCEEDED}
    assert len(scans) == 1 + len(organization.members)


def test_keys_gone_before_the_task_ran_fail_the_run(organization, queued):
    run = organization_scan_begin(
        credentials=AwsCredentials(**organization.keys), regions=["eu-west-1"]
    )
    vault_delete(scan_id=run.id)
    organization_members_start(run_id=run.id, executor="record")
    run.refresh_from_db()
    assert (run.status, run.error) == (OrganizationRun.Status.FAILED, KEYS_GONE_ERROR)
    assert not Scan.objects.exists()


def test_a_start_that_died_is_failed_by_the_reaper_with_the_units_it_never_queued(settings):
    settings.SCAN_UNIT_DEADLINE_SECONDS = 3600
    run = create_organization_run(status=OrganizationRun.Status.STARTING, members_total=3)
    OrganizationRun.objects.filter(id=run.id).update(created_at=timezone.now() - timedelta(hours=2))
    member = create_scan(status=Scan.Status.RUNNING, organization_run=run, regions=["eu-west-1"])
    for region in ["global", "eu-west-1"]:
        create_scan_region(member, region=region)
    identity = CallerIdentity("123456789012", "aws")
    keys = AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40)
    vault_put(scan_id=run.id, entry=VaultEntry(keys, identity))
    vault_put(scan_id=member.id, entry=VaultEntry(keys, identity))
    recent = create_organization_run(status=OrganizationRun.Status.STARTING)

    scan_units_reap()

    run.refresh_from_db()
    member.refresh_from_db()
    assert (run.status, run.error) == (OrganizationRun.Status.FAILED, STALLED_START_ERROR)
    assert set(member.scan_regions.values_list("status", "error")) == {
        (ScanRegion.Status.FAILED, UNQUEUED_UNIT_ERROR)
    }
    assert member.status == Scan.Status.FAILED
    assert vault_get(scan_id=run.id) is None
    assert vault_get(scan_id=member.id) is None
    recent.refresh_from_db()
    assert recent.status == OrganizationRun.Status.STARTING


def test_a_start_the_reaper_gave_up_queues_nothing_when_it_wakes(organization, queued):
    run = organization_scan_begin(
        credentials=AwsCredentials(**organization.keys), regions=["eu-west-1"]
    )
    OrganizationRun.objects.filter(id=run.id).update(status=OrganizationRun.Status.FAILED)
    organization_members_start(run_id=run.id, executor="record")
    assert queued == [(MEMBERS_START_TASK, (str(run.id),))]
    assert not Scan.objects.exists()


def test_a_start_run_again_after_its_worker_died_starts_no_member_twice(
    organization, queued, monkeypatch
):
    run = organization_scan_begin(
        credentials=AwsCredentials(**organization.keys), regions=["eu-west-1"]
    )

    def worker_killed(*args, **kwargs):
        raise SystemExit("killed")

    # The first attempt dies after starting every member, before queueing their units and
    # before deleting the keys (its finally blocks never ran).
    with monkeypatch.context() as dying:
        dying.setattr(organizations, "_members_release", worker_killed)
        dying.setattr(organizations, "vault_delete", lambda **kwargs: None)
        with pytest.raises(SystemExit):
            organization_members_start(run_id=run.id, executor="record")
    first = set(run.scans.values_list("id", flat=True))
    assert len(first) == 1 + len(organization.members)

    organization_members_start(run_id=run.id, executor="record")

    run.refresh_from_db()
    assert run.status == OrganizationRun.Status.STARTED
    assert set(run.scans.values_list("id", flat=True)) == first
    units = [call for task, call in queued if task == executor.UNIT_TASK]
    assert sorted(units) == sorted(
        (str(scan_id), unit) for scan_id in first for unit in ["global", "eu-west-1"]
    )
