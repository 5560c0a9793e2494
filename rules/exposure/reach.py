"""What the exposure model reads of a unit's resources, and how far the internet gets into one
network interface: public address, route, network ACL and the security groups attached to it.

Shared by every node that sits behind interfaces: instances (through theirs) and interfaces that
no instance owns (a Fargate task, a Lambda function in a VPC, a database, an endpoint, a loose
interface with an Elastic IP).
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from rules.exposure.network import ADMIN_PORTS, Opening, RegionNetwork, acl_admits, world_openings
from securescope.privacy import resource_hash
from securescope.resources import Resource

# The inputs whose absence leaves a link unknown: node field -> resource type.
NETWORK_INPUTS = {
    "route": "AWS::EC2::RouteTable",
    "internet_gateway": "AWS::EC2::InternetGateway",
    "network_acl": "AWS::EC2::NetworkAcl",
    "security_groups": "AWS::EC2::SecurityGroup",
}
ROLE_INPUT = "AWS::IAM::InstanceProfile"
INTERFACE_INPUT = "AWS::EC2::NetworkInterface"


def link(rule: str, resource: Resource) -> dict[str, str]:
    """A finding a path is built from: its rule and its resource's hash, never an identifier."""
    return {
        "rule": rule,
        "resource_type": resource.type,
        "resource": resource_hash(resource.arn),
        "region": resource.region,
    }


def unique(links: list[dict[str, str]]) -> list[dict[str, str]]:
    seen, kept = set(), []
    for found in links:
        key = tuple(sorted(found.items()))
        if key not in seen:
            seen.add(key)
            kept.append(found)
    return kept


class Inventory:
    """One unit's resources by type, with the region's network indexed for reachability."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.by_type: dict[str, list[Resource]] = defaultdict(list)
        self.unlisted: dict[str, str] = {}
        self.region = ""
        for resource in resources:
            self.region = resource.region
            if resource.not_collected:
                self.unlisted[resource.type] = resource.not_collected
            else:
                self.by_type[resource.type].append(resource)
        self.network = RegionNetwork.build(
            route_tables=self.data("AWS::EC2::RouteTable"),
            acls=self.data("AWS::EC2::NetworkAcl"),
            internet_gateways=self.data("AWS::EC2::InternetGateway"),
        )
        self.groups = {r.data["GroupId"]: r for r in self.by_type["AWS::EC2::SecurityGroup"]}
        self.profiles = {r.data["Arn"]: r for r in self.by_type[ROLE_INPUT]}
        self.volumes = {r.data["VolumeId"]: r for r in self.by_type["AWS::EC2::Volume"]}
        self.elastic_ips = {
            r.data.get("NetworkInterfaceId") for r in self.by_type["AWS::EC2::EIP"]
        } - {None}

    def data(self, resource_type: str) -> list[dict[str, Any]]:
        return [resource.data for resource in self.by_type[resource_type]]

    def network_missing(self) -> dict[str, str]:
        return {
            field: self.unlisted[resource_type]
            for field, resource_type in NETWORK_INPUTS.items()
            if resource_type in self.unlisted
        }


def _public_address(inventory: Inventory, interface: dict[str, Any]) -> str | None:
    if interface.get("NetworkInterfaceId") in inventory.elastic_ips:
        return "elastic_ip"
    if (interface.get("Association") or {}).get("PublicIp"):
        return "public_ipv4"
    if interface.get("Ipv6Addresses"):
        return "ipv6"
    return None


def interface_reach(inventory: Inventory, interface: dict[str, Any]) -> dict[str, Any]:
    """One interface's links from the internet, and the probe ports that pass them all."""
    group_ids = [group["GroupId"] for group in interface.get("Groups", [])]
    groups = [inventory.groups[g] for g in group_ids if g in inventory.groups]
    address = _public_address(inventory, interface)
    families = frozenset({"ipv6" if address == "ipv6" else "ipv4"})
    if interface.get("Ipv6Addresses"):
        families |= {"ipv6"}
    openings = world_openings((group.data for group in groups), families=families)
    subnet = interface.get("SubnetId") or ""
    route = inventory.network.route_kind(subnet, interface.get("VpcId") or "")
    acl = inventory.network.acl(subnet)
    admitted = _admitted(openings, acl)
    reachable = bool(address) and route == "internet_gateway"
    return {
        "public_address": address,
        "route": route,
        "world_open_groups": [g for g in groups if world_openings([g.data], families=families)],
        "openings": openings,
        "acl_admitted": admitted,
        # Port 0 stands for all traffic, which `all_ports` tells.
        "ports": sorted({port for _, port in admitted if port}) if reachable else [],
        "all_ports": reachable and any(o.all_traffic and (o, 0) in admitted for o in openings),
    }


def _admitted(openings: list[Opening], acl: dict[str, Any] | None) -> set[tuple[Opening, int]]:
    admitted = set()
    for opening in openings:
        if opening.all_traffic and acl_admits(acl, opening.protocol, 0):
            admitted.add((opening, 0))
        for port in opening.probe_ports():
            if acl_admits(acl, opening.protocol, port):
                admitted.add((opening, port))
    return admitted


def group_rule(openings: list[Opening]) -> str:
    """The single rule whose finding a world-open group on the path is."""
    if any(o.all_traffic for o in openings):
        return "EC2_SG_ALL_TRAFFIC_OPEN"
    if any(o.covers(port) for o in openings for port in ADMIN_PORTS):
        return "EC2_SG_ADMIN_PORTS_IPV4"
    return "EC2_SG_HIGH_RISK_PORTS"


def group_links(reaches: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        link(group_rule(reach["openings"]), group)
        for reach in reaches
        for group in reach["world_open_groups"]
    ]


def reach_summary(reaches: list[dict[str, Any]]) -> dict[str, Any]:
    """A node's network links over all its interfaces: the best of each, and the ports the
    world reaches through every link."""
    routes = [reach["route"] for reach in reaches]
    return {
        "public_address": next((r["public_address"] for r in reaches if r["public_address"]), None),
        "route": next(
            (kind for kind in ("internet_gateway", "nat_gateway") if kind in routes), "none"
        ),
        "world_open_ports": sorted(
            {p for r in reaches for o in r["openings"] for p in o.probe_ports()}
        ),
        "acl_admitted_ports": sorted({p for r in reaches for _, p in r["acl_admitted"] if p}),
        "reachable_ports": sorted({port for reach in reaches for port in reach["ports"]}),
        "all_ports": any(r["all_ports"] for r in reaches),
    }
