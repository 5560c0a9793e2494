from rules.evaluators import Result, evaluator
from scans.inventory import Resource

WORLD_CIDRS = {"0.0.0.0/0", "::/0"}


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
    "eks_control_plane_logging", params={"required_types": list}, required=("required_types",)
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
