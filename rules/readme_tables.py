"""The README's compliance-coverage tables: every requirement of CIS AWS Foundations v5.0.0 and
of CIS Amazon EKS v1.8.0 sections 2-5, as automated (with the rule ids that map it), manual or
not applicable (with the reason, from `rules/coverage.yaml`), and the candidate controls not
implemented. `manage.py docs_tables` writes them with the collection layer's tables
(`scans/management/readme.py` joins the two sets).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from rules.loading import load_catalog
from securescope.frameworks import get_framework, version_mappings

COVERAGE_FILE = Path(__file__).resolve().parent / "coverage.yaml"
STATUS_LABELS = {"manual": "manual", "not_applicable": "not applicable"}


@dataclass(frozen=True)
class Coverage:
    framework: str
    version: str
    # Top-level sections the table covers; empty for all of them.
    sections: tuple[str, ...]
    # Requirement id -> {"status", "reason"} for what no rule automates.
    not_automated: dict[str, dict[str, str]]


@cache
def _document() -> dict[str, Any]:
    return yaml.safe_load(COVERAGE_FILE.read_text())


def coverages() -> list[Coverage]:
    return [
        Coverage(
            framework=entry["framework"],
            version=entry["version"],
            sections=tuple(entry.get("sections") or ()),
            not_automated=entry["not_automated"],
        )
        for entry in _document()["frameworks"]
    ]


def candidates_not_implemented() -> dict[str, str]:
    return dict(_document()["candidates_not_implemented"])


def requirements_in_scope(coverage: Coverage) -> list[str]:
    framework = get_framework(coverage.framework)
    if framework is None:
        raise ValueError(f"{coverage.framework}: not in the framework registry")
    return [
        requirement_id
        for requirement_id in framework.versions[coverage.version].requirements
        if not coverage.sections or requirement_id.split(".")[0] in coverage.sections
    ]


def rules_by_requirement(coverage: Coverage) -> dict[str, list[str]]:
    """Requirement id -> the ids of the catalog's rules that map it, in catalog order."""
    mapped: dict[str, list[str]] = {}
    for rule in load_catalog().rules:
        for version, sections in version_mappings(rule.compliance.get(coverage.framework)):
            if version == coverage.version:
                for section in sections:
                    mapped.setdefault(section, []).append(rule.id)
    return mapped


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def coverage_table(coverage: Coverage) -> str:
    framework = get_framework(coverage.framework)
    assert framework is not None
    requirements = framework.versions[coverage.version].requirements
    mapped = rules_by_requirement(coverage)
    rows = ["| # | recommendation | coverage | rules or reason |", "|---|---|---|---|"]
    for requirement_id in requirements_in_scope(coverage):
        title = _cell(requirements[requirement_id].title)
        if requirement_id in mapped:
            rules = ", ".join(f"`{rule_id}`" for rule_id in mapped[requirement_id])
            rows.append(f"| {requirement_id} | {title} | automated | {rules} |")
        else:
            entry = coverage.not_automated.get(requirement_id, {})
            status = STATUS_LABELS.get(entry.get("status", ""), "not covered")
            rows.append(
                f"| {requirement_id} | {title} | {status} | {_cell(entry.get('reason', ''))} |"
            )
    return "\n".join(rows)


def _coverage_of(framework: str) -> Callable[[], str]:
    def build() -> str:
        (coverage,) = [item for item in coverages() if item.framework == framework]
        return coverage_table(coverage)

    return build


def candidates_table() -> str:
    rows = ["| candidate | why it is not implemented |", "|---|---|"]
    rows += [
        f"| `{candidate}` | {_cell(reason)} |"
        for candidate, reason in sorted(candidates_not_implemented().items())
    ]
    return "\n".join(rows)


TABLES: dict[str, Callable[[], str]] = {
    "cis-aws-foundations-coverage": _coverage_of("cis_aws_foundations"),
    "cis-eks-coverage": _coverage_of("cis_eks"),
    "candidates-not-implemented": candidates_table,
}
