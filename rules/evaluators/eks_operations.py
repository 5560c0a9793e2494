"""Running an EKS cluster safely: deletion protection, control-plane log retention, add-on
health and management, VPC CNI network policy, and GuardDuty's EKS protection."""

from typing import Any

import yaml

from rules.evaluators import Result, evaluator, missing_data
from rules.params import DAYS, TEXTS, one_of
from securescope.resources import Resource

FAILED_ADDON_STATUSES = frozenset({"DEGRADED", "UPDATE_FAILED", "CREATE_FAILED"})
EKS_PROTECTION_FEATURES = ("EKS_AUDIT_LOGS", "RUNTIME_MONITORING")


@evaluator("eks_deletion_protection")
def eks_deletion_protection(resource: Resource, *, params: dict) -> Result:
    protected = resource.data.get("deletionProtection")
    if protected is None:
        return Result(
            "NOT_EVALUATED", {"reason": "deletionProtection not reported by DescribeCluster"}
        )
    return Result("PASS" if protected else "FAIL", {"deletion_protection": bool(protected)})


def _enabled_log_types(data: dict[str, Any]) -> set[str]:
    return {
        log_type
        for group in data.get("logging", {}).get("clusterLogging", [])
        if group.get("enabled")
        for log_type in group.get("types", [])
    }


@evaluator("eks_log_retention", params={"min_days": DAYS}, required=("min_days",))
def eks_log_retention(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when control-plane logs are on but their log group is missing or keeps them for
    less than `min_days` (a group that never expires passes). No opinion without logging."""
    if not _enabled_log_types(resource.data):
        return None
    if unknown := missing_data(resource, "ControlPlaneLogGroup"):
        return unknown
    group = resource.data.get("ControlPlaneLogGroup") or {}
    retention = group.get("retentionInDays")
    evidence = {
        "log_group_exists": group.get("exists") is True,
        "retention_days": retention,
        "never_expires": group.get("exists") is True and retention is None,
        "min_days": params["min_days"],
    }
    kept = evidence["log_group_exists"] and (retention is None or retention >= params["min_days"])
    return Result("PASS" if kept else "FAIL", evidence)


@evaluator("eks_addon_healthy")
def eks_addon_healthy(resource: Resource, *, params: dict) -> Result:
    data = resource.data
    issues = (data.get("health") or {}).get("issues") or []
    evidence = {
        "addon": data.get("addonName"),
        "status": data.get("status"),
        "health_issue_count": len(issues),
        "health_issue_codes": sorted({str(issue.get("code")) for issue in issues}),
    }
    failing = data.get("status") in FAILED_ADDON_STATUSES or bool(issues)
    return Result("FAIL" if failing else "PASS", evidence)


@evaluator("eks_core_addons_managed", params={"addons": TEXTS}, required=("addons",))
def eks_core_addons_managed(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when a core add-on is not an EKS add-on, so its version and health are invisible
    to AWS APIs. EKS Auto Mode runs them itself: no opinion there."""
    if (resource.data.get("computeConfig") or {}).get("enabled"):
        return None
    if unknown := missing_data(resource, "AddonNames"):
        return unknown
    installed = set(resource.data.get("AddonNames") or [])
    self_managed = sorted(set(params["addons"]) - installed)
    evidence = {"self_managed_core_addons": self_managed, "eks_addon_count": len(installed)}
    return Result("FAIL" if self_managed else "PASS", evidence)


def _configuration(values: Any) -> dict[str, Any]:
    if not values:
        return {}
    try:
        parsed = yaml.safe_load(values)
    except yaml.YAMLError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


@evaluator("eks_vpc_cni_network_policy")
def eks_vpc_cni_network_policy(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when the VPC CNI add-on does not enforce Kubernetes network policies. Only the
    vpc-cni add-on is judged; a third-party CNI is not visible to AWS APIs."""
    if resource.data.get("addonName") != "vpc-cni":
        return None
    enabled = (
        str(
            _configuration(resource.data.get("configurationValues")).get("enableNetworkPolicy", "")
        ).lower()
        == "true"
    )
    return Result("PASS" if enabled else "FAIL", {"network_policy_enabled": enabled})


def _feature(detector: dict[str, Any], name: str) -> dict[str, Any]:
    return next((f for f in detector.get("Features") or [] if f.get("Name") == name), {})


def _protects(detector: dict[str, Any], feature: str) -> bool:
    if detector.get("Status") != "ENABLED":
        return False
    if feature == "EKS_AUDIT_LOGS":
        return _feature(detector, "EKS_AUDIT_LOGS").get("Status") == "ENABLED"
    runtime = _feature(detector, "RUNTIME_MONITORING")
    eks_agent = any(
        item.get("Name") == "EKS_ADDON_MANAGEMENT" and item.get("Status") == "ENABLED"
        for item in runtime.get("AdditionalConfiguration") or []
    )
    legacy = _feature(detector, "EKS_RUNTIME_MONITORING").get("Status") == "ENABLED"
    return (runtime.get("Status") == "ENABLED" and eks_agent) or legacy


@evaluator(
    "guardduty_eks_protection",
    params={"feature": one_of(EKS_PROTECTION_FEATURES)},
    required=("feature",),
)
def guardduty_eks_protection(resource: Resource, *, params: dict) -> Result:
    """PASS when an enabled GuardDuty detector has EKS audit-log monitoring (or EKS runtime
    monitoring with the managed agent) on."""
    detectors = resource.data.get("Detectors") or []
    protecting = [d for d in detectors if _protects(d, params["feature"])]
    evidence = {
        "feature": params["feature"],
        "detector_count": len(detectors),
        "protecting_detector_count": len(protecting),
    }
    if protecting:
        return Result("PASS", evidence)
    if unknown := missing_data(resource, "Detectors"):
        return unknown
    return Result("FAIL", evidence)
