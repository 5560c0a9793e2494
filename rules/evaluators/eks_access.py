"""Who can administer an EKS cluster, as AWS APIs show it: the authentication mode, access
entries holding AmazonEKSClusterAdminPolicy, and the creator's implicit admin.

The aws-auth ConfigMap and Kubernetes RBAC are inside the cluster and not visible here; the
rules say what AWS decides and nothing more.
"""

import fnmatch
from typing import Any

from rules.evaluators import Result, evaluator, missing_data
from rules.params import Param, integer, list_of, one_of
from securescope.resources import Resource

AUTHENTICATION_MODES = ("API", "API_AND_CONFIG_MAP", "CONFIG_MAP")
NOT_REPORTED = "accessConfig not reported (older platform version, or the test double)"
PRINCIPAL_PATTERNS = list_of(
    Param(str, lambda value: None if value.strip() else "must not be blank"), allow_empty=True
)


def _access_config(resource: Resource) -> dict[str, Any] | None:
    config = resource.data.get("accessConfig")
    return config if isinstance(config, dict) and config else None


@evaluator(
    "eks_authentication_mode",
    params={"failing_modes": list_of(one_of(AUTHENTICATION_MODES))},
    required=("failing_modes",),
)
def eks_authentication_mode(resource: Resource, *, params: dict) -> Result:
    """FAIL when the cluster authenticates only through the aws-auth ConfigMap (or another mode
    listed in `failing_modes`)."""
    config = _access_config(resource)
    if config is None or not config.get("authenticationMode"):
        return Result("NOT_EVALUATED", {"reason": NOT_REPORTED})
    mode = config["authenticationMode"]
    return Result(
        "FAIL" if mode in params["failing_modes"] else "PASS", {"authentication_mode": mode}
    )


@evaluator(
    "eks_cluster_admin_entries",
    params={"max_cluster_admins": integer(minimum=0), "allowed_principals": PRINCIPAL_PATTERNS},
    required=("max_cluster_admins", "allowed_principals"),
)
def eks_cluster_admin_entries(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when more than `max_cluster_admins` access entries outside `allowed_principals`
    (ARN patterns, * wildcards) hold AmazonEKSClusterAdminPolicy. A CONFIG_MAP-only cluster
    has no access entries: EKS_AUTH_MODE_CONFIGMAP judges it."""
    config = _access_config(resource) or {}
    if config.get("authenticationMode") == "CONFIG_MAP":
        return None
    if unknown := missing_data(resource, "ClusterAdminPrincipals", "AccessEntryCount"):
        return unknown
    admins = resource.data.get("ClusterAdminPrincipals")
    if admins is None:
        return Result("NOT_EVALUATED", {"reason": "access entries not collected"})
    unexpected = [
        arn
        for arn in admins
        if not any(fnmatch.fnmatchcase(arn, pattern) for pattern in params["allowed_principals"])
    ]
    evidence = {
        "access_entry_count": resource.data.get("AccessEntryCount"),
        "cluster_admin_count": len(admins),
        "unexpected_cluster_admin_count": len(unexpected),
        "max_cluster_admins": params["max_cluster_admins"],
        # Kinds of principal only: the ARNs themselves identify the account's roles.
        "unexpected_admin_kinds": sorted({_principal_kind(arn) for arn in unexpected}),
    }
    return Result("FAIL" if len(unexpected) > params["max_cluster_admins"] else "PASS", evidence)


def _principal_kind(arn: str) -> str:
    resource = arn.split(":", 5)[-1]
    return resource.split("/", 1)[0] or "unknown"


@evaluator("eks_bootstrap_creator_admin")
def eks_bootstrap_creator_admin(resource: Resource, *, params: dict) -> Result:
    """FAIL while the cluster creator keeps the admin access EKS granted it at creation."""
    config = _access_config(resource)
    if config is None or "bootstrapClusterCreatorAdminPermissions" not in config:
        return Result("NOT_EVALUATED", {"reason": NOT_REPORTED})
    granted = config["bootstrapClusterCreatorAdminPermissions"] is True
    evidence = {
        "bootstrap_cluster_creator_admin": granted,
        "authentication_mode": config.get("authenticationMode"),
    }
    return Result("FAIL" if granted else "PASS", evidence)
