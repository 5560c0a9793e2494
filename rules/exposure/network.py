"""Network reachability from the internet: the links one packet needs, each judged on its own.

A packet from anywhere reaches an interface when the interface has a public address, its
subnet's route table (the explicit association, else the VPC's main table) sends the world to an
internet gateway, the subnet's network ACL lets the port in from the world, and a security group
attached to the interface opens it to 0.0.0.0/0 or ::/0. Reachability is judged per probe port:
the administration ports a world-open range covers, else the range's first port.
"""

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

ALL_PROTOCOLS = "-1"
PROTOCOL_NUMBERS = {"tcp": "6", "udp": "17"}
ADMIN_PORTS = (22, 3389)
MAX_PORT = 65535
# AWS evaluates ACL entries in rule-number order; the first one that matches decides.
WORLD_ROUTES = ("DestinationCidrBlock", "DestinationIpv6CidrBlock")


def _is_world(cidr: Any) -> bool:
    try:
        return ipaddress.ip_network(str(cidr), strict=False).prefixlen == 0
    except ValueError:
        return False


def protocol_number(value: Any) -> str:
    text = str(value).lower()
    return PROTOCOL_NUMBERS.get(text, text)


@dataclass(frozen=True)
class Opening:
    """One world-open ingress permission of a security group."""

    protocol: str
    low: int
    high: int
    # "ipv4" (from 0.0.0.0/0), "ipv6" (from ::/0), or both.
    families: frozenset[str] = frozenset({"ipv4", "ipv6"})

    @property
    def all_traffic(self) -> bool:
        return self.protocol == ALL_PROTOCOLS

    def probe_ports(self) -> list[int]:
        if self.all_traffic:
            return list(ADMIN_PORTS)
        covered = [port for port in ADMIN_PORTS if self.low <= port <= self.high]
        return covered or [self.low]

    def covers(self, port: int) -> bool:
        return self.all_traffic or self.low <= port <= self.high


def world_openings(
    groups: Iterable[dict[str, Any]], *, families: frozenset[str] = frozenset({"ipv4", "ipv6"})
) -> list[Opening]:
    """The world-open ingress permissions (TCP, UDP or all traffic) of the given groups, from
    the address families given (an interface with only a public IPv4 address is not reached
    by a rule that opens a port to ::/0)."""
    openings = set()
    for group in groups:
        for permission in group.get("IpPermissions", []):
            world = set()
            if any(_is_world(r.get("CidrIp")) for r in permission.get("IpRanges", [])):
                world.add("ipv4")
            if any(_is_world(r.get("CidrIpv6")) for r in permission.get("Ipv6Ranges", [])):
                world.add("ipv6")
            protocol = protocol_number(permission.get("IpProtocol", ""))
            if not world & families or protocol not in (ALL_PROTOCOLS, *PROTOCOL_NUMBERS.values()):
                continue
            low, high = permission.get("FromPort"), permission.get("ToPort")
            low = 0 if low is None or low < 0 else low
            high = MAX_PORT if high is None or high < 0 else high
            openings.add(Opening(protocol, low, high, frozenset(world & families)))
    return sorted(openings, key=lambda o: (o.protocol, o.low, o.high, sorted(o.families)))


def acl_admits(acl: dict[str, Any] | None, protocol: str, port: int) -> bool:
    """Whether the ACL lets `port` in from the world; no ACL known means no verdict (True).

    Only entries for the whole world decide: a packet from an arbitrary address matches no
    narrower entry.
    """
    if acl is None:
        return True
    entries = sorted(
        (
            entry
            for entry in acl.get("Entries", [])
            if not entry.get("Egress")
            and (_is_world(entry.get("CidrBlock")) or _is_world(entry.get("Ipv6CidrBlock")))
        ),
        key=lambda entry: entry.get("RuleNumber", 0),
    )
    for entry in entries:
        entry_protocol = protocol_number(entry.get("Protocol", ""))
        if entry_protocol not in (ALL_PROTOCOLS, protocol) and protocol != ALL_PROTOCOLS:
            continue
        ports = entry.get("PortRange")
        if entry_protocol != ALL_PROTOCOLS and ports and not ports["From"] <= port <= ports["To"]:
            continue
        return entry.get("RuleAction") == "allow"
    return False


@dataclass(frozen=True)
class RegionNetwork:
    """The region's route tables, internet gateways and network ACLs, indexed by subnet."""

    tables_by_subnet: dict[str, dict[str, Any]]
    main_tables: dict[str, dict[str, Any]]
    acls_by_subnet: dict[str, dict[str, Any]]
    internet_gateways: frozenset[str]

    @classmethod
    def build(
        cls,
        *,
        route_tables: Iterable[dict[str, Any]],
        acls: Iterable[dict[str, Any]],
        internet_gateways: Iterable[dict[str, Any]],
    ) -> "RegionNetwork":
        tables_by_subnet, main_tables, acls_by_subnet = {}, {}, {}
        for table in route_tables:
            for association in table.get("Associations", []):
                if association.get("SubnetId"):
                    tables_by_subnet[association["SubnetId"]] = table
                elif association.get("Main"):
                    main_tables[table.get("VpcId", "")] = table
        for acl in acls:
            for association in acl.get("Associations", []):
                if association.get("SubnetId"):
                    acls_by_subnet[association["SubnetId"]] = acl
        gateways = frozenset(
            gateway["InternetGatewayId"]
            for gateway in internet_gateways
            if any(
                a.get("State") in ("available", "attached") for a in gateway.get("Attachments", [])
            )
        )
        return cls(tables_by_subnet, main_tables, acls_by_subnet, gateways)

    def route_kind(self, subnet_id: str, vpc_id: str) -> str:
        """Where the subnet sends the world: internet_gateway, nat_gateway or none."""
        table = self.tables_by_subnet.get(subnet_id) or self.main_tables.get(vpc_id) or {}
        kind = "none"
        for route in table.get("Routes", []):
            if route.get("State") == "blackhole":
                continue
            if not any(_is_world(route.get(field)) for field in WORLD_ROUTES):
                continue
            if route.get("GatewayId") in self.internet_gateways:
                return "internet_gateway"
            if route.get("NatGatewayId"):
                kind = "nat_gateway"
        return kind

    def acl(self, subnet_id: str) -> dict[str, Any] | None:
        return self.acls_by_subnet.get(subnet_id)
