import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass

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


@dataclass
class StoreResult:
    stored: int = 0
    failed: int = 0
    # Time spent in the database writes alone, for the scan's timings (bench/scan.py reads it).
    write_seconds: float = 0.0


def findings_store(*, scan_id: object, evaluations: Iterable[Evaluation]) -> StoreResult:
    """Write the evaluations as findings in batches of BATCH_SIZE, one transaction each."""
    result = StoreResult()
    batch: list[Finding] = []

    def flush() -> None:
        started = time.perf_counter()
        with transaction.atomic():
            Finding.objects.bulk_create(batch, batch_size=BATCH_SIZE)
        result.write_seconds += time.perf_counter() - started
        batch.clear()

    for evaluation in evaluations:
        finding = _finding(scan_id, evaluation)
        batch.append(finding)
        result.stored += 1
        result.failed += finding.status == Finding.Status.FAIL
        if len(batch) >= BATCH_SIZE:
            flush()
    if batch:
        flush()
    return result
