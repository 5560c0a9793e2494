"""One unit of a scan (a region, or the account-wide resources): collect on the scan's
credentials, evaluate the catalog, store the findings, then finalize the scan if it was last."""

import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from rules.engine import evaluate
from rules.exposure.model import exposure_nodes
from rules.loading import load_catalog
from scans.collection.aws import (
    THROTTLING_ERROR_CODES,
    CredentialsRejected,
    error_code,
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
from scans.collection.inventory import AccountContext
from scans.collection.vault import VaultWatch, vault_contains, vault_get
from scans.lifecycle.hooks import findings_port
from scans.lifecycle.services import scan_finalize_if_complete, sessions_released
from scans.models import ScanRegion
from securescope.resources import GLOBAL_REGION, Resource
from securescope.scrubbing import traceback_without_message

logger = logging.getLogger(__name__)

# Storing a unit's findings survives the database dropping out this many times, briefly.
DB_WRITE_ATTEMPTS = 3
DB_RETRY_DELAY_SECONDS = 2.0


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
            scan_id=str(scan_id),
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
