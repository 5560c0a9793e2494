"""Security groups, network ACLs and VPC flow logs.

"The world" is a source CIDR with prefix length 0 (0.0.0.0/0 or ::/0). Prefix lists and security
group references are never the world: their members are not in the collected data, and a group
reference admits only the group's own members.
"""

import ipaddress
from collections.abc import Iterator
from functools import cache
from typing import Any

from rules.evaluators import Result, evaluator, missing_data
from rules.params import FLAG, PORT, PORTS, PROTOCOL_NAMES, list_of, one_of
from securescope.resources import Resource

WORLD_IPV4 = "0.0.0.0/0"
WORLD_IPV6 = "::/0"
ALL_PROTOCOLS = "-1"
# Security groups name tcp and udp; network ACLs and some SG rules carry the protocol number.
PROTOCOL_NUMBERS = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58"}
PORT_PROTOCOLS = {"6", "17"}
MIN_PORT, MAX_PORT = 0, 65535
# Port 0 is reserved and never reachable, so a range starting at 1 already spans every port.
FIRST_USABLE_PORT = 1
# The number of an ACL's catch-all "*" entry, the last one evaluated.
CATCH_ALL_RULE_NUMBER = 32767


def _protocol(value: Any) -> str:
    text = str(value).lower()
    return PROTOCOL_NUMBERS.get(text, text)


@cache
def _is_world(cidr: Any) -> bool:
    # Cached: an account has few distinct CIDRs and thousands of rules that repeat them.
    try:
        return ipaddress.ip_network(str(cidr), strict=False).prefixlen == 0
    except ValueError:
        return False


def _shared_from_another_account(resource: Resource) -> bool:
    # The collector's flag for a VPC or ACL shared through AWS RAM: it is the owner account's to
    # fix, and the owner's flow logs are invisible from here.
    return resource.data.get("OwnedByScannedAccount") is False


# Security groups.


# Ports open to the world, as the SSH rule reads security groups: only the exact world CIDRs
# 0.0.0.0/0 and ::/0, over any protocol that carries ports (named or numbered, or all traffic).
PORT_CARRYING_PROTOCOLS = {"tcp", "udp", "6", "17", "-1"}


def _exact_world_covers_port(permission: dict[str, Any], port: int) -> bool:
    protocol = str(permission.get("IpProtocol", ""))
    if protocol not in PORT_CARRYING_PROTOCOLS:
        return False
    if protocol == "-1":
        return True
    return permission.get("FromPort", 0) <= port <= permission.get("ToPort", 65535)


def _exact_world_sources(permission: dict[str, Any]) -> list[str]:
    sources = [r["CidrIp"] for r in permission.get("IpRanges", []) if r.get("CidrIp") == WORLD_IPV4]
    sources += [
        r["CidrIpv6"] for r in permission.get("Ipv6Ranges", []) if r.get("CidrIpv6") == WORLD_IPV6
    ]
    return sources


# A world-open group that no network interface uses exposes nothing yet: its port findings
# say so (`attached: false`) and fail at this severity instead of the rule's.
UNATTACHED_SEVERITY = "low"
# What a failing port finding says of the group's attachment when the interfaces could not be
# listed: the group may be in use, so the rule's own severity stands.
ATTACHMENT_UNKNOWN = "unknown"


def _in_context(resource: Resource, result: Result) -> Result:
    """A failing port result with the group's attachment: counted by the collector, or unknown
    (with the reason) when the network interfaces could not be listed."""
    if "NetworkInterfaceCount" in resource.missing:
        evidence = {
            **result.evidence,
            "attached": ATTACHMENT_UNKNOWN,
            "attached_unknown_reason": resource.missing["NetworkInterfaceCount"],
        }
        return Result(result.status, evidence)
    count = resource.data.get("NetworkInterfaceCount")
    if count is None:
        return result
    severity = None if count else UNATTACHED_SEVERITY
    return Result(result.status, {**result.evidence, "attached": count > 0}, severity=severity)


@evaluator("security_group_ports_open_to_world", params={"ports": PORTS}, required=("ports",))
def security_group_ports_open_to_world(resource: Resource, *, params: dict) -> Result:
    """FAIL when an ingress rule lets 0.0.0.0/0 or ::/0 reach one of `ports`."""
    ports = params["ports"]
    open_rules = []
    for permission in resource.data.get("IpPermissions", []):
        world = _exact_world_sources(permission)
        covered = [port for port in ports if _exact_world_covers_port(permission, port)]
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
        return _in_context(
            resource, Result("FAIL", {"open_ports": open_ports, "ingress_rules": open_rules})
        )
    return Result("PASS", {"ports_checked": sorted(ports), "world_ingress": False})


def _port_range(permission: dict[str, Any]) -> tuple[int, int]:
    """The ports a tcp/udp permission opens; -1 or an absent bound means the whole range."""
    low, high = permission.get("FromPort"), permission.get("ToPort")
    low = MIN_PORT if low is None or low < 0 else low
    high = MAX_PORT if high is None or high < 0 else high
    return low, high


def _world_sources(permission: dict[str, Any], params: dict) -> list[str]:
    sources = set()
    if params.get("ipv4", True) and any(
        _is_world(r.get("CidrIp")) for r in permission.get("IpRanges", [])
    ):
        sources.add(WORLD_IPV4)
    if params.get("ipv6", True) and any(
        _is_world(r.get("CidrIpv6")) for r in permission.get("Ipv6Ranges", [])
    ):
        sources.add(WORLD_IPV6)
    return sorted(sources)


def _world_ingress(
    resource: Resource, params: dict
) -> Iterator[tuple[dict[str, Any], str, list[str]]]:
    """(permission, protocol number, world sources) for each world-open ingress permission."""
    for permission in resource.data.get("IpPermissions", []):
        sources = _world_sources(permission, params)
        if sources:
            yield permission, _protocol(permission.get("IpProtocol", "")), sources


def _rule_evidence(
    permission: dict[str, Any], protocol: str, sources: list[str], **extra: Any
) -> dict[str, Any]:
    # The API's own spelling ("tcp", "-1") reads better in a finding than the protocol number.
    evidence = {"protocol": str(permission.get("IpProtocol")), "sources": sources, **extra}
    if protocol != ALL_PROTOCOLS:
        evidence["from_port"], evidence["to_port"] = (
            permission.get("FromPort"),
            permission.get("ToPort"),
        )
    return evidence


SG_FAMILY_PARAMS = {"ipv4": FLAG, "ipv6": FLAG}


@evaluator(
    "sg_world_ingress_ports",
    params={"ports": PORTS, "protocols": PROTOCOL_NAMES, **SG_FAMILY_PARAMS},
    required=("ports", "protocols"),
)
def sg_world_ingress_ports(resource: Resource, *, params: dict) -> Result:
    """FAIL when the world reaches one of `ports` over one of `protocols`, or over all traffic.

    ICMP and other port-less protocols carry type and code in FromPort/ToPort, never ports.
    """
    ports = sorted(params["ports"])
    protocols = {_protocol(name) for name in params["protocols"]}
    open_rules = []
    for permission, protocol, sources in _world_ingress(resource, params):
        if protocol == ALL_PROTOCOLS:
            covered = ports
        elif protocol in protocols and protocol in PORT_PROTOCOLS:
            low, high = _port_range(permission)
            covered = [port for port in ports if low <= port <= high]
        else:
            continue
        if covered:
            open_rules.append(_rule_evidence(permission, protocol, sources, ports=covered))
    if open_rules:
        open_ports = sorted({port for rule in open_rules for port in rule["ports"]})
        return _in_context(
            resource, Result("FAIL", {"open_ports": open_ports, "ingress_rules": open_rules})
        )
    return Result("PASS", {"ports_checked": ports, "world_ingress_to_ports": False})


@evaluator(
    "sg_world_ingress_all_ports",
    params={"protocols": PROTOCOL_NAMES, **SG_FAMILY_PARAMS},
    required=("protocols",),
)
def sg_world_ingress_all_ports(resource: Resource, *, params: dict) -> Result:
    """FAIL on all-traffic ingress from the world, or every port of one of `protocols`."""
    protocols = {_protocol(name) for name in params["protocols"]}
    open_rules = []
    for permission, protocol, sources in _world_ingress(resource, params):
        if protocol == ALL_PROTOCOLS:
            open_rules.append(_rule_evidence(permission, protocol, sources))
        elif protocol in protocols and protocol in PORT_PROTOCOLS:
            low, high = _port_range(permission)
            if low <= FIRST_USABLE_PORT and high >= MAX_PORT:
                open_rules.append(_rule_evidence(permission, protocol, sources))
    if open_rules:
        return _in_context(resource, Result("FAIL", {"ingress_rules": open_rules}))
    return Result("PASS", {"world_ingress_to_all_ports": False})


@evaluator(
    "sg_world_ingress_unauthorized_ports",
    params={
        "allowed_tcp_ports": list_of(PORT, allow_empty=True),
        "allowed_udp_ports": list_of(PORT, allow_empty=True),
    },
    required=("allowed_tcp_ports", "allowed_udp_ports"),
)
def sg_world_ingress_unauthorized_ports(resource: Resource, *, params: dict) -> Result:
    """FAIL when the world reaches a tcp or udp port that is not on the protocol's allow-list.

    A range is authorized only if every port in it is; all-traffic ingress never is.
    """
    allowed = {
        "6": set(params["allowed_tcp_ports"]),
        "17": set(params["allowed_udp_ports"]),
    }
    open_rules = []
    for permission, protocol, sources in _world_ingress(resource, params):
        if protocol == ALL_PROTOCOLS:
            open_rules.append(_rule_evidence(permission, protocol, sources))
        elif protocol in PORT_PROTOCOLS:
            low, high = _port_range(permission)
            authorized = sum(1 for port in allowed[protocol] if low <= port <= high)
            unauthorized = high - low + 1 - authorized
            if unauthorized > 0:
                open_rules.append(
                    _rule_evidence(permission, protocol, sources, unauthorized_ports=unauthorized)
                )
    evidence = {
        "allowed_tcp_ports": sorted(allowed["6"]),
        "allowed_udp_ports": sorted(allowed["17"]),
    }
    if open_rules:
        return _in_context(resource, Result("FAIL", {**evidence, "ingress_rules": open_rules}))
    return Result("PASS", evidence)


@evaluator("sg_default_restricts_all")
def sg_default_restricts_all(resource: Resource, *, params: dict) -> Result | None:
    """FAIL unless a VPC's default group has no inbound and no outbound rule; others: no opinion."""
    if resource.data.get("GroupName") != "default":
        return None
    ingress = resource.data.get("IpPermissions", [])
    egress = resource.data.get("IpPermissionsEgress", [])
    evidence = {
        "ingress_rules": len(ingress),
        "egress_rules": len(egress),
        "world_ingress": any(_world_sources(permission, {}) for permission in ingress),
    }
    return Result("FAIL" if ingress or egress else "PASS", evidence)


@evaluator("sg_default_in_use")
def sg_default_in_use(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when network interfaces use a VPC's default group; other groups: no opinion."""
    if resource.data.get("GroupName") != "default":
        return None
    if unknown := missing_data(resource, "NetworkInterfaceCount"):
        return unknown
    count = resource.data.get("NetworkInterfaceCount")
    if count is None:
        return Result("NOT_EVALUATED", {"reason": "network interfaces not collected"})
    return Result("FAIL" if count else "PASS", {"network_interface_count": count})


# Network ACLs.


def _world_acl_entries(resource: Resource) -> dict[str, list[dict[str, Any]]]:
    """Ingress entries whose source is the world, by source, in evaluation order.

    An IPv4 packet only meets CidrBlock entries and an IPv6 packet only Ipv6CidrBlock entries, so
    each family is walked on its own.
    """
    entries = sorted(
        (entry for entry in resource.data.get("Entries", []) if not entry.get("Egress")),
        key=lambda entry: entry.get("RuleNumber", CATCH_ALL_RULE_NUMBER),
    )
    return {
        WORLD_IPV4: [entry for entry in entries if _is_world(entry.get("CidrBlock"))],
        WORLD_IPV6: [entry for entry in entries if _is_world(entry.get("Ipv6CidrBlock"))],
    }


def _entry_matches(entry: dict[str, Any], protocol: str, port: int | None) -> bool:
    entry_protocol = _protocol(entry.get("Protocol", ""))
    if entry_protocol == ALL_PROTOCOLS:
        return True
    if entry_protocol != protocol or port is None:
        return False
    port_range = entry.get("PortRange") or {}
    return port_range.get("From", MIN_PORT) <= port <= port_range.get("To", MAX_PORT)


def _first_match(
    entries: list[dict[str, Any]], protocol: str, port: int | None
) -> dict[str, Any] | None:
    return next((entry for entry in entries if _entry_matches(entry, protocol, port)), None)


def _acl_in_use(resource: Resource) -> bool:
    # An ACL with no subnet filters no traffic; it is evaluated once it is associated.
    return bool(resource.data.get("Associations"))


@evaluator(
    "nacl_world_ingress_ports",
    params={"ports": PORTS, "protocols": PROTOCOL_NAMES, "include_default": FLAG},
    required=("ports", "protocols"),
)
def nacl_world_ingress_ports(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when, in rule-number order, the first world entry matching a port allows it.

    `include_default: false` leaves the VPC's default ACL out, as Security Hub EC2.21 does: it
    allows everything by design and leaves filtering to security groups.
    """
    if _shared_from_another_account(resource) or not _acl_in_use(resource):
        return None
    if resource.data.get("IsDefault") and not params.get("include_default", True):
        return None
    ports = sorted(params["ports"])
    protocols = sorted({_protocol(name) for name in params["protocols"]})
    open_ports = []
    for source, entries in _world_acl_entries(resource).items():
        for protocol in protocols:
            for port in ports:
                entry = _first_match(entries, protocol, port)
                if entry and entry.get("RuleAction") == "allow":
                    open_ports.append(
                        {
                            "port": port,
                            "protocol": protocol,
                            "source": source,
                            "rule_number": entry.get("RuleNumber"),
                        }
                    )
    evidence = {"is_default": bool(resource.data.get("IsDefault")), "ports_checked": ports}
    if open_ports:
        return Result("FAIL", {**evidence, "open": open_ports})
    return Result("PASS", evidence)


@evaluator("nacl_world_ingress_all_traffic")
def nacl_world_ingress_all_traffic(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when the first all-protocol world entry allows; a narrower deny before it is a hole
    punched in an open ACL, not a restriction of it."""
    if _shared_from_another_account(resource) or not _acl_in_use(resource):
        return None
    open_entries = []
    for source, entries in _world_acl_entries(resource).items():
        entry = _first_match(entries, ALL_PROTOCOLS, None)
        if entry and entry.get("RuleAction") == "allow":
            open_entries.append({"source": source, "rule_number": entry.get("RuleNumber")})
    evidence = {"is_default": bool(resource.data.get("IsDefault"))}
    if open_entries:
        return Result("FAIL", {**evidence, "allow_all_entries": open_entries})
    return Result("PASS", evidence)


# VPCs.


@evaluator(
    "vpc_flow_logs_active",
    params={"traffic_types": list_of(one_of(("ACCEPT", "REJECT", "ALL")))},
    required=("traffic_types",),
)
def vpc_flow_logs_active(resource: Resource, *, params: dict) -> Result | None:
    """PASS when a VPC-level flow log is ACTIVE, records one of `traffic_types` and is not failing
    to deliver (a missing log group or a broken role leaves it ACTIVE but writing nothing)."""
    if _shared_from_another_account(resource):
        return None
    if missing := missing_data(resource, "FlowLogs"):
        return missing
    flow_logs = resource.data.get("FlowLogs", [])
    active = [log for log in flow_logs if log.get("FlowLogStatus") == "ACTIVE"]
    recording = [log for log in active if log.get("TrafficType") in params["traffic_types"]]
    delivering = [log for log in recording if log.get("DeliverLogsStatus") != "FAILED"]
    evidence = {
        "flow_logs": len(flow_logs),
        "active_flow_logs": len(active),
        "active_traffic_types": sorted({str(log.get("TrafficType")) for log in active}),
        "delivery_failed": len(recording) - len(delivering),
        "destination_types": sorted(
            {log["LogDestinationType"] for log in delivering if log.get("LogDestinationType")}
        ),
    }
    return Result("PASS" if delivering else "FAIL", evidence)
