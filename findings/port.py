"""The findings store as the scan lifecycle sees it (scans.lifecycle.hooks.FindingsPort)."""

from collections.abc import Iterable, Iterator

from findings.models import Finding
from findings.selectors import finding_counts
from findings.services import findings_store
from rules.engine import Evaluation
from scans.lifecycle.hooks import FailingFinding, StoreResult


class StoredFindings:
    def store(self, *, scan_id: object, evaluations: Iterable[Evaluation]) -> StoreResult:
        return findings_store(scan_id=scan_id, evaluations=evaluations)

    def counts(self, *, scan_id: object) -> dict[str, dict[str, int]]:
        return finding_counts(scan_id=scan_id)

    def failing(self, *, scan_id: object) -> Iterator[FailingFinding]:
        rows = Finding.objects.filter(scan_id=scan_id, status=Finding.Status.FAIL).values_list(
            "rule_id", "severity", "evidence"
        )
        for rule_id, severity, evidence in rows.iterator(chunk_size=5000):
            yield FailingFinding(rule_id=rule_id, severity=severity, evidence=evidence)
