"""A scan's findings counted by rule: from the tallies stored when it closed, or counted live.

Every count here is `finding_list(scan=scan, **filters).count()` split by rule, region, status
and severity, with the active mutes subtracted unless the filters ask for muted findings: the
overview, the findings page's rule groups and totals, and the scan page read it. A closed scan
answers from its few hundred FindingTally rows, which a process reads once, plus one small
query for its muted findings; a running scan, or a filter the tallies cannot answer
("resolved"), counts the findings, a running scan once per unit that ends.
"""

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import Count, Min, QuerySet, TextField
from django.db.models.functions import Cast

from findings.comparison import scan_comparison
from findings.models import Finding, FindingTally
from findings.selectors import (
    AccountMutes,
    Change,
    MutedFilter,
    account_mutes,
    finding_list,
    previous_scan,
)
from scans.models import Scan, ScanRegion
from securescope.frameworks import mapped_sections
from securescope.recent import RecentlyUsed
from securescope.severity import Severity

# (rule_id, region, status, severity): the finest count kept.
Key = tuple[str, str, str, str]
KEY_FIELDS = ("rule_id", "region", "status", "severity")
# The change filters the stored tallies answer; "resolved" lists the previous scan's findings.
TALLY_CHANGES = ("", Change.NEW, Change.UNCHANGED)


@dataclass(frozen=True, slots=True)
class Tally:
    """A FindingTally row as plain values: pages read hundreds of them per request."""

    rule_id: str
    region: str
    status: str
    severity: str
    title: str
    service: str
    resource_type: str
    compliance: dict[str, Any]
    count: int
    new_count: int
    compared_with: Any


TALLY_FIELDS = tuple(Tally.__dataclass_fields__)
COMPLIANCE_INDEX = TALLY_FIELDS.index("compliance")


def _tally_rows(tallies: QuerySet[FindingTally], *leading: str) -> Iterator[tuple]:
    """Tally rows with their compliance mapping decoded once per distinct text: a scan's
    tallies repeat each rule's mapping once per region, status and severity, and decoding the
    same JSON hundreds of times was most of the cost of reading them."""
    fields = [*leading, *TALLY_FIELDS]
    position = len(leading) + COMPLIANCE_INDEX
    fields[position] = "compliance_text"
    decoded: dict[str, dict[str, Any]] = {}
    rows = tallies.annotate(compliance_text=Cast("compliance", TextField())).values_list(*fields)
    for row in rows:
        text = row[position]
        if text not in decoded:
            decoded[text] = json.loads(text)
        yield (*row[:position], decoded[text], *row[position + 1 :])


def stored_tallies(*, scan_id: uuid.UUID) -> list[Tally]:
    return [Tally(*row) for row in _tally_rows(FindingTally.objects.filter(scan_id=scan_id))]


# A closed scan's tallies are written once, in the transaction that closes it, and every view of
# its findings reads them on every request: a process keeps those of the scans it read last.
CLOSED_SCANS_TALLIES_KEPT = 16
_closed_scans_tallies: RecentlyUsed[uuid.UUID, tuple[Tally, ...]] = RecentlyUsed(
    CLOSED_SCANS_TALLIES_KEPT
)


def closed_scan_tallies(*, scan: Scan) -> list[Tally]:
    """stored_tallies of a closed scan, read once per process."""
    tallies = _closed_scans_tallies.get(scan.id)
    if tallies is None:
        tallies = tuple(stored_tallies(scan_id=scan.id))
        _closed_scans_tallies.put(scan.id, tallies)
    return list(tallies)


def closed_scan_tallies_forget(*, scan_id: uuid.UUID) -> None:
    """For a scan whose tallies are being written again."""
    _closed_scans_tallies.discard(scan_id)


# Counts of running scans (ScanCounts._kept): a scan page polled while a big scan runs counts
# its findings once per unit that ends, not once per request.
RUNNING_SCANS_COUNTS_KEPT = 16
_running_scans_counts: RecentlyUsed[tuple, tuple[Counter, dict[str, int]]] = RecentlyUsed(
    RUNNING_SCANS_COUNTS_KEPT
)


def stored_tallies_by_scan(*, scan_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Tally]]:
    """The tallies of several scans, in one query."""
    by_scan: dict[uuid.UUID, list[Tally]] = {scan_id: [] for scan_id in scan_ids}
    rows = _tally_rows(FindingTally.objects.filter(scan_id__in=scan_ids), "scan_id")
    for scan_id, *values in rows:
        by_scan[scan_id].append(Tally(*values))
    return by_scan


@dataclass
class RuleGroup:
    """One rule's findings under the page's filters, counted by status."""

    rule_id: str
    title: str
    severity: str
    counts: Counter = field(default_factory=Counter)
    compliance: dict[str, Any] = field(default_factory=dict)

    @property
    def failing(self) -> int:
        return self.counts[Finding.Status.FAIL]

    @property
    def passing(self) -> int:
        return self.counts[Finding.Status.PASS]

    @property
    def not_evaluated(self) -> int:
        return self.counts[Finding.Status.NOT_EVALUATED]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _matches(tally: Tally, filters: dict[str, Any]) -> bool:
    """finding_list's filters on one tally row: a title search and a compliance section read
    the rule's title and mapping as the scan stored them."""
    severities, status = filters.get("severities"), filters.get("status")
    if severities is not None and tally.severity not in severities:
        return False
    if status and tally.status != status:
        return False
    if filters.get("rule_ids") and tally.rule_id not in filters["rule_ids"]:
        return False
    for name in ("service", "region", "resource_type"):
        if filters.get(name) and getattr(tally, name) != filters[name]:
            return False
    if filters.get("search") and filters["search"].casefold() not in tally.title.casefold():
        return False
    if filters.get("section"):
        framework, _, number = filters["section"].partition(":")
        if number not in mapped_sections(tally.compliance.get(framework)):
            return False
    return True


def by_severity(counts: dict[Key, int]) -> dict[str, int]:
    totals = dict.fromkeys(Severity.values, 0)
    for (_, _, _, severity), count in counts.items():
        totals[severity] += count
    return totals


class ScanCounts:
    """Counts of one scan's findings under one set of finding_list filters. Each query runs
    once per instance, however many counts are asked of it."""

    def __init__(
        self,
        scan: Scan,
        filters: dict[str, Any],
        *,
        stored: list[Tally] | None = None,
        mutes: AccountMutes | None = None,
    ) -> None:
        """`stored` and `mutes`: the scan's tallies and its account's mutes, when the caller
        read them already."""
        self.scan = scan
        self.filters = {name: value for name, value in filters.items() if name != "sort"}
        self.change = self.filters.get("change", "")
        self.muted = self.filters.get("muted", MutedFilter.HIDE)
        self._stored = stored
        self._mutes = mutes
        self._memo: dict[tuple[str, str], Counter] = {}
        self._descriptions: dict[str, tuple[str, dict]] = {}
        # A finding id of each rule met while counting live: describe() reads the rule from it.
        self._examples: dict[str, int] = {}

    @cached_property
    def mutes(self) -> AccountMutes:
        return self._mutes or account_mutes(account_hash=self.scan.account_hash)

    @cached_property
    def stored(self) -> list[Tally]:
        """Every tally the scan stored when it closed (none while it runs)."""
        if self._stored is not None:
            return self._stored
        # Tallies are written with the scan's counts, in the transaction that closes it.
        if not (self.scan.is_finished and self.scan.finding_counts):
            return []
        return closed_scan_tallies(scan=self.scan)

    @cached_property
    def tallies(self) -> list[Tally] | None:
        """The stored tallies the filters' change allows, or None when findings must be
        counted: a running scan, one that closed before tallies were kept, or "resolved"."""
        if not self.scan.is_finished or self.change not in TALLY_CHANGES:
            return None
        rows = self.stored
        if not rows and (
            not self.scan.finding_counts
            or any(sum(by_severity.values()) for by_severity in self.scan.finding_counts.values())
        ):
            return None
        if self.change and rows:
            previous = previous_scan(scan=self.scan)
            if rows[0].compared_with != (previous.id if previous else None):
                return None  # the previous scan changed since (deleted, or closed later)
            if previous is not None:
                comparison = scan_comparison(base=previous, head=self.scan)
                rows = [
                    row
                    for row in rows
                    if not comparison.excludes(
                        rule_id=row.rule_id, region=row.region, resource_type=row.resource_type
                    )
                ]
        return rows

    def _tally_count(self, tally: Tally) -> int:
        if self.change == Change.NEW:
            return tally.new_count
        if self.change == Change.UNCHANGED:
            return tally.count - tally.new_count if tally.status == Finding.Status.FAIL else 0
        return tally.count

    def _once(self, kind: str, filters: dict[str, Any], count) -> Counter:
        memo = (kind, repr(sorted(filters.items())))
        if memo not in self._memo:
            self._memo[memo] = self._kept(memo, filters, count)
        return self._memo[memo]

    @cached_property
    def _units_state(self) -> tuple:
        """What a running scan's findings are a function of: a unit stores its findings in
        the transaction that ends it (scans.lifecycle.units), so they change only when a
        unit's row does."""
        return tuple(
            ScanRegion.objects.filter(scan_id=self.scan.id)
            .order_by("id")
            .values_list("id", "status", "findings_count", "finished_at")
        )

    def _kept(self, memo: tuple[str, str], filters: dict[str, Any], count) -> Counter:
        """A running scan's counts, kept by the process until one of its units ends; every
        other count is counted. A change filter depends on the previous scan, which can
        change while this one runs, so it is counted too."""
        if self.scan.is_finished or filters.get("change"):
            return count()
        key = (self.scan.id, self._units_state, memo, repr(self.mutes.condition))
        kept = _running_scans_counts.get(key)
        if kept is None:
            kept = (count(), dict(self._examples))
            _running_scans_counts.put(key, kept)
        for rule_id, example in kept[1].items():
            self._examples.setdefault(rule_id, example)
        return Counter(kept[0])

    def muted_by_key(self, filters: dict[str, Any] | None = None) -> Counter:
        """Findings under `filters` that active mutes cover; empty when the account has none."""
        filters = self.filters if filters is None else filters
        if self.mutes.condition is None:
            return Counter()
        return self._once(
            "muted",
            filters,
            lambda: self._counted({**filters, "muted": MutedFilter.ONLY}),
        )

    def by_key(self, filters: dict[str, Any] | None = None) -> dict[Key, int]:
        """Matching findings by (rule, region, status, severity), mutes applied as filtered."""
        filters = self.filters if filters is None else filters
        if self.muted == MutedFilter.ONLY:
            return dict(self.muted_by_key(filters))
        if self.tallies is None:
            return dict(self._once("counted", filters, lambda: self._counted(filters)))
        counts: Counter[Key] = Counter()
        for tally in self.tallies:
            if _matches(tally, filters):
                key = (tally.rule_id, tally.region, tally.status, tally.severity)
                counts[key] += self._tally_count(tally)
        if self.muted == MutedFilter.HIDE:
            counts.subtract(self.muted_by_key(filters))
        return {key: count for key, count in counts.items() if count > 0}

    def _counted(self, filters: dict[str, Any]) -> Counter:
        """COUNT(*) and MIN(id), so that finding_tally_order answers alone; each rule's first
        id is kept as the example that describe() reads its title and mapping from."""
        rows = (
            finding_list(scan=self.scan, **filters, mutes=self.mutes)
            .order_by()
            .values(*KEY_FIELDS)
            .annotate(count=Count("*"), example=Min("id"))
        )
        counts: Counter = Counter()
        for row in rows:
            counts[tuple(row[name] for name in KEY_FIELDS)] = row["count"]
            self._examples.setdefault(row["rule_id"], row["example"])
        return counts

    def total(self) -> int:
        return sum(self.by_key().values())

    def by_severity(self) -> dict[str, int]:
        return by_severity(self.by_key())

    def muted_by_severity(self) -> dict[str, int]:
        """The muted findings the counts leave out, by severity (zero everywhere when none)."""
        if self.muted != MutedFilter.HIDE:
            return dict.fromkeys(Severity.values, 0)
        return by_severity(self.muted_by_key())

    def rule_groups(self, counts: dict[Key, int] | None = None) -> list[RuleGroup]:
        """One group per rule with findings of the filtered status, counting every status,
        most severe first, then most findings of that status, then by rule id."""
        status = self.filters.get("status")
        if counts is None:
            counts = self.by_key({**self.filters, "status": None})
        groups: dict[str, RuleGroup] = {}
        for (rule_id, _, each_status, severity), count in counts.items():
            group = groups.get(rule_id)
            if group is None:
                group = groups[rule_id] = RuleGroup(rule_id, "", severity)
            elif Severity.rank(severity) < Severity.rank(group.severity):
                group.severity = severity
            group.counts[each_status] += count
        shown = [group for group in groups.values() if not status or group.counts[status]]
        self.describe(shown)
        return sorted(
            shown,
            key=lambda group: (
                Severity.rank(group.severity),
                -(group.counts[status] if status else group.total),
                group.rule_id,
            ),
        )

    def describe(self, groups: list[RuleGroup]) -> None:
        """Titles and compliance mappings: from the tallies, or from an example finding of
        each rule not described yet (found while counting, else with one more query)."""
        missing = [g.rule_id for g in groups if g.rule_id not in self._descriptions]
        if missing and self.tallies is not None:
            for tally in self.tallies:
                self._descriptions[tally.rule_id] = (tally.title, tally.compliance)
        elif missing:
            unseen = [rule_id for rule_id in missing if rule_id not in self._examples]
            if unseen:
                self._examples.update(
                    Finding.objects.filter(scan_id=self.scan.id, rule_id__in=unseen)
                    .values("rule_id")
                    .annotate(example=Min("id"))
                    .order_by()
                    .values_list("rule_id", "example")
                )
            examples = [self._examples[rule_id] for rule_id in missing if rule_id in self._examples]
            for rule_id, title, compliance in Finding.objects.filter(id__in=examples).values_list(
                "rule_id", "title", "compliance"
            ):
                self._descriptions[rule_id] = (title, compliance)
        for group in groups:
            group.title, group.compliance = self._descriptions.get(group.rule_id, ("", {}))

    def rule_ids_matching(self) -> list[str] | None:
        """The rules whose stored title and compliance mapping match the search and section
        filters, so finding queries filter on the indexed rule id instead of reading every
        title and mapping; None without tallies or without either filter."""
        if not (self.filters.get("search") or self.filters.get("section")) or self.tallies is None:
            return None
        only_rule = {"search": self.filters.get("search"), "section": self.filters.get("section")}
        return sorted({t.rule_id for t in self.tallies if _matches(t, only_rule)})
