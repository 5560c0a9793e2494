"""Compliance frameworks as the Rules page names them: the one place to point at the
framework registry once the core has one."""

from typing import Any

from rules.engine import UNMAPPED_KEY

FRAMEWORK_LABELS = {
    "cis_aws_foundations": "CIS AWS Foundations Benchmark",
    "cis_eks": "CIS Amazon EKS Benchmark",
    "cis_aws_compute": "CIS AWS Compute Services Benchmark",
    "security_hub": "AWS Security Hub controls",
}


def framework_choices() -> list[tuple[str, str]]:
    return [*FRAMEWORK_LABELS.items(), (UNMAPPED_KEY, "No framework")]


def framework_mappings(compliance: dict[str, Any]) -> list[tuple[str, str]]:
    """(framework name, what maps the rule there) for each framework of a rule's mapping."""
    rows = []
    for framework, mapping in compliance.items():
        if framework == UNMAPPED_KEY:
            continue
        label = FRAMEWORK_LABELS.get(framework, framework)
        if isinstance(mapping, dict):
            rows.append((label, f"v{mapping['version']} " + ", ".join(mapping["sections"])))
        else:
            rows.append((label, ", ".join(mapping)))
    return rows
