import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from rules.evaluators import Result, evaluator, missing_data
from rules.params import (
    DAYS,
    FLAG,
    ISO_DATE,
    TEXTS,
    Param,
    integer,
    iso_date_problem,
    list_of,
    one_of,
)
from securescope.resources import Resource

WORLD_CIDRS = {"0.0.0.0/0", "::/0"}
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


@evaluator("eks_public_endpoint_restricted")
def eks_public_endpoint_restricted(resource: Resource, *, params: dict) -> Result:
    """FAIL when the API endpoint is public and open to every address."""
    vpc_config = resource.data.get("resourcesVpcConfig", {})
    public = bool(vpc_config.get("endpointPublicAccess", True))
    cidrs = vpc_config.get("publicAccessCidrs") or ["0.0.0.0/0"]
    world = sorted(WORLD_CIDRS.intersection(cidrs))
    evidence = {
        "endpoint_public_access": public,
        "endpoint_private_access": bool(vpc_config.get("endpointPrivateAccess", False)),
        "world_cidrs": world if public else [],
        # Customer CIDRs identify networks: only their number is kept.
        "restricted_cidr_count": len(set(cidrs) - WORLD_CIDRS) if public else 0,
    }
    return Result("FAIL" if public and world else "PASS", evidence)


@evaluator(
    "eks_control_plane_logging",
    params={"required_types": list_of(one_of(CONTROL_PLANE_LOG_TYPES))},
    required=("required_types",),
)
def eks_control_plane_logging(resource: Resource, *, params: dict) -> Result:
    """FAIL unless every required log type is enabled.

    `clusterLogging` is a list of {types, enabled} groups; the enabled set is their union, never
    just the first entry.
    """
    enabled = {
        log_type
        for group in resource.data.get("logging", {}).get("clusterLogging", [])
        if group.get("enabled")
        for log_type in group.get("types", [])
    }
    missing = sorted(set(params["required_types"]) - enabled)
    evidence = {"enabled_types": sorted(enabled), "missing_types": missing}
    return Result("FAIL" if missing else "PASS", evidence)


ENDPOINT_FIELDS = {
    # endpoint -> (resourcesVpcConfig field, the API's value when the field is absent)
    "public": ("endpointPublicAccess", True),
    "private": ("endpointPrivateAccess", False),
}


@evaluator(
    "eks_endpoint_access",
    params={"endpoint": one_of(ENDPOINT_FIELDS), "expected": FLAG},
    required=("endpoint", "expected"),
)
def eks_endpoint_access(resource: Resource, *, params: dict) -> Result:
    """FAIL when the public or private API endpoint is not switched as `expected`."""
    field_name, default = ENDPOINT_FIELDS[params["endpoint"]]
    enabled = bool(resource.data.get("resourcesVpcConfig", {}).get(field_name, default))
    evidence = {f"endpoint_{params['endpoint']}_access": enabled, "expected": params["expected"]}
    return Result("PASS" if enabled == params["expected"] else "FAIL", evidence)


@evaluator("eks_secrets_encrypted")
def eks_secrets_encrypted(resource: Resource, *, params: dict) -> Result:
    """FAIL unless an encryptionConfig entry covers `secrets` with a KMS key.

    Real EKS omits encryptionConfig on an unencrypted cluster and moto returns []: both fail.
    """
    configs = resource.data.get("encryptionConfig") or []
    encrypted = any(
        "secrets" in config.get("resources", []) and config.get("provider", {}).get("keyArn")
        for config in configs
    )
    evidence = {
        "secrets_encrypted": encrypted,
        "encrypted_resources": sorted(
            {name for config in configs for name in config.get("resources", [])}
        ),
    }
    return Result("PASS" if encrypted else "FAIL", evidence)


def _minor_version(value: Any) -> tuple[int, int] | None:
    """(major, minor) of a Kubernetes version such as "1.31"; None when it is not one."""
    match = re.match(r"^(\d+)\.(\d+)(?:\D|$)", str(value or ""))
    return (int(match[1]), int(match[2])) if match else None


def _version_text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


CALENDAR_DATES = ("end_of_standard_support", "end_of_extended_support")
CALENDAR_VERSION = re.compile(r"^\d+\.\d+$")


def _calendar_problem(versions: dict) -> str | None:
    """What makes a support calendar unusable: keys that are not "X.Y" strings (unquoted, YAML
    reads 1.30 as the number 1.3), missing or non-ISO dates, or extended support ending first."""
    if not versions:
        return "must list at least one version"
    for version, window in versions.items():
        if not isinstance(version, str) or not CALENDAR_VERSION.match(version):
            return f'key {version!r} must be a quoted "X.Y" Kubernetes version'
        if not isinstance(window, dict) or set(window) != set(CALENDAR_DATES):
            return f"{version}: needs exactly {' and '.join(CALENDAR_DATES)}"
        for name in CALENDAR_DATES:
            if problem := iso_date_problem(window[name]):
                return f"{version}.{name} {problem}"
        standard, extended = (date.fromisoformat(str(window[name])) for name in CALENDAR_DATES)
        if standard >= extended:
            return f"{version}: end_of_standard_support must be before end_of_extended_support"
    return None


SUPPORT_CALENDAR = Param(dict, _calendar_problem)


@dataclass(frozen=True)
class _SupportWindow:
    end_of_standard_support: date | None
    end_of_extended_support: date | None
    # DescribeClusterVersions' versionStatus, when the window comes from it.
    status: str | None = None


def _support_calendar(params: dict) -> dict[tuple[int, int], _SupportWindow]:
    calendar = {}
    for text, dates in params["versions"].items():
        version = _minor_version(text)
        if version is None:
            raise ValueError(f"not a Kubernetes minor version in the support calendar: {text!r}")
        calendar[version] = _SupportWindow(
            date.fromisoformat(str(dates["end_of_standard_support"])),
            date.fromisoformat(str(dates["end_of_extended_support"])),
        )
    return calendar


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _runtime_window(resource: Resource) -> _SupportWindow | None:
    """The version's support from DescribeClusterVersions, when the collector got it."""
    support = resource.data.get("VersionSupport")
    if not isinstance(support, dict):
        return None
    window = _SupportWindow(
        _day(support.get("endOfStandardSupportDate")),
        _day(support.get("endOfExtendedSupportDate")),
        RUNTIME_STATUSES.get(support.get("versionStatus")),
    )
    return window if window.status or window.end_of_standard_support else None


RUNTIME_STATUSES = {
    "STANDARD_SUPPORT": "standard_support",
    "EXTENDED_SUPPORT": "extended_support",
    "UNSUPPORTED": "unsupported",
}
STATUS_ORDER = ("standard_support", "extended_support", "unsupported")


def _cluster_support(
    resource: Resource, params: dict
) -> tuple[tuple[int, int] | None, _SupportWindow | None, dict[str, Any]]:
    """The cluster's version, its support window (from DescribeClusterVersions when the
    collector got it, else the calendar; None when neither lists it) and the shared evidence."""
    version = _minor_version(resource.data.get("version"))
    evidence: dict[str, Any] = {"cluster_version": _version_text(version) if version else None}
    if version is None:
        return None, None, evidence
    runtime = _runtime_window(resource)
    if runtime is not None:
        evidence["support_data_source"] = "describe_cluster_versions"
        return version, runtime, evidence
    evidence.update(support_data_source="calendar", support_data_checked=params["checked"])
    return version, _support_calendar(params).get(version), evidence


def _today() -> date:
    return timezone.now().date()


def _support_status(window: _SupportWindow) -> str:
    """Where the version stands today: the later of what EKS says and what the dates say.

    The published dates are the first days without that support (DescribeClusterVersions gives
    them as midnight timestamps), so the day itself is already past it.
    """
    today = _today()
    by_dates = "standard_support"
    if window.end_of_standard_support and today >= window.end_of_standard_support:
        by_dates = "extended_support"
    if window.end_of_extended_support and today >= window.end_of_extended_support:
        by_dates = "unsupported"
    statuses = [by_dates] + ([window.status] if window.status else [])
    return max(statuses, key=STATUS_ORDER.index)


@evaluator(
    "eks_cluster_version_supported",
    params={
        "checked": ISO_DATE,
        "versions": SUPPORT_CALENDAR,
        "failing_status": one_of(("extended_support", "unsupported")),
    },
    required=("checked", "versions", "failing_status"),
)
def eks_cluster_version_supported(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when the cluster's version is in `failing_status` (paid extended support, or out of
    all support); the extended-support rule leaves unsupported versions to the other.

    Unlisted versions older than the oldest listed one are long unsupported; newer (or gap)
    versions are unknown to the calendar, so they are not evaluated rather than guessed.
    """
    failing = params["failing_status"]
    version, window, evidence = _cluster_support(resource, params)
    if version is None:
        return Result("NOT_EVALUATED", {**evidence, "reason": "cluster version not reported"})
    support_type = resource.data.get("upgradePolicy", {}).get("supportType")
    if support_type:
        evidence["upgrade_policy_support_type"] = support_type
    if window is None:
        oldest = min(_support_calendar(params))
        if version >= oldest:
            return Result(
                "NOT_EVALUATED",
                {**evidence, "reason": "version not in the support calendar; update its params"},
            )
        evidence.update(oldest_listed=_version_text(oldest))
        status = "unsupported"
    else:
        for name in ("end_of_standard_support", "end_of_extended_support"):
            if getattr(window, name):
                evidence[name] = getattr(window, name).isoformat()
        status = _support_status(window)
    evidence["support_status"] = status
    if status == failing:
        return Result("FAIL", evidence)
    if failing == "extended_support" and status == "unsupported":
        return None
    return Result("PASS", evidence)


@evaluator(
    "eks_cluster_version_end_of_support_soon",
    params={"checked": ISO_DATE, "versions": SUPPORT_CALENDAR, "days": DAYS},
    required=("checked", "versions", "days"),
)
def eks_cluster_version_end_of_support_soon(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when standard support ends within `days`.

    Not applicable once standard support has ended: eks_cluster_version_supported reports that.
    """
    version, window, evidence = _cluster_support(resource, params)
    if version is None:
        return Result("NOT_EVALUATED", {**evidence, "reason": "cluster version not reported"})
    if window is not None and window.end_of_standard_support is None:
        # EKS answered a status without dates: the calendar may still know them.
        window = _support_calendar(params).get(version)
    if window is None:
        if version < min(_support_calendar(params)):
            return None
        return Result(
            "NOT_EVALUATED",
            {**evidence, "reason": "version not in the support calendar; update its params"},
        )
    if _support_status(window) != "standard_support":
        return None
    days_left = (window.end_of_standard_support - _today()).days
    evidence.update(
        end_of_standard_support=window.end_of_standard_support.isoformat(),
        days_left=days_left,
        threshold_days=params["days"],
    )
    return Result("FAIL" if days_left <= params["days"] else "PASS", evidence)


@evaluator(
    "eks_nodegroup_version_skew",
    params={"max_minor_skew": integer(minimum=0)},
    required=("max_minor_skew",),
)
def eks_nodegroup_version_skew(resource: Resource, *, params: dict) -> Result:
    """FAIL when the node group is ahead of the control plane, or too many minors behind it.

    Kubelets newer than the API server are outside the upstream skew policy at any distance.
    """
    unknown = missing_data(resource, "clusterVersion")
    if unknown:
        return unknown
    node = _minor_version(resource.data.get("version"))
    control_plane = _minor_version(resource.data.get("clusterVersion"))
    evidence: dict[str, Any] = {
        "nodegroup_version": _version_text(node) if node else None,
        "cluster_version": _version_text(control_plane) if control_plane else None,
    }
    if node is None or control_plane is None or node[0] != control_plane[0]:
        return Result("NOT_EVALUATED", {**evidence, "reason": "versions cannot be compared"})
    behind = control_plane[1] - node[1]
    evidence.update(minor_versions_behind=behind, max_minor_skew=params["max_minor_skew"])
    return Result("FAIL" if behind < 0 or behind > params["max_minor_skew"] else "PASS", evidence)


@evaluator(
    "eks_nodegroup_ami_type",
    params={"forbidden_prefixes": TEXTS},
    required=("forbidden_prefixes",),
)
def eks_nodegroup_ami_type(resource: Resource, *, params: dict) -> Result:
    """FAIL when the node group's EKS AMI type starts with a forbidden prefix.

    A CUSTOM AMI (from a launch template) hides its operating system from this API.
    """
    ami_type = resource.data.get("amiType")
    evidence = {"ami_type": ami_type}
    if not ami_type or ami_type == "CUSTOM":
        return Result("NOT_EVALUATED", {**evidence, "reason": "custom AMI: OS not visible"})
    forbidden = any(ami_type.startswith(prefix) for prefix in params["forbidden_prefixes"])
    return Result("FAIL" if forbidden else "PASS", evidence)


@evaluator(
    "eks_nodegroup_remote_access",
    params={"allow_with_source_groups": FLAG},
    required=("allow_with_source_groups",),
)
def eks_nodegroup_remote_access(resource: Resource, *, params: dict) -> Result:
    """FAIL when the node group has an SSH key for remote access.

    With `allow_with_source_groups`, only an unrestricted one fails: without source security
    groups EKS opens the remote-access port to 0.0.0.0/0.
    """
    remote = resource.data.get("remoteAccess") or {}
    key_set = bool(remote.get("ec2SshKey"))
    source_groups = len(remote.get("sourceSecurityGroups") or [])
    windows = str(resource.data.get("amiType", "")).startswith("WINDOWS")
    evidence = {
        "ssh_key_configured": key_set,
        "source_security_group_count": source_groups,
        "port": 3389 if windows else 22,
    }
    failing = key_set and not (params["allow_with_source_groups"] and source_groups)
    return Result("FAIL" if failing else "PASS", evidence)


@evaluator("eks_irsa_oidc_provider")
def eks_irsa_oidc_provider(resource: Resource, *, params: dict) -> Result:
    """PASS when pods can get their own AWS identity: an IAM OIDC provider matches the
    cluster's issuer (IRSA), or the cluster has EKS Pod Identity associations. Either one
    decides it even when the other could not be read."""
    data = resource.data
    registered = data.get("IamOidcProviderRegistered")
    associations = data.get("PodIdentityAssociationCount")
    evidence = {
        "oidc_issuer_present": bool(data.get("identity", {}).get("oidc", {}).get("issuer")),
        "iam_oidc_provider_registered": registered,
        "pod_identity_association_count": associations,
    }
    if registered is True or (associations or 0) > 0:
        return Result("PASS", evidence)
    if unknown := missing_data(
        resource, "IamOidcProviderRegistered", "PodIdentityAssociationCount"
    ):
        return Result("NOT_EVALUATED", {**evidence, **unknown.evidence})
    if registered is None or associations is None:
        return Result("NOT_EVALUATED", {**evidence, "reason": "identity data not collected"})
    return Result("FAIL", evidence)


def _version_key(version: str) -> tuple[int, ...]:
    # "v1.19.0-eksbuild.2" -> (1, 19, 0, 2): release first, then the EKS build.
    return tuple(int(number) for number in re.findall(r"\d+", version))


@evaluator("eks_addon_current")
def eks_addon_current(resource: Resource, *, params: dict) -> Result:
    """FAIL while an add-on runs a version older than EKS's default for the cluster's version."""
    missing = missing_data(resource, "DefaultVersion")
    if missing:
        return missing
    installed = resource.data.get("addonVersion")
    default = resource.data.get("DefaultVersion")
    evidence = {
        "addon": resource.data.get("addonName"),
        "addon_version": installed,
        "default_version": default,
        "cluster_version": resource.data.get("clusterVersion"),
    }
    if not installed or not default:
        return Result("NOT_EVALUATED", {**evidence, "reason": "no version to compare"})
    behind = _version_key(installed) < _version_key(default)
    return Result("FAIL" if behind else "PASS", evidence)
