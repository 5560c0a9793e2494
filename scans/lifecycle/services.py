"""Scan orchestration: prove keys, create the scan, finalize or cancel it (its units run in
scans.lifecycle.units)."""

import gc
import logging
import time
import uuid
from datetime import datetime
from functools import partial

import boto3
from botocore.exceptions import ClientError
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from rules.selectors import rule_settings_snapshot
from scans.collection.aws import (
    AwsCredentials,
    CallerIdentity,
    CredentialsRejected,
    enabled_regions,
    error_code,
    prove_credentials,
)
from scans.collection.demo import DEMO_ACCOUNT_ID, DEMO_REGIONS, demo_credentials, demo_server
from scans.collection.memo import scan_memo_delete
from scans.collection.permissions import policy_denials, scan_permission_record
from scans.collection.vault import (
    VaultEntry,
    vault_delete,
    vault_put,
)
from scans.lifecycle.hooks import findings_port, scan_closed
from scans.lifecycle.selectors import recent_scan_seconds
from scans.models import OrganizationRun, SavedAccount, Scan, ScanRegion
from securescope.executor import enqueue_scan_units, enqueue_tasks
from securescope.models import AuditEvent
from securescope.privacy import account_hash, account_label
from securescope.resources import GLOBAL_REGION
from securescope.services import audit_record
from securescope.severity import FindingStatus

logger = logging.getLogger(__name__)

# Assumed for an installation that has not finished a scan yet.
DEFAULT_EXPECTED_SCAN_SECONDS = 600


# Starts a demo scan's units once the demo account's server is up (scans.tasks).
DEMO_LAUNCH_TASK = "scans.tasks.launch_demo_scan"

# Access key ids of temporary credentials (STS) start so; long-term keys start with AKIA.
TEMPORARY_KEY_PREFIX = "ASIA"


def credential_expiry_problem(*, expires_at: datetime | None, access_key_id: str) -> str | None:
    """Why credentials that expire at `expires_at` may not last a scan, or None.

    AWS offers no call that tells when pasted temporary keys expire, so this judges only when
    the user gives the expiration (AWS_CREDENTIAL_EXPIRATION, or the form's field); temporary
    keys without one are called out, since they may expire at any time.
    """
    if expires_at is None:
        if access_key_id.startswith(TEMPORARY_KEY_PREFIX):
            return (
                "These are temporary keys (they start with ASIA) and no expiration was given: "
                "if they expire mid-scan, the regions still running will fail. Give their "
                "expiration, or start anyway."
            )
        return None
    expected = recent_scan_seconds() or DEFAULT_EXPECTED_SCAN_SECONDS
    left = (expires_at - timezone.now()).total_seconds()
    if left >= expected:
        return None
    if left <= 0:
        return "These credentials have already expired."
    return (
        f"These credentials expire in {left / 60:.0f} min; recent scans took up to "
        f"{expected / 60:.0f} min, so regions still running then will fail. Paste fresher keys "
        "or start anyway."
    )


class AccountScanRunning(Exception):
    """A scan of this saved account is still running; the message is safe to show."""


def scan_start(
    *,
    credentials: AwsCredentials,
    regions: list[str] | None = None,
    user: AbstractBaseUser | None = None,
    source: str = Scan.Source.WEB,
    executor: str | None = None,
    saved_account: SavedAccount | None = None,
    organization_run: OrganizationRun | None = None,
    enqueue_units: bool = True,
) -> Scan:
    """Prove the keys, then create the scan and enqueue one unit per region plus the global one.

    The scan starts with the actions its policy check found denied, so its page lists them
    before any unit runs into them. A scan of a `saved_account` links to it, and is refused
    while another scan of that account runs. Without `enqueue_units` the units are created
    pending and the caller queues them (an organization interleaves its members' units).
    Raises CredentialsRejected, VaultUnavailable or AccountScanRunning (nothing stored).
    """
    try:
        identity, regions, denied_by_policy = _credentials_proven(credentials, regions)
    finally:
        sessions_released()
    scan_id = uuid.uuid4()
    vault_put(scan_id=scan_id, entry=VaultEntry(credentials, identity))
    try:
        with transaction.atomic():
            if saved_account is not None:
                _saved_account_claim(saved_account)
            scan = Scan.objects.create(
                id=scan_id,
                created_by=user if user and user.is_authenticated else None,
                source=source,
                saved_account=saved_account,
                account_hash=account_hash(identity.account_id),
                account_label=account_label(identity.account_id),
                status=Scan.Status.RUNNING,
                regions=regions,
                rule_settings=rule_settings_snapshot(),
                minimal_permissions=denied_by_policy,
                organization_run=organization_run,
            )
            _scan_units_create(scan, executor=executor, enqueue=enqueue_units)
            _audit_scan_started(scan, user)
    except BaseException:
        vault_delete(scan_id=scan_id)
        raise
    logger.info("Scan %s started over %d regions", scan.id, len(regions))
    return scan


def _saved_account_claim(account: SavedAccount) -> None:
    """Hold the account's row for the caller's transaction, so two starts (a schedule and a
    click) cannot both find it idle; raise AccountScanRunning when a scan of it has not ended."""
    SavedAccount.objects.select_for_update().only("pk").get(pk=account.pk)
    if Scan.objects.filter(
        saved_account=account, status__in=(Scan.Status.PENDING, Scan.Status.RUNNING)
    ).exists():
        raise AccountScanRunning("A scan of this account is still running.")


def _credentials_proven(
    credentials: AwsCredentials, regions: list[str] | None
) -> tuple[CallerIdentity, list[str], dict[str, str]]:
    """The caller, the regions to scan and what its policy denies; the session it used ends
    with this call."""
    session, identity = prove_credentials(credentials)
    regions = regions_to_scan(session, credentials.endpoint_url, regions)
    # Here, not in a unit: the credentials are at hand, and the scan page can show the result
    # from its first load.
    denied_by_policy = policy_denials(
        session=session, caller_arn=identity.arn, endpoint_url=credentials.endpoint_url
    )
    return identity, regions, denied_by_policy


def regions_to_scan(
    session: boto3.Session, endpoint_url: str, regions: list[str] | None
) -> list[str]:
    """`regions`, or every region the account has enabled when none are given; sorted."""
    if not regions:
        try:
            regions = enabled_regions(session, endpoint_url)
        except ClientError as error:
            raise CredentialsRejected(
                "These keys may not list the account's regions (ec2:DescribeRegions); "
                f"choose the regions to scan. ({error_code(error)})"
            ) from None
    return sorted(set(regions))


def sessions_released() -> None:
    """Free the boto3 sessions and clients a finished step left behind, now.

    botocore's sessions, clients and credential objects refer to each other in cycles, so they
    outlive their last use as garbage, secret key included, until the cycle collector happens
    to run: minutes in a quiet worker. Called once the objects are out of scope.
    """
    gc.collect()


def scan_unit_names(scan: Scan) -> list[str]:
    """The scan's units in the order they are queued: the global one, then its regions."""
    return [GLOBAL_REGION, *scan.regions]


def _scan_units_create(scan: Scan, *, executor: str | None, enqueue: bool = True) -> None:
    """One unit per region plus the global one, run once the transaction commits (unless the
    caller queues them itself)."""
    units = scan_unit_names(scan)
    ScanRegion.objects.bulk_create(ScanRegion(scan=scan, region=name) for name in units)
    if enqueue:
        transaction.on_commit(
            partial(enqueue_scan_units, scan_id=scan.id, units=units, executor=executor)
        )


def _audit_scan_started(scan: Scan, user: AbstractBaseUser | None) -> None:
    audit_record(
        actor=user,
        action=AuditEvent.Action.SCAN_STARTED,
        target=f"scan {scan.id}",
        detail={"account": scan.account_label, "regions": scan.regions, "source": scan.source},
    )


def scan_start_demo(*, user: AbstractBaseUser | None = None) -> Scan:
    """Create the demo account's scan at once; its units start once the demo's moto server
    is up (seeding it takes seconds on first use), which `scan_demo_launch` sees to in a
    thread of this process, where the server lives. Until then the scan is pending."""
    with transaction.atomic():
        scan = Scan.objects.create(
            created_by=user if user and user.is_authenticated else None,
            source=Scan.Source.DEMO,
            account_hash=account_hash(DEMO_ACCOUNT_ID),
            account_label=account_label(DEMO_ACCOUNT_ID),
            status=Scan.Status.PENDING,
            regions=sorted(DEMO_REGIONS),
            rule_settings=rule_settings_snapshot(),
        )
        _audit_scan_started(scan, user)
        transaction.on_commit(
            partial(
                enqueue_tasks,
                DEMO_LAUNCH_TASK,
                [(str(scan.id),)],
                cluster="demo",
                executor="thread",
            )
        )
    logger.info("Scan %s of the demo account created; its server is starting", scan.id)
    return scan


def scan_demo_launch(*, scan_id: uuid.UUID | str) -> bool:
    """Start the demo account's server, prove its keys and start the pending scan's units.

    The keys go through the vault as any scan's do. Returns False when the scan was cancelled
    meanwhile, or when the server did not start (the scan then fails, saying so).
    """
    try:
        credentials = demo_credentials(demo_server.start())
        session, identity = prove_credentials(credentials)
    except Exception as error:
        # Left pending, the scan would wait for units that never come.
        logger.exception("The demo account did not start (%s)", type(error).__name__)
        scan_fail_unstarted(scan_id=scan_id, error="The demo account did not start.")
        return False
    denied_by_policy = policy_denials(
        session=session, caller_arn=identity.arn, endpoint_url=credentials.endpoint_url
    )
    try:
        with transaction.atomic():
            scan = Scan.objects.select_for_update().get(id=scan_id)
            if scan.status != Scan.Status.PENDING:
                return False
            vault_put(scan_id=scan.id, entry=VaultEntry(credentials, identity))
            scan.status = Scan.Status.RUNNING
            scan.minimal_permissions = denied_by_policy
            # The same as at creation unless moto was told to be another account.
            scan.account_hash = account_hash(identity.account_id)
            scan.account_label = account_label(identity.account_id)
            scan.save(
                update_fields=["status", "minimal_permissions", "account_hash", "account_label"]
            )
            _scan_units_create(scan, executor=None)
    except BaseException:
        vault_delete(scan_id=scan_id)
        raise
    logger.info("Scan %s of the demo account started", scan.id)
    return True


def scan_fail_unstarted(*, scan_id: uuid.UUID | str, error: str) -> bool:
    """End a scan that never got units (its demo server did not start); False if it had."""
    with transaction.atomic():
        scan = Scan.objects.select_for_update().get(id=scan_id)
        if scan.status != Scan.Status.PENDING:
            return False
        _scan_close(scan, status=Scan.Status.FAILED, finished_at=timezone.now(), error=error)
    logger.info("Scan %s failed before it started: %s", scan.id, error)
    return True


def _scan_close(scan: Scan, *, status: str, finished_at: datetime, error: str = "") -> None:
    """End a scan locked by the caller's transaction: its status, the permissions its units
    met, its finding counts; then tell `scan_closed` receivers, inside the same transaction.

    The AWS answers its units shared go first: they hold account ids and ARNs, and nothing
    reads them once the scan has ended."""
    scan_memo_delete(scan_id=str(scan.id))
    scan.status = status
    scan.error = error
    scan.minimal_permissions = scan_permission_record(
        found_at_start=scan.minimal_permissions,
        per_unit=scan.scan_regions.values_list("permissions", flat=True),
    )
    scan.finding_counts = findings_port().counts(scan_id=scan.id)
    scan.severity_counts = scan.finding_counts[FindingStatus.FAIL]
    scan.finished_at = finished_at
    scan.save(
        update_fields=[
            "status",
            "error",
            "minimal_permissions",
            "finding_counts",
            "severity_counts",
            "finished_at",
        ]
    )
    scan_closed.send(sender=Scan, scan_id=scan.id, status=scan.status)


def scan_finalize_if_complete(*, scan_id: uuid.UUID | str) -> bool:
    """Close the scan once every unit has ended: status, counts, and the credentials deleted."""
    with transaction.atomic():
        scan = Scan.objects.select_for_update().get(id=scan_id)
        if scan.is_finished:
            return False
        statuses = list(scan.scan_regions.values_list("status", flat=True))
        # A demo scan has no units until its server is up: nothing has run, nothing has ended.
        if not statuses or any(status not in ScanRegion.TERMINAL_STATUSES for status in statuses):
            return False
        failed = statuses.count(ScanRegion.Status.FAILED) + statuses.count(
            ScanRegion.Status.CANCELLED
        )
        if failed == 0 and ScanRegion.Status.PARTIAL not in statuses:
            status = Scan.Status.SUCCEEDED
        elif failed == len(statuses):
            status = Scan.Status.FAILED
        else:
            status = Scan.Status.PARTIAL
        # Every unit has ended, so nothing needs the credentials: they go before the scan is
        # seen closed, never after (a rollback leaves an open scan without keys for the reaper).
        vault_delete(scan_id=scan.id)
        _scan_close(scan, status=status, finished_at=timezone.now())
    logger.info("Scan %s finished: %s", scan.id, scan.status)
    return True


def scan_cancel(*, scan_id: uuid.UUID | str, user: AbstractBaseUser | None = None) -> bool:
    """Stop a running scan: credentials deleted at once, units still to run cancelled.

    Units that are running stop at their next AWS call (they find the vault entry gone) and
    leave the cancelled status alone. Returns False when the scan had already ended.
    """
    # First and outside the transaction: workers stop even if what follows fails.
    vault_delete(scan_id=scan_id)
    with transaction.atomic():
        scan = Scan.objects.select_for_update().get(id=scan_id)
        if scan.is_finished:
            return False
        now = timezone.now()
        scan.scan_regions.exclude(status__in=ScanRegion.TERMINAL_STATUSES).update(
            status=ScanRegion.Status.CANCELLED, error="Cancelled.", finished_at=now
        )
        who = user.get_username() if user is not None and user.is_authenticated else "an operator"
        _scan_close(
            scan, status=Scan.Status.CANCELLED, finished_at=now, error=f"Cancelled by {who}."
        )
    logger.info("Scan %s cancelled", scan.id)
    return True


def scan_wait(*, scan_id: uuid.UUID | str, timeout: float, poll_interval: float = 0.25) -> Scan:
    """Block until the scan ends (for the command line); raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        scan = Scan.objects.get(id=scan_id)
        if scan.is_finished:
            return scan
        if time.monotonic() > deadline:
            raise TimeoutError(f"scan {scan_id} did not finish within {timeout:.0f} s")
        time.sleep(poll_interval)
