from typing import Any

from rules.evaluators import Result, evaluator
from rules.params import PORTS
from securescope.resources import Resource

WORLD_IPV4 = "0.0.0.0/0"
WORLD_IPV6 = "::/0"
# Protocols that can carry the ports we look for; "-1" is "all traffic".
PORT_PROTOCOLS = {"tcp", "udp", "6", "17", "-1"}


def _covers_port(permission: dict[str, Any], port: int) -> bool:
    protocol = str(permission.get("IpProtocol", ""))
    if protocol not in PORT_PROTOCOLS:
        return False
    if protocol == "-1":
        return True
    return permission.get("FromPort", 0) <= port <= permission.get("ToPort", 65535)


def _world_sources(permission: dict[str, Any]) -> list[str]:
    sources = [r["CidrIp"] for r in permission.get("IpRanges", []) if r.get("CidrIp") == WORLD_IPV4]
    sources += [
        r["CidrIpv6"] for r in permission.get("Ipv6Ranges", []) if r.get("CidrIpv6") == WORLD_IPV6
    ]
    return sources


@evaluator("security_group_ports_open_to_world", params={"ports": PORTS}, required=("ports",))
def security_group_ports_open_to_world(resource: Resource, *, params: dict) -> Result:
    """FAIL when an ingress rule lets 0.0.0.0/0 or ::/0 reach one of `ports`."""
    ports = params["ports"]
    open_rules = []
    for permission in resource.data.get("IpPermissions", []):
        world = _world_sources(permission)
        covered = [port for port in ports if _covers_port(permission, port)]
        if world and covered:
            open_rules.append(
                {
                    "protocol": str(permission.get("IpProtocol")),
                    "from_port": permission.get("FromPort"),
                    "to_port": permission.get("ToPort"),
                    "sources": sorted(world),
                    "ports": covered,
                }
            )
    if open_rules:
        open_ports = sorted({port for rule in open_rules for port in rule["ports"]})
        return Result("FAIL", {"open_ports": open_ports, "ingress_rules": open_rules})
    return Result("PASS", {"ports_checked": sorted(ports), "world_ingress": False})


@evaluator("instance_imdsv2_required")
def instance_imdsv2_required(resource: Resource, *, params: dict) -> Result:
    """FAIL while the metadata endpoint is on and answers IMDSv1 (token optional)."""
    options = resource.data.get("MetadataOptions", {})
    tokens = options.get("HttpTokens", "optional")
    endpoint = options.get("HttpEndpoint", "enabled")
    evidence = {
        "http_tokens": tokens,
        "http_endpoint": endpoint,
        "http_put_response_hop_limit": options.get("HttpPutResponseHopLimit"),
    }
    if endpoint == "enabled" and tokens != "required":
        return Result("FAIL", evidence)
    return Result("PASS", evidence)


@evaluator("volume_encrypted")
def volume_encrypted(resource: Resource, *, params: dict) -> Result:
    evidence = {
        "encrypted": bool(resource.data.get("Encrypted")),
        "attached": bool(resource.data.get("Attachments")),
        "volume_type": resource.data.get("VolumeType"),
    }
    return Result("PASS" if evidence["encrypted"] else "FAIL", evidence)


@evaluator("ebs_default_encryption_enabled")
def ebs_default_encryption_enabled(resource: Resource, *, params: dict) -> Result:
    enabled = bool(resource.data.get("EbsEncryptionByDefault"))
    evidence = {"ebs_encryption_by_default": enabled, "sse_type": resource.data.get("SseType")}
    return Result("PASS" if enabled else "FAIL", evidence)
