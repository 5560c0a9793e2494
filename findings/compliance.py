"""A scan judged against compliance frameworks, per requirement the way auditors and Security
Hub score it, with the share of passing findings per framework as a secondary figure.

A requirement (a CIS recommendation, a Security Hub control) is
- PASS when its rules have evaluated findings and none of them fails,
- FAIL when any finding of its rules fails (with the failing findings beside it: one per
  resource and rule),
- NOT_EVALUATED when its rules exist but none of their findings could be evaluated: the rule was
  off in the scan, every call it needed was denied or unavailable, it sits below the severity
  floor, or the scan found no resource it checks,
- MANUAL when no rule of the catalog maps it: the framework data lists it, nobody automates it.

The score is passed / evaluated (PASS + FAIL) requirements. Muted findings count, as they do in
the overview's pass rate: a mute accepts a risk, it does not make a control pass. Rules disabled
for the scan have no findings, so their requirements are not evaluated, never passed.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from django.db import models

from findings.models import Finding
from securescope.frameworks import Framework, all_frameworks, version_mappings

# Iterating an enum class is slow, and a scan is scored over thousands of requirements.
FINDING_STATUSES = tuple(Finding.Status)


@dataclass
class ComplianceTally:
    """PASS / FAIL / NOT_EVALUATED findings of the rules mapped to a framework or section."""

    name: str
    version: str = ""
    rule_ids: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FINDING_STATUSES, 0))
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


class RequirementStatus(models.TextChoices):
    PASS = "PASS", "pass"
    FAIL = "FAIL", "fail"
    NOT_EVALUATED = "NOT_EVALUATED", "not evaluated"
    MANUAL = "MANUAL", "manual"


REQUIREMENT_STATUSES = tuple(RequirementStatus)


@dataclass
class RequirementResult:
    """One requirement of a framework version, judged by the findings of the rules mapping it."""

    id: str
    title: str
    level: int | None
    rule_ids: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FINDING_STATUSES, 0))
    # Its rules that were off in the scan, and those below the severity floor.
    disabled: list[str] = field(default_factory=list)
    below_floor: list[str] = field(default_factory=list)

    @property
    def status(self) -> RequirementStatus:
        if not self.rule_ids:
            return RequirementStatus.MANUAL
        if self.counts[Finding.Status.FAIL]:
            return RequirementStatus.FAIL
        if self.counts[Finding.Status.PASS]:
            return RequirementStatus.PASS
        return RequirementStatus.NOT_EVALUATED

    @property
    def failing(self) -> int:
        return self.counts[Finding.Status.FAIL]

    @property
    def passing(self) -> int:
        return self.counts[Finding.Status.PASS]

    @property
    def reason(self) -> str:
        """Why a requirement is not evaluated, or manual; empty otherwise."""
        status = self.status
        if status == RequirementStatus.MANUAL:
            return "no rule automates it"
        if status != RequirementStatus.NOT_EVALUATED:
            return ""
        not_evaluated = self.counts[Finding.Status.NOT_EVALUATED]
        if not_evaluated:
            return f"{not_evaluated} finding{'s' if not_evaluated != 1 else ''} not evaluated"
        active = set(self.rule_ids) - set(self.disabled) - set(self.below_floor)
        if not active and self.disabled:
            return "rule off in this scan" if len(self.rule_ids) == 1 else "rules off in this scan"
        if not active:
            return "below the severity floor"
        return "no resource its rules check"


def _counted(requirements: Iterable[RequirementResult]) -> dict[RequirementStatus, int]:
    counts = dict.fromkeys(REQUIREMENT_STATUSES, 0)
    for requirement in requirements:
        counts[requirement.status] += 1
    return counts


@dataclass
class StatusCounts:
    """Requirements counted by status, and the score: passed / evaluated."""

    requirements: list[RequirementResult]

    @cached_property
    def counts(self) -> dict[RequirementStatus, int]:
        """Read once the requirements are all in: every figure of a score reads it."""
        return _counted(self.requirements)

    @property
    def passed(self) -> int:
        return self.counts[RequirementStatus.PASS]

    @property
    def failed(self) -> int:
        return self.counts[RequirementStatus.FAIL]

    @property
    def not_evaluated(self) -> int:
        return self.counts[RequirementStatus.NOT_EVALUATED]

    @property
    def manual(self) -> int:
        return self.counts[RequirementStatus.MANUAL]

    @property
    def evaluated(self) -> int:
        return self.passed + self.failed

    @property
    def percent(self) -> int | None:
        """Share of evaluated requirements that pass; None when none was evaluated."""
        return round(100 * self.passed / self.evaluated) if self.evaluated else None

    @property
    def failing_findings(self) -> int:
        return sum(requirement.failing for requirement in self.requirements)

    @property
    def rule_ids(self) -> list[str]:
        return sorted({rule_id for r in self.requirements for rule_id in r.rule_ids})

    @property
    def summary(self) -> str:
        """ "41 of 58 requirements pass; 6 not evaluated; 12 manual" """
        counts = self.counts
        return (
            f"{counts[RequirementStatus.PASS]} of {self.evaluated} requirement"
            f"{'s' if self.evaluated != 1 else ''} pass; "
            f"{counts[RequirementStatus.NOT_EVALUATED]} not evaluated; "
            f"{counts[RequirementStatus.MANUAL]} manual"
        )


@dataclass
class SectionScore(StatusCounts):
    """A framework's top-level section ("1 Identity and Access Management")."""

    number: str = ""
    title: str = ""


@dataclass
class FrameworkScore(StatusCounts):
    """A framework version's requirements, scored; `findings` is the secondary figure, the
    share of passing findings (resource-weighted)."""

    framework_id: str = ""
    name: str = ""
    short_name: str = ""
    version: str = ""
    findings: ComplianceTally | None = None
    # Whether the framework data gives requirements a level (CIS Level 1 / Level 2).
    has_levels: bool = False
    sections: list[SectionScore] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}" if self.version else self.name

    @property
    def short_label(self) -> str:
        return f"{self.short_name} v{self.version}" if self.version else self.short_name

    @property
    def anchor(self) -> str:
        return f"{self.framework_id}-{self.version}".strip("-").replace(".", "-")


def _mapped_requirements(
    mappings: Mapping[str, dict], registry: Mapping[str, Framework]
) -> dict[tuple[str, str], dict[str, set[str]]]:
    """(framework, version) -> requirement id -> the rules mapping it."""
    mapped: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for rule_id, compliance in mappings.items():
        for framework_id, mapping in (compliance or {}).items():
            framework = registry.get(framework_id)
            if framework is None or not mapping:
                continue
            # A rule maps one version as a mapping, or several as a list of them.
            pairs = version_mappings(mapping) if framework.versioned else [("", mapping)]
            for version, requirement_ids in pairs:
                for requirement_id in requirement_ids:
                    mapped[framework_id, version][str(requirement_id)].add(rule_id)
    return mapped


def framework_scores(
    per_rule: Mapping[str, Mapping[str, int]],
    mappings: Mapping[str, dict],
    *,
    disabled: Iterable[str] = (),
    below_floor: Iterable[str] = (),
    level: int | None = None,
) -> list[FrameworkScore]:
    """Every framework version some rule maps to, its requirements judged by `per_rule` (status
    counts per rule); `mappings` holds every rule's mapping, evaluated or not. `level` keeps
    the requirements of that CIS level where the framework data gives levels."""
    registry = {framework.id: framework for framework in all_frameworks()}
    disabled, below_floor = set(disabled), set(below_floor)
    evaluated_mappings = {rule_id: mappings[rule_id] for rule_id in per_rule if rule_id in mappings}
    secondary = {
        (tally.name, tally.version): tally
        for tally in compliance_tallies(per_rule, evaluated_mappings)
    }
    scores = []
    for (framework_id, version), mapped in _mapped_requirements(mappings, registry).items():
        framework = registry[framework_id]
        data = framework.versions.get(version)
        known = dict(data.requirements) if data else {}
        ids = list(known) + sorted(set(mapped) - set(known), key=_section_key)
        has_levels = any(requirement.level for requirement in known.values())
        requirements = []
        for requirement_id in ids:
            described = known.get(requirement_id)
            requirement_level = described.level if described else None
            if level and has_levels and requirement_level != level:
                continue
            rule_ids = sorted(mapped.get(requirement_id, ()))
            result = RequirementResult(
                id=requirement_id,
                title=described.title if described else "",
                level=requirement_level,
                rule_ids=rule_ids,
                disabled=sorted(disabled.intersection(rule_ids)),
                below_floor=sorted(below_floor.intersection(rule_ids)),
            )
            for rule_id in rule_ids:
                for status, count in per_rule.get(rule_id, {}).items():
                    result.counts[status] += count
            requirements.append(result)
        sections: dict[str, SectionScore] = {}
        for requirement in requirements:
            # Controls without framework data group by service: EC2.13 under "EC2".
            number, title = (
                data.heading(requirement.id) if data else (requirement.id.split(".")[0], "")
            )
            if number not in sections:
                sections[number] = SectionScore([], number=number, title=title)
            sections[number].requirements.append(requirement)
        scores.append(
            FrameworkScore(
                requirements,
                framework_id=framework_id,
                name=framework.label,
                short_name=framework.short_label,
                version=version,
                findings=secondary.get((framework.label, version)),
                has_levels=has_levels,
                sections=list(sections.values()),
            )
        )
    order = list(registry)
    return sorted(
        scores, key=lambda s: (order.index(s.framework_id), _section_key(s.version or "0"))
    )
