import hashlib
import json
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Count, Exists, Min, OuterRef

from findings.columns import JSON_COLUMNS, STORED_COLUMNS
from findings.identifiers import identifiers_encrypted, identities_store
from findings.models import Finding, FindingTally, Mute
from findings.selectors import previous_scan
from findings.tallies import closed_scan_tallies_forget
from rules.engine import Evaluation
from scans.lifecycle.hooks import StoreResult
from scans.models import Scan
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
        evaluation.result.severity or rule.severity,
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
    (scans.lifecycle.units._unit_store), so a unit has all its findings or none, and the
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


TALLY_KEY = ("rule_id", "region", "status", "severity")


@transaction.atomic
def finding_tallies_store(*, scan_id: uuid.UUID | str) -> int:
    """Count a closing scan's findings by rule, region, status and severity (FindingTally),
    with the failing ones new since the account's previous succeeded scan, which are marked
    `is_new`; returns the rows."""
    scan = Scan.objects.get(id=scan_id)
    FindingTally.objects.filter(scan_id=scan.id).delete()
    closed_scan_tallies_forget(scan_id=scan.id)
    previous = previous_scan(scan=scan)
    findings = Finding.objects.filter(scan_id=scan.id)
    counts = list(
        findings.values(*TALLY_KEY).annotate(count=Count("*"), first=Min("id")).order_by()
    )
    new: dict[tuple, int] = {}
    findings.filter(is_new=True).update(is_new=False)
    if previous is not None:
        failed_before = Finding.objects.filter(
            scan_id=previous.id, fingerprint=OuterRef("fingerprint"), status=Finding.Status.FAIL
        )
        findings.filter(status=Finding.Status.FAIL).exclude(Exists(failed_before)).update(
            is_new=True
        )
        for row in (
            findings.filter(is_new=True).values(*TALLY_KEY).annotate(count=Count("*")).order_by()
        ):
            new[tuple(row[name] for name in TALLY_KEY)] = row["count"]
    rules = {
        row["rule_id"]: row
        for row in Finding.objects.filter(id__in=[row["first"] for row in counts]).values(
            "rule_id", "title", "service", "resource_type", "compliance"
        )
    }
    tallies = FindingTally.objects.bulk_create(
        FindingTally(
            scan_id=scan.id,
            **{name: row[name] for name in TALLY_KEY},
            **{name: rules[row["rule_id"]][name] for name in ("title", "service", "resource_type")},
            compliance=rules[row["rule_id"]]["compliance"],
            count=row["count"],
            new_count=new.get(tuple(row[name] for name in TALLY_KEY), 0),
            compared_with=previous.id if previous else None,
        )
        for row in counts
    )
    return len(tallies)


def finding_tallies_on_scan_closed(*, scan_id: uuid.UUID, **_signal: object) -> None:
    """scan_closed receiver: inside the closing transaction, so the tallies and the scan's
    final status are seen together."""
    finding_tallies_store(scan_id=scan_id)


def _mute_add(
    *,
    scan: Scan,
    rule_id: str,
    fingerprint: str,
    justification: str,
    owner: AbstractBaseUser,
    expires_on: date,
    user: AbstractBaseUser,
) -> Mute:
    expires_at = datetime.combine(expires_on, datetime.max.time(), tzinfo=UTC)
    mute = Mute.objects.create(
        account_hash=scan.account_hash,
        account_label=scan.account_label,
        rule_id=rule_id,
        fingerprint=fingerprint,
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
        },
    )
    return mute


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
    return _mute_add(
        scan=finding.scan,
        rule_id=finding.rule_id,
        fingerprint="" if whole_rule else finding.fingerprint,
        justification=justification,
        owner=owner,
        expires_on=expires_on,
        user=user,
    )


# Mutes are few and written by people: every active one is part of each findings query. A
# larger selection is muted rule by rule.
BULK_MUTE_LIMIT = 500


@transaction.atomic
def mute_bulk_create(
    *,
    scan: Scan,
    targets: list[tuple[str, str]],
    justification: str,
    owner: AbstractBaseUser,
    expires_on: date,
    user: AbstractBaseUser,
) -> list[Mute]:
    """Mute many findings of one scan's account at once, with one justification, owner and
    expiry: each target is (rule id, fingerprint), or (rule id, "") for the whole rule. Each
    mute is audited as a single one would be."""
    if len(targets) > BULK_MUTE_LIMIT:
        raise ValueError(f"at most {BULK_MUTE_LIMIT} mutes at once")
    return [
        _mute_add(
            scan=scan,
            rule_id=rule_id,
            fingerprint=fingerprint,
            justification=justification,
            owner=owner,
            expires_on=expires_on,
            user=user,
        )
        for rule_id, fingerprint in dict.fromkeys(targets)
    ]


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
