import hashlib
from collections.abc import Iterable

from django.db import transaction

from findings.models import Finding
from rules.engine import Evaluation
from securescope.privacy import redact_evidence, resource_hash

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
