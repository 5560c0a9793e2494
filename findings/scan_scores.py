"""A scan's frameworks scored per requirement, from its stored tallies or counted live.

A closed scan's scores never change: its tallies, rule settings and stored mappings are fixed
when it closes, and mutes do not move them (a mute accepts a risk, it does not make a control
pass). The overview scores the last ten scans of every account on each request, so a process
keeps the scores of the closed scans it scored last, for the catalog it scored them with.
"""

import threading
import uuid
from collections import defaultdict
from collections.abc import Callable

from django.db.models import Count, Min

from findings.compliance import FINDING_STATUSES, FrameworkScore, framework_scores
from findings.models import Finding
from findings.tallies import Tally, closed_scan_tallies, stored_tallies_by_scan
from rules.loading import load_catalog
from rules.schema import Catalog
from scans.models import Scan
from securescope.recent import RecentlyUsed

CLOSED_SCAN_SCORES_KEPT = 64


class _ClosedScanScores:
    """The scores of the closed scans scored last, dropped whole when the catalog is parsed
    again (a rule's mapping may have changed)."""

    def __init__(self) -> None:
        self.catalog: Catalog | None = None
        self.scores: RecentlyUsed[tuple, list[FrameworkScore]] = RecentlyUsed(
            CLOSED_SCAN_SCORES_KEPT
        )
        self.lock = threading.Lock()

    def get(self, catalog: Catalog, key: tuple) -> list[FrameworkScore] | None:
        with self.lock:
            if self.catalog is not catalog:
                self.catalog = catalog
                self.scores.clear()
        return self.scores.get(key)

    def put(self, catalog: Catalog, key: tuple, scores: list[FrameworkScore]) -> None:
        if self.catalog is catalog:
            self.scores.put(key, scores)


_closed_scan_scores = _ClosedScanScores()


def _scan_tallies(scan: Scan) -> list[Tally]:
    """The scan's tallies, stored when it closed, or counted from its findings."""
    if scan.is_finished and scan.finding_counts:
        return closed_scan_tallies(scan=scan)
    rows = (
        Finding.objects.filter(scan_id=scan.id)
        .values("rule_id", "region", "status", "severity", "resource_type")
        .annotate(count=Count("id"), first=Min("id"))
        .order_by()
    )
    examples = {row["rule_id"]: row["first"] for row in rows}
    mappings = dict(
        Finding.objects.filter(id__in=examples.values()).values_list("rule_id", "compliance")
    )
    return [
        Tally(
            rule_id=row["rule_id"],
            region=row["region"],
            status=row["status"],
            severity=row["severity"],
            title="",
            service="",
            resource_type=row["resource_type"],
            compliance=mappings.get(row["rule_id"], {}),
            count=row["count"],
            new_count=0,
            compared_with=None,
        )
        for row in rows
    ]


def compliance_scores(
    *,
    scan: Scan,
    severities: list[str] | None = None,
    level: int | None = None,
    tallies: list[Tally] | None = None,
    excluded: Callable[[Tally], bool] | None = None,
) -> list[FrameworkScore]:
    """The scan's frameworks scored per requirement. `severities`: the severity floor;
    `tallies`: the scan's, when the caller read them; `excluded`: tallies left out (a diff's
    regions that cannot be compared)."""
    catalog = load_catalog()
    if excluded is not None or not (scan.is_finished and scan.finding_counts):
        return _scores(scan, catalog, severities, level, tallies, excluded)
    key = (scan.id, None if severities is None else tuple(sorted(severities)), level)
    scores = _closed_scan_scores.get(catalog, key)
    if scores is None:
        scores = _scores(scan, catalog, severities, level, tallies, None)
        _closed_scan_scores.put(catalog, key, scores)
    return list(scores)


def closed_scans_scores(
    *, scans: list[Scan], severities: list[str] | None = None
) -> dict[uuid.UUID, list[FrameworkScore]]:
    """compliance_scores of several closed scans, with one query for the tallies of those this
    process has not scored yet."""
    catalog = load_catalog()
    key = None if severities is None else tuple(sorted(severities))
    scores = {}
    for scan in scans:
        kept = _closed_scan_scores.get(catalog, (scan.id, key, None))
        if kept is not None:
            scores[scan.id] = list(kept)
    missing = [scan for scan in scans if scan.id not in scores]
    tallies = stored_tallies_by_scan(scan_ids=[scan.id for scan in missing]) if missing else {}
    for scan in missing:
        scores[scan.id] = compliance_scores(
            scan=scan, severities=severities, tallies=tallies[scan.id]
        )
    return scores


def _scores(
    scan: Scan,
    catalog: Catalog,
    severities: list[str] | None,
    level: int | None,
    tallies: list[Tally] | None,
    excluded: Callable[[Tally], bool] | None,
) -> list[FrameworkScore]:
    tallies = _scan_tallies(scan) if tallies is None else tallies
    settings = scan.rule_settings or {}
    overrides = settings.get("severity_overrides", {})
    severity = {rule.id: overrides.get(rule.id, rule.severity) for rule in catalog.rules}
    mappings = {rule.id: rule.compliance for rule in catalog.rules}
    per_rule: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FINDING_STATUSES, 0))
    for tally in tallies:
        # The mapping and severity the scan stored win over today's catalog.
        mappings[tally.rule_id] = tally.compliance
        severity[tally.rule_id] = tally.severity
        if excluded is not None and excluded(tally):
            continue
        if severities is None or tally.severity in severities:
            per_rule[tally.rule_id][tally.status] += tally.count
    below_floor = (
        [rule_id for rule_id, value in severity.items() if value not in severities]
        if severities is not None
        else []
    )
    return framework_scores(
        per_rule,
        mappings,
        disabled=settings.get("disabled", []),
        below_floor=below_floor,
        level=level,
    )
