"""The reaper ends scans whose worker died; the purge deletes old scans with their findings."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from advice.models import Advice, ScanAdvice
from findings import retention
from findings import tasks as findings_tasks
from findings.management.commands.purge import parse_age
from findings.models import Finding
from findings.retention import scans_purge
from scans.collection.aws import AwsCredentials, CallerIdentity
from scans.collection.vault import VaultEntry, vault_get, vault_put
from scans.lifecycle.housekeeping import STALLED_UNIT_ERROR, scan_units_reap
from scans.models import Scan, ScanRegion
from testing.factories import create_finding, create_scan, create_scan_region, create_user

pytestmark = pytest.mark.django_db(transaction=True)

LONG_AGO = timedelta(hours=3)


def running_scan(*, started_ago: timedelta, pending_ago: timedelta | None = None) -> Scan:
    """A running scan: one unit done, one started `started_ago`, credentials in the vault."""
    now = timezone.now()
    scan = create_scan(status=Scan.Status.RUNNING, regions=["eu-west-1", "us-west-2"])
    Scan.objects.filter(id=scan.id).update(created_at=now - (pending_ago or started_ago))
    create_scan_region(scan, region="global", status=ScanRegion.Status.SUCCEEDED)
    create_scan_region(
        scan,
        region="eu-west-1",
        status=ScanRegion.Status.RUNNING,
        started_at=now - started_ago,
    )
    vault_put(
        scan_id=scan.id,
        entry=VaultEntry(
            AwsCredentials("AKIAIOSFODNN7EXAMPLE", "x" * 40), CallerIdentity("123456789012", "aws")
        ),
    )
    return scan


def test_a_unit_past_its_deadline_fails_and_the_scan_ends_partial(settings):
    settings.SCAN_UNIT_DEADLINE_SECONDS = 3600
    scan = running_scan(started_ago=LONG_AGO)

    assert scan_units_reap() == 1

    scan.refresh_from_db()
    unit = scan.scan_regions.get(region="eu-west-1")
    assert (unit.status, unit.error) == (ScanRegion.Status.FAILED, STALLED_UNIT_ERROR)
    assert scan.status == Scan.Status.PARTIAL
    assert vault_get(scan_id=scan.id) is None


def test_a_unit_within_its_deadline_is_left_alone(settings):
    settings.SCAN_UNIT_DEADLINE_SECONDS = 3600
    scan = running_scan(started_ago=timedelta(minutes=5))

    assert scan_units_reap() == 0

    scan.refresh_from_db()
    assert scan.status == Scan.Status.RUNNING
    assert vault_get(scan_id=scan.id) is not None


def test_a_unit_never_started_fails_once_the_credentials_expired(settings):
    settings.VAULT_TTL_SECONDS = 3600
    scan = running_scan(started_ago=timedelta(minutes=1), pending_ago=LONG_AGO)
    create_scan_region(scan, region="us-west-2", status=ScanRegion.Status.PENDING)

    assert scan_units_reap() == 1

    assert scan.scan_regions.get(region="us-west-2").status == ScanRegion.Status.FAILED
    assert scan.scan_regions.get(region="eu-west-1").status == ScanRegion.Status.RUNNING


def test_a_scan_left_open_by_a_lost_finalization_is_closed():
    scan = create_scan(status=Scan.Status.RUNNING)
    create_scan_region(scan, status=ScanRegion.Status.SUCCEEDED)

    scan_units_reap()

    scan.refresh_from_db()
    assert scan.status == Scan.Status.SUCCEEDED


def test_the_scan_page_reaps_on_read(client, settings):
    settings.SCAN_UNIT_DEADLINE_SECONDS = 3600
    scan = running_scan(started_ago=LONG_AGO)
    client.force_login(create_user(can_scan=False))

    page = client.get(reverse("scan_pages:detail", args=[scan.id])).content.decode()

    assert STALLED_UNIT_ERROR.split(";")[0] in page
    scan.refresh_from_db()
    assert scan.status == Scan.Status.PARTIAL


def test_the_schedules_run_the_housekeeping_tasks_on_the_scans_cluster():
    # Transactional tests empty every table, the migration's rows too: run its function again.
    migration = importlib.import_module("scans.migrations.0005_cancelled_and_housekeeping")
    migration.add_schedules(apps, None)
    migration.add_schedules(apps, None)  # idempotent

    schedules = {s.func: s for s in Schedule.objects.filter(cluster="scans")}
    assert len(schedules) == 2

    assert schedules["scans.tasks.reap_stalled_units"].minutes == 5
    assert schedules["findings.tasks.purge_expired_scans"].schedule_type == Schedule.DAILY


def old_scan(days: int, findings: int = 3, **overrides) -> Scan:
    scan = create_scan(**overrides)
    Scan.objects.filter(id=scan.id).update(created_at=timezone.now() - timedelta(days=days))
    create_scan_region(scan, status=ScanRegion.Status.SUCCEEDED)
    for n in range(findings):
        create_finding(scan, resource_hash=f"{n:064x}")
    return scan


def test_purge_deletes_old_scans_with_their_findings_in_batches(monkeypatch):
    monkeypatch.setattr(retention, "PURGE_SCAN_BATCH", 2)
    monkeypatch.setattr(retention, "PURGE_FINDING_BATCH", 2)
    old = [old_scan(100) for _ in range(3)]
    recent = old_scan(10)
    running = old_scan(100, status=Scan.Status.RUNNING)

    result = scans_purge(older_than=timedelta(days=90))

    assert (result.scans, result.findings) == (3, 9)
    assert not Scan.objects.filter(id__in=[scan.id for scan in old]).exists()
    assert set(Scan.objects.values_list("id", flat=True)) == {recent.id, running.id}
    assert Finding.objects.count() == 6
    assert ScanRegion.objects.count() == 2


def test_purge_drops_advice_only_the_purged_scans_used():
    def advice_for(scan: Scan, rule_id: str) -> Advice:
        advice, _ = Advice.objects.get_or_create(
            rule_id=rule_id,
            shape_key="k" * 64,
            model_id="m.gguf",
            defaults={"source": "model", "markdown": "x", "generated_at": timezone.now()},
        )
        ScanAdvice.objects.create(scan=scan, rule_id=rule_id, shape_key="k" * 64, advice=advice)
        return advice

    old, recent = old_scan(100), old_scan(10)
    orphaned = advice_for(old, "EC2_IMDSV2_REQUIRED")
    shared = advice_for(old, "EC2_SG_SSH_OPEN")
    advice_for(recent, "EC2_SG_SSH_OPEN")

    scans_purge(older_than=timedelta(days=90))

    assert not Advice.objects.filter(id=orphaned.id).exists()
    assert list(Advice.objects.all()) == [shared]


def test_purge_command(capsys):
    old_scan(100)
    old_scan(30)

    call_command("purge", "--older-than", "90d")

    assert "Deleted 1 scans and 3 findings." in capsys.readouterr().out
    assert Scan.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "age"), [("90d", timedelta(days=90)), ("36h", timedelta(hours=36))]
)
def test_purge_ages(text, age):
    assert parse_age(text) == age


@pytest.mark.parametrize("text", ["90", "-1d", "1w", "90 days", ""])
def test_purge_refuses_unclear_ages(text):
    with pytest.raises(ValueError, match="not an age"):
        parse_age(text)


def test_scheduled_purge_follows_the_retention_setting(settings):
    old_scan(100)
    old_scan(40)
    settings.FINDINGS_RETENTION_DAYS = 0
    findings_tasks.purge_expired_scans()
    assert Scan.objects.count() == 2

    settings.FINDINGS_RETENTION_DAYS = 90
    findings_tasks.purge_expired_scans()
    assert Scan.objects.count() == 1
