import hashlib
import json
import time
from collections.abc import Iterable
from datetime import UTC, date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction

from findings.columns import JSON_COLUMNS, STORED_COLUMNS
from findings.identifiers import identifiers_encrypted, identities_store
from findings.models import Finding, Mute
from rules.engine import Evaluation
from scans.lifecycle.hooks import StoreResult
from securescope.models import AuditEvent
from securescope.privacy import redact_evidence, resource_hash
from securescope.resources import Resource
from securescope.services import audit_record

BATCH_SIZE = 1000
COLUMN_NAMES = ", ".join(STORED_COLUMNS)


def finding_fingerprint(*, rule_id: str, resource_hash: str, region: str) -> str:
    """Stable across scans of one account, so scans can be compared."""
    return hashlib.sha256(f"{rule_id}|{resource_hash}|{region}".encode()).hexdigest()


def _row(scan_id: object, evaluation: Evaluation) -> tuple:
    """A finding as a row of STORED_COLUMNS."""
    rule, resource = evaluation.rule, evaluation.resource
    hashed = resource_hash(resource.arn)
    return (
        scan_id,
        rule.id,
        rule.title,
        rule.service,
        rule.severity,
        evaluation.result.status,
        resource.region,
        resource.type,
        hashed,
        redact_evidence(evaluation.result.evidence),
        rule.compliance,
        finding_fingerprint(rule_id=rule.id, resource_hash=hashed, region=resource.region),
    )


def _with_json_text(row: tuple) -> list:
    return [
        json.dumps(value) if name in JSON_COLUMNS else value
        for name, value in zip(STORED_COLUMNS, row, strict=True)
    ]


def _copy(rows: list[tuple]) -> None:
    """PostgreSQL's COPY, with psycopg formatting the rows in C."""
    statement = f"COPY {Finding._meta.db_table} ({COLUMN_NAMES}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(_with_json_text(row))


def _insert(rows: list[tuple]) -> None:
    """Other databases (SQLite when embedded): one executemany of plain rows."""
    scan_field = Finding._meta.get_field("scan")
    placeholders = ", ".join(["%s"] * len(STORED_COLUMNS))
    # Only constant names in the text; the values travel as parameters.
    statement = f"INSERT INTO {Finding._meta.db_table} ({COLUMN_NAMES}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(
            statement,
            [
                [scan_field.get_db_prep_save(row[0], connection), *_with_json_text(row)[1:]]
                for row in rows
            ],
        )


def _write(rows: list[tuple]) -> None:
    # Not bulk_create: it builds a model per row and prepares every value in Python, and on
    # PostgreSQL escapes each value of its INSERT ... UNNEST arrays in Python too. These write
    # about twice (PostgreSQL) and 2.5 times (SQLite) as many findings per second (BENCHMARKS.md).
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _copy(rows)
        else:
            _insert(rows)


def findings_store(*, scan_id: object, evaluations: Iterable[Evaluation]) -> StoreResult:
    """Write the evaluations as findings in batches of BATCH_SIZE.

    Each batch is a savepoint inside the caller's transaction, not a transaction of its own: a
    scan unit stores its findings and its end in one transaction
    (scans.lifecycle.services._unit_store), so a unit has all its findings or none, and the
    batches commit together.
    """
    result = StoreResult()
    batch: list[tuple] = []
    status_at = STORED_COLUMNS.index("status")
    # RESOURCE_IDENTIFIERS=encrypted: the identities of the resources found, stored alongside.
    identified: dict[str, Resource] | None = {} if identifiers_encrypted() else None

    def flush() -> None:
        started = time.perf_counter()
        _write(batch)
        result.write_seconds += time.perf_counter() - started
        batch.clear()

    for evaluation in evaluations:
        row = _row(scan_id, evaluation)
        batch.append(row)
        result.stored += 1
        result.failed += row[status_at] == Finding.Status.FAIL
        resource = evaluation.resource
        if identified is not None and not resource.not_collected:
            identified.setdefault(resource.arn, resource)
        if len(batch) >= BATCH_SIZE:
            flush()
    if batch:
        flush()
    if identified:
        identities_store(scan_id=str(scan_id), resources=identified.values())
    return result


@transaction.atomic
def mute_create(
    *,
    finding: Finding,
    whole_rule: bool,
    justification: str,
    owner: AbstractBaseUser,
    expires_on: date,
    user: AbstractBaseUser,
) -> Mute:
    """Mute one finding's fingerprint, or its whole rule, in the finding's account."""
    expires_at = datetime.combine(expires_on, datetime.max.time(), tzinfo=UTC)
    mute = Mute.objects.create(
        account_hash=finding.scan.account_hash,
        account_label=finding.scan.account_label,
        rule_id=finding.rule_id,
        fingerprint="" if whole_rule else finding.fingerprint,
        justification=justification,
        owner=owner,
        expires_at=expires_at,
        created_by=user,
    )
    audit_record(
        actor=user,
        action=AuditEvent.Action.MUTE_CREATED,
        target=f"mute {mute.id}",
        detail={
            "account": mute.account_label,
            "rule_id": mute.rule_id,
            "fingerprint": mute.fingerprint,
            "owner": owner.get_username(),
            "expires_at": expires_at.isoformat(),
            "justification": justification,
        },
    )
    return mute


@transaction.atomic
def mute_delete(*, mute: Mute, user: AbstractBaseUser) -> None:
    audit_record(
        actor=user,
        action=AuditEvent.Action.MUTE_DELETED,
        target=f"mute {mute.id}",
        detail={
            "account": mute.account_label,
            "rule_id": mute.rule_id,
            "fingerprint": mute.fingerprint,
        },
    )
    mute.delete()
