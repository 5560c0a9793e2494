"""Launch templates, launch configurations and Auto Scaling groups: what new instances get.

A launch template is judged on its default and its latest version (either may be what a group
or a node group launches); a launch configuration on itself. Launch templates that leave the
metadata options unset inherit the region's account-level IMDS defaults (`AccountImdsDefaults`),
which the collector reads alongside; launch configurations are judged on what they say, as
Security Hub's AutoScaling.3 does.
"""

from typing import Any

from rules.evaluators import Result, evaluator
from rules.params import integer
from securescope.resources import Resource

LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
# The hop limit EC2 uses when neither the launch nor the account default sets one.
DEFAULT_HOP_LIMIT = 1


def _specs(resource: Resource) -> list[tuple[str, dict[str, Any]]]:
    """(which, launch data) for each launch specification of the resource: a template's
    default and latest version ("default", "latest" or "default+latest"), or the launch
    configuration itself."""
    if resource.type != LAUNCH_TEMPLATE:
        return [("configuration", resource.data)]
    specs = []
    for version in resource.data.get("Versions") or []:
        labels = [
            label
            for label, flag in (("default", "DefaultVersion"), ("latest", "Latest"))
            if version.get(flag)
        ]
        specs.append(("+".join(labels) or "version", version.get("LaunchTemplateData") or {}))
    return specs


def _account_defaults(resource: Resource) -> tuple[dict[str, Any] | None, str | None]:
    """The region's IMDS defaults a template inherits, or None and why they are unknown;
    launch configurations inherit nothing here."""
    if resource.type != LAUNCH_TEMPLATE:
        return {}, None
    if "AccountImdsDefaults" in resource.missing:
        return None, resource.missing["AccountImdsDefaults"]
    return resource.data.get("AccountImdsDefaults") or {}, None


def _verdict(states: dict[str, bool | None], evidence: dict[str, Any], reason: str | None):
    """FAIL if a specification fails, NOT_EVALUATED if one is undecided, else PASS."""
    if False in states.values():
        return Result("FAIL", evidence)
    if None in states.values():
        return Result("NOT_EVALUATED", {**evidence, "reason": reason or "not decidable"})
    return Result("PASS", evidence)


@evaluator("launch_imdsv2_required")
def launch_imdsv2_required(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when instances launched from it would answer IMDSv1 (tokens optional, or unset
    without an account default that requires them)."""
    specs = _specs(resource)
    if not specs:
        return None
    defaults, reason = _account_defaults(resource)
    states: dict[str, bool | None] = {}
    tokens: dict[str, str] = {}
    for which, spec in specs:
        options = spec.get("MetadataOptions") or {}
        value = options.get("HttpTokens")
        tokens[which] = value or "not set"
        if options.get("HttpEndpoint") == "disabled" or value == "required":
            states[which] = True
        elif value:
            states[which] = False
        elif defaults is None:
            states[which] = None
        else:
            states[which] = defaults.get("HttpTokens") == "required"
    evidence = {
        "http_tokens": tokens,
        "account_default_http_tokens": (defaults or {}).get("HttpTokens") or "not set"
        if defaults is not None
        else "unknown",
    }
    return _verdict(states, evidence, reason)


@evaluator(
    "launch_imds_hop_limit",
    params={"max_hop_limit": integer(minimum=1, maximum=64)},
    required=("max_hop_limit",),
)
def launch_imds_hop_limit(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when the IMDS token response may travel more than `max_hop_limit` hops."""
    specs = _specs(resource)
    if not specs:
        return None
    defaults, reason = _account_defaults(resource)
    states: dict[str, bool | None] = {}
    limits: dict[str, int | None] = {}
    for which, spec in specs:
        options = spec.get("MetadataOptions") or {}
        limit = options.get("HttpPutResponseHopLimit")
        if limit is None and defaults is not None:
            inherited = defaults.get("HttpPutResponseHopLimit")
            # -1 in the account default means "no preference".
            limit = inherited if isinstance(inherited, int) and inherited > 0 else DEFAULT_HOP_LIMIT
        limits[which] = limit
        if options.get("HttpEndpoint") == "disabled":
            states[which] = True
        elif limit is None:
            states[which] = None
        else:
            states[which] = limit <= params["max_hop_limit"]
    evidence = {"hop_limit": limits, "max_hop_limit": params["max_hop_limit"]}
    return _verdict(states, evidence, reason)


def _assigns_public_ip(resource: Resource, spec: dict[str, Any]) -> bool:
    if resource.type != LAUNCH_TEMPLATE:
        return spec.get("AssociatePublicIpAddress") is True
    return any(
        interface.get("AssociatePublicIpAddress") is True
        for interface in spec.get("NetworkInterfaces") or []
    )


@evaluator("launch_no_public_ip")
def launch_no_public_ip(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when it asks for a public IPv4 address on launched instances; left unset, the
    subnet decides (VPC rules judge that)."""
    specs = _specs(resource)
    if not specs:
        return None
    states = {which: not _assigns_public_ip(resource, spec) for which, spec in specs}
    evidence = {"assigns_public_ip": {which: not ok for which, ok in states.items()}}
    return _verdict(states, evidence, None)


@evaluator("launch_ebs_encrypted")
def launch_ebs_encrypted(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when a block device mapping explicitly turns EBS encryption off; unset, the
    region's EBS default encryption decides (EC2_EBS_DEFAULT_ENCRYPTION judges that)."""
    specs = _specs(resource)
    if not specs:
        return None
    unencrypted = {
        which: sum(
            1
            for mapping in spec.get("BlockDeviceMappings") or []
            if (mapping.get("Ebs") or {}).get("Encrypted") is False
        )
        for which, spec in specs
    }
    states = {which: count == 0 for which, count in unencrypted.items()}
    return _verdict(states, {"unencrypted_volume_count": unencrypted}, None)


@evaluator("asg_uses_launch_template")
def asg_uses_launch_template(resource: Resource, *, params: dict) -> Result:
    """FAIL when the group launches from a launch configuration instead of a template."""
    data = resource.data
    mixed = (data.get("MixedInstancesPolicy") or {}).get("LaunchTemplate")
    evidence = {
        "launch_configuration": bool(data.get("LaunchConfigurationName")),
        "launch_template": bool(data.get("LaunchTemplate") or mixed),
    }
    return Result("FAIL" if evidence["launch_configuration"] else "PASS", evidence)
