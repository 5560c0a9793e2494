"""ECR private repositories: image scanning on push, tag immutability, and repository policies
open to everyone. Data from the ecr.repositories collector."""

import fnmatch
from typing import Any

from rules.evaluators import Result, evaluator, missing_data
from rules.public_access import policy_public_kinds
from securescope.resources import Resource

SCANNING_FREQUENCIES = frozenset({"SCAN_ON_PUSH", "CONTINUOUS_SCAN"})
IMMUTABLE = frozenset({"IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"})


def _registry_rule_covers(scanning: dict[str, Any], name: str) -> bool:
    return any(
        rule.get("scanFrequency") in SCANNING_FREQUENCIES
        and any(
            fnmatch.fnmatchcase(name, repository_filter.get("filter", ""))
            for repository_filter in rule.get("repositoryFilters") or []
        )
        for rule in scanning.get("rules") or []
    )


@evaluator("ecr_scan_on_push")
def ecr_scan_on_push(resource: Resource, *, params: dict) -> Result:
    """PASS when pushed images are scanned: the repository's own scan-on-push, or a registry
    scanning rule (basic or enhanced) whose filter matches the repository."""
    data = resource.data
    own = (data.get("imageScanningConfiguration") or {}).get("scanOnPush") is True
    evidence: dict[str, Any] = {"repository_scan_on_push": own}
    if own:
        return Result("PASS", evidence)
    if unknown := missing_data(resource, "RegistryScanning"):
        return Result("NOT_EVALUATED", {**evidence, **unknown.evidence})
    scanning = data.get("RegistryScanning") or {}
    covered = _registry_rule_covers(scanning, data.get("repositoryName", ""))
    evidence.update(registry_scan_type=scanning.get("scanType"), registry_rule_covers=covered)
    return Result("PASS" if covered else "FAIL", evidence)


@evaluator("ecr_tag_immutability")
def ecr_tag_immutability(resource: Resource, *, params: dict) -> Result:
    mutability = resource.data.get("imageTagMutability") or "MUTABLE"
    evidence = {"image_tag_mutability": mutability}
    return Result("PASS" if mutability in IMMUTABLE else "FAIL", evidence)


@evaluator("ecr_repository_policy_public")
def ecr_repository_policy_public(resource: Resource, *, params: dict) -> Result:
    """FAIL when the repository policy lets any principal pull or push, with no condition
    pinning the caller's organization, account or network."""
    if unknown := missing_data(resource, "Policy"):
        return unknown
    policy = resource.data.get("Policy")
    kinds = policy_public_kinds(policy, "ecr")
    evidence = {
        "repository_policy_present": policy is not None,
        "public_pull": "read" in kinds,
        "public_push": "write" in kinds,
    }
    return Result("FAIL" if kinds else "PASS", evidence)
