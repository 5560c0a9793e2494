"""A scan's results tallied by compliance framework and section."""

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Count, Min

from findings.models import Finding, FindingTally
from scans.models import Scan
from securescope.frameworks import all_frameworks, version_mappings


@dataclass
class ComplianceTally:
    """PASS / FAIL / NOT_EVALUATED findings of the rules mapped to a framework or section."""

    name: str
    version: str = ""
    rule_ids: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Finding.Status, 0))
    sections: list["ComplianceTally"] = field(default_factory=list)

    @property
    def sorted_rule_ids(self) -> list[str]:
        return sorted(self.rule_ids)

    @property
    def passed(self) -> int:
        return self.counts[Finding.Status.PASS]

    @property
    def failed(self) -> int:
        return self.counts[Finding.Status.FAIL]

    @property
    def not_evaluated(self) -> int:
        return self.counts[Finding.Status.NOT_EVALUATED]

    @property
    def percent(self) -> int | None:
        """Share of evaluated findings that pass; None when nothing could be evaluated."""
        decided = self.passed + self.failed
        return round(100 * self.passed / decided) if decided else None

    def add(self, rule_id: str, counts: Mapping[str, int]) -> None:
        self.rule_ids.add(rule_id)
        for status, count in counts.items():
            self.counts[status] += count


def _section_key(section: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in section.split("."))


def _counted_per_rule(
    scan_id: uuid.UUID, severities: list[str] | None, tallied: bool
) -> tuple[dict[str, dict[str, int]], dict[str, dict]]:
    """Status counts and compliance mapping per rule, from the tallies stored when the scan
    closed (one query), or from its findings (two)."""
    per_rule: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(Finding.Status, 0))
    mappings: dict[str, dict] = {}
    tallies = FindingTally.objects.filter(scan_id=scan_id)
    if severities is not None:
        tallies = tallies.filter(severity__in=severities)
    for rule_id, status, count, compliance in (
        tallies.values_list("rule_id", "status", "count", "compliance") if tallied else ()
    ):
        per_rule[rule_id][status] += count
        mappings.setdefault(rule_id, compliance)
    if per_rule:
        return per_rule, mappings
    first_finding = {}
    findings = Finding.objects.filter(scan_id=scan_id)
    if severities is not None:
        findings = findings.filter(severity__in=severities)
    for row in (
        findings.values("rule_id", "status").annotate(count=Count("id"), first=Min("id")).order_by()
    ):
        per_rule[row["rule_id"]][row["status"]] = row["count"]
        first_finding.setdefault(row["rule_id"], row["first"])
    mappings = dict(
        Finding.objects.filter(id__in=first_finding.values()).values_list("rule_id", "compliance")
    )
    return per_rule, mappings


def compliance_summary(*, scan: Scan, severities: list[str] | None = None) -> list[ComplianceTally]:
    """Results of one scan grouped by framework and section; only the rules of `severities`
    when given (the global severity floor). Rules switched off for the scan have no findings,
    so percentages are over the rules it evaluated."""
    # A scan stores its tallies with its counts, when it closes.
    return compliance_tallies(*_counted_per_rule(scan.id, severities, bool(scan.finding_counts)))


def compliance_tallies(
    per_rule: Mapping[str, Mapping[str, int]], mappings: Mapping[str, dict]
) -> list[ComplianceTally]:
    """Status counts per rule, grouped by the frameworks and sections the rules map to."""
    # A framework in two versions (CIS v3.0.0 and v5.0.0, say) is two tallies.
    frameworks: dict[tuple[str, str], ComplianceTally] = {}
    sections: dict[tuple[str, str, str], ComplianceTally] = {}
    registry = {framework.id: framework for framework in all_frameworks()}
    for rule_id, counts in per_rule.items():
        for framework, mapping in mappings.get(rule_id, {}).items():
            if framework not in registry:
                continue
            versioned = registry[framework].versioned
            for version, names in version_mappings(mapping) if versioned else [("", mapping)]:
                if not names:
                    continue
                tally = frameworks.setdefault(
                    (framework, version), ComplianceTally(registry[framework].label, version)
                )
                tally.add(rule_id, counts)
                for name in names:
                    section = sections.get((framework, version, name))
                    if section is None:
                        section = sections[framework, version, name] = ComplianceTally(name)
                        tally.sections.append(section)
                    section.add(rule_id, counts)
    order = list(registry)
    ordered = sorted(
        frameworks.items(), key=lambda item: (order.index(item[0][0]), _section_key(item[0][1]))
    )
    for _, tally in ordered:
        tally.sections.sort(key=lambda section: _section_key(section.name))
    return [tally for _, tally in ordered]
