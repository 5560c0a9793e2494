"""Scan orchestration: prove keys, create the scan, run its units, finalize it."""

import gc
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from rules.engine import evaluate
from rules.exposure.model import exposure_nodes
from rules.loading import load_catalog
from rules.selectors import rule_settings_snapshot
from scans.collection.aws import (
    THROTTLING_ERROR_CODES,
    AwsCredentials,
    CallerIdentity,
    CredentialsRejected,
    enabled_regions,
    error_code,
    prove_credentials,
    scan_session,
)
from scans.collection.collectors import Collector, collectors_for
from scans.collection.context import (
    COLLECTOR_THREADS,
    CollectContext,
    Denied,
    ScanStopped,
    Unavailable,
)
from scans.collection.demo import DEMO_ACCOUNT_ID, DEMO_REGIONS, demo_credentials, demo_server
from scans.collection.inventory import AccountContext
from scans.collection.memo import scan_memo_delete
from scans.collection.permissions import policy_denials, scan_permission_record
from scans.collection.vault import (
    VaultEntry,
    VaultWatch,
    vault_contains,
    vault_delete,
    vault_get,
    vault_put,
)
from scans.lifecycle.hooks import findings_port, scan_closed
from scans.lifecycle.selectors import recent_scan_seconds
from scans.models import OrganizationRun, SavedAccount, Scan, ScanRegion
from securescope.executor import enqueue_scan_units, enqueue_tasks
from securescope.models import AuditEvent
from securescope.privacy import account_hash, account_label
from securescope.resources import GLOBAL_REGION, Resource
from securescope.scrubbing import traceback_without_message
from securescope.services import audit_record
from securescope.severity import FindingStatus

logger = logging.getLogger(__name__)

# Storing a unit's findings survives the database dropping out this many times, briefly.
DB_WRITE_ATTEMPTS = 3
DB_RETRY_DELAY_SECONDS = 2.0


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


@dataclass
class Collection:
    resources: list[Resource] = field(default_factory=list)
    # One line per collector that failed; its resource types are in `resources`, not evaluated.
    errors: list[str] = field(default_factory=list)
    # Collectors that returned their resources (denied or unavailable listing calls included).
    collected: int = 0

    @property
    def resources_collected(self) -> int:
        """Resources found, leaving out the stand-ins for types that could not be listed."""
        return sum(resource.not_collected is None for resource in self.resources)


# Collectors done so far and resources collected so far, told as each collector ends.
CollectorProgress = Callable[[int, int], None]


def _collect(ctx: CollectContext, *, progress: CollectorProgress | None = None) -> Collection:
    """Run the unit's collectors concurrently on one shared context.

    A denied or unavailable listing call is a warning, and the collector's resource types are
    marked not evaluated. A collector that fails (throttling that outlived the retries, another
    AWS error, or a bug) costs only its own resource types: they are marked not evaluated with
    the reason, which is also an error of the unit; the other collectors' resources are kept.
    `progress` hears of each collector as it ends: collectors done and resources collected so
    far.
    """
    collection = Collection()
    with ThreadPoolExecutor(max_workers=COLLECTOR_THREADS) as pool:
        futures = {
            pool.submit(collector.collect, ctx): collector
            for collector in _unit_collectors(ctx.region)
        }
        if progress is not None:
            _report_progress(futures, progress)
        # In registry order, whatever order they ended in: the unit's results stay the same.
        for future, collector in futures.items():
            try:
                collection.resources.extend(future.result())
                collection.collected += 1
            except (Denied, Unavailable) as error:
                reason = error.summary
                ctx.warn(f"{collector.name} not collected ({reason})")
                collection.resources.extend(
                    ctx.not_collected(resource_type, reason)
                    for resource_type in collector.resource_types
                )
                collection.collected += 1
            except ScanStopped:
                raise
            except Exception as error:
                reason = _collector_failure(collector.name, error, ctx=ctx)
                collection.errors.append(reason)
                collection.resources.extend(
                    ctx.not_collected(resource_type, reason)
                    for resource_type in collector.resource_types
                )
    return collection


def _collector_failure(name: str, error: Exception, *, ctx: CollectContext) -> str:
    """Why the collector `name` failed, in words that hold no identifier: the exception's type
    (AWS's error code for an AWS error), never its message."""
    if isinstance(error, ClientError):
        code = error_code(error)
        if code in THROTTLING_ERROR_CODES:
            return (
                f"collector {name} failed: {code} (AWS kept throttling after "
                f"{settings.AWS_MAX_ATTEMPTS} attempts)"
            )
        return f"collector {name} failed: {code}"
    if not isinstance(error, BotoCoreError):
        # A bug, not AWS: where it happened goes to the log, without the message.
        logger.error(
            "Scan %s unit %s: collector %s raised\n%s",
            ctx.scan_id,
            ctx.region,
            name,
            traceback_without_message(error),
        )
    return f"collector {name} failed: {type(error).__name__}"


def _report_progress(futures: dict[Future, Collector], progress: CollectorProgress) -> None:
    found = 0
    for done, future in enumerate(as_completed(futures), start=1):
        if future.exception() is None:
            found += sum(resource.not_collected is None for resource in future.result())
        progress(done, found)


def _unit_collectors(region: str) -> list[Collector]:
    return collectors_for("global" if region == GLOBAL_REGION else "region")


def _unit_progress(unit: ScanRegion) -> CollectorProgress:
    """Records, as each collector ends, how many have and the resources found so far."""

    def record(done: int, resources: int) -> None:
        ScanRegion.objects.filter(pk=unit.pk).exclude(
            status__in=ScanRegion.TERMINAL_STATUSES
        ).update(collectors_done=done, resources_collected=resources)

    return record


def scan_unit_run(*, scan_id: uuid.UUID | str, region: str) -> None:
    """Collect, evaluate and store one unit of a scan, then finalize the scan if it was last."""
    unit = ScanRegion.objects.select_related("scan").get(scan_id=scan_id, region=region)
    if unit.status in ScanRegion.TERMINAL_STATUSES:
        return  # a retried task whose first attempt finished, or a cancelled scan
    unit.status = ScanRegion.Status.RUNNING
    unit.started_at = timezone.now()
    unit.collectors_total = len(_unit_collectors(region))
    unit.save(update_fields=["status", "started_at", "collectors_total"])
    try:
        _unit_collect_and_store(unit, scan_id=scan_id, region=region)
    except ScanStopped:
        # A cancelled scan has already ended this unit; otherwise the credentials expired.
        _unit_finish(unit, error="Stopped: the scan's credentials were removed mid-scan.")
    except CredentialsRejected as error:
        _unit_finish(unit, error=str(error))
    except Exception as error:
        # The message of an arbitrary exception may carry identifiers: keep only its type.
        logger.error(
            "Scan %s unit %s crashed\n%s", scan_id, region, traceback_without_message(error)
        )
        _unit_finish(unit, error=f"Internal error ({type(error).__name__}); see the server log.")
    finally:
        # The unit's session and clients are out of scope: free them before anything else.
        sessions_released()
        scan_finalize_if_complete(scan_id=scan_id)


def _unit_collect_and_store(unit: ScanRegion, *, scan_id: uuid.UUID | str, region: str) -> None:
    """The unit's work on its credentials, which end with this call (clients closed)."""
    entry = vault_get(scan_id=scan_id)
    if entry is None:
        _unit_finish(unit, error="The scan's credentials expired or were removed.")
        return
    # Asked before every request: from memory, kept current by the watch's own thread.
    credentials_gone = VaultWatch(scan_id=scan_id)
    try:
        ctx = CollectContext(
            session=scan_session(entry.credentials),
            endpoint_url=entry.credentials.endpoint_url,
            account=AccountContext(entry.identity.account_id, entry.identity.partition),
            region=region,
            should_stop=credentials_gone,
            scan_id=scan_id,
        )
        started = time.perf_counter()
        try:
            collection = _collect(ctx, progress=_unit_progress(unit))
        finally:
            ctx.close()
    finally:
        credentials_gone.close()
    if _credentials_gone(scan_id):
        raise ScanStopped
    collected = time.perf_counter()
    unit.resources_collected = collection.resources_collected
    unit.collectors_done = unit.collectors_total
    unit.warnings = ctx.warnings
    unit.permissions = ctx.permissions
    unit.api_calls = dict(sorted(ctx.api_calls.items()))
    unit.save(
        update_fields=[
            "resources_collected",
            "collectors_done",
            "warnings",
            "permissions",
            "api_calls",
        ]
    )
    catalog = load_catalog().with_settings(unit.scan.rule_settings)
    # The exposure model joins the unit's resources into paths (see rules.exposure.model).
    modelling = time.perf_counter()
    nodes = exposure_nodes(collection.resources)
    modelled = time.perf_counter()
    evaluations = list(evaluate(catalog, [*collection.resources, *nodes]))
    _unit_store(
        unit,
        evaluations,
        status=_collection_status(collection),
        error="; ".join(collection.errors),
        timings={
            "collect": round(collected - started, 3),
            "exposure_model": round(modelled - modelling, 3),
        },
        since=collected,
    )


def _collection_status(collection: Collection) -> str:
    """Succeeded; partial when some collectors failed; failed when every one did."""
    if not collection.errors:
        return ScanRegion.Status.SUCCEEDED
    return ScanRegion.Status.PARTIAL if collection.collected else ScanRegion.Status.FAILED


def _credentials_gone(scan_id: uuid.UUID | str) -> bool:
    return not vault_contains(scan_id=scan_id)


def _unit_store(
    unit: ScanRegion,
    evaluations: list,
    *,
    status: str,
    error: str,
    timings: dict[str, float],
    since: float,
) -> None:
    """The unit's findings and its end in one transaction: a unit is complete or has none.

    A database that drops out is retried a bounded number of times; after that the error
    propagates, the unit stays running and the reaper fails it.
    """
    for attempt in range(1, DB_WRITE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                stored = findings_port().store(scan_id=unit.scan_id, evaluations=evaluations)
                unit.findings_count, unit.failed_count = stored.stored, stored.failed
                # Seconds per stage, for bench/scan.py's share of time spent persisting.
                unit.timings = {
                    **timings,
                    "evaluate_and_store": round(time.perf_counter() - since, 3),
                    "write": round(stored.write_seconds, 3),
                }
                _unit_finish(unit, error=error, status=status)
            return
        except (OperationalError, InterfaceError):
            if attempt == DB_WRITE_ATTEMPTS:
                raise
            logger.warning(
                "Database unavailable storing scan %s unit %s (attempt %d of %d)",
                unit.scan_id,
                unit.region,
                attempt,
                DB_WRITE_ATTEMPTS,
            )
            if not connection.in_atomic_block:
                connection.close()  # reconnect on the next query
            time.sleep(DB_RETRY_DELAY_SECONDS * attempt)


def _unit_finish(unit: ScanRegion, *, error: str, status: str | None = None) -> None:
    """End the unit unless something else ended it first (a cancel, or the reaper).

    Without a `status`, the unit failed when there is an error and succeeded otherwise.
    """
    if status is None:
        status = ScanRegion.Status.FAILED if error else ScanRegion.Status.SUCCEEDED
    unit.status = status
    unit.error = error
    unit.finished_at = timezone.now()
    ScanRegion.objects.filter(pk=unit.pk).exclude(status__in=ScanRegion.TERMINAL_STATUSES).update(
        status=unit.status,
        error=unit.error,
        finished_at=unit.finished_at,
        findings_count=unit.findings_count,
        failed_count=unit.failed_count,
        timings=unit.timings,
    )


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
