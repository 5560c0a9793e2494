import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, time

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from findings.models import Finding, Mute
from rules.engine import Evaluation
from securescope.models import AuditEvent
from securescope.privacy import redact_evidence, resource_hash
from securescope.services import audit_record

BATCH_SIZE = 1000


def finding_fingerprint(*, rule_id: str, resource_hash: str, region: str) -> str:
    """Stable across scans of one account, so scans can be compared."""
    return hashlib.sha256(f"{rule_id}|{resource_hash}|{region}".encode()).hexdigest()


def _finding(scan_id: object, evaluation: Evaluation) -> Finding:
    rule, resource = evaluation.rule, evaluation.resource
    hashed = resource_hash(resource.arn)
    return Finding(
        scan_id=scan_id,
        rule_id=rule.id,
        title=rule.title,
        service=rule.service,
        severity=rule.severity,
        status=evaluation.result.status,
        region=resource.region,
        resource_type=resource.type,
        resource_hash=hashed,
        evidence=redact_evidence(evaluation.result.evidence),
        compliance=rule.compliance,
        fingerprint=finding_fingerprint(
            rule_id=rule.id, resource_hash=hashed, region=resource.region
        ),
    )


def findings_store(*, scan_id: object, evaluations: Iterable[Evaluation]) -> tuple[int, int]:
    """Write the evaluations as findings in batches; returns (stored, failed)."""
    stored = failed = 0
    batch: list[Finding] = []

    def flush() -> None:
        with transaction.atomic():
            Finding.objects.bulk_create(batch, batch_size=BATCH_SIZE)
        batch.clear()

    for evaluation in evaluations:
        finding = _finding(scan_id, evaluation)
        batch.append(finding)
        stored += 1
        failed += finding.status == Finding.Status.FAIL
        if len(batch) >= BATCH_SIZE:
            flush()
    if batch:
        flush()
    return stored, failed


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
    expires_at = datetime.combine(expires_on, time.max, tzinfo=UTC)
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
