"""Cases for security groups, network ACLs and VPC flow logs (docs/controls.md)."""

from rules.tests.cases import Example

WORLD4 = "0.0.0.0/0"
WORLD6 = "::/0"


def _ingress(protocol="tcp", from_port=22, to_port=22, v4=(), v6=(), prefix_lists=(), groups=()):
    permission = {
        "IpProtocol": protocol,
        "IpRanges": [{"CidrIp": cidr} for cidr in v4],
        "Ipv6Ranges": [{"CidrIpv6": cidr} for cidr in v6],
        "PrefixListIds": [{"PrefixListId": prefix_list} for prefix_list in prefix_lists],
        "UserIdGroupPairs": [{"GroupId": group, "UserId": "123456789012"} for group in groups],
    }
    # DescribeSecurityGroups leaves the ports out of all-traffic permissions.
    if protocol != "-1":
        permission.update(FromPort=from_port, ToPort=to_port)
    return permission


def _all_traffic(**sources) -> dict:
    return _ingress(protocol="-1", **sources)


def _group(*ingress: dict, egress: tuple = (), name: str = "web") -> dict:
    return {
        "GroupName": name,
        "IpPermissions": list(ingress),
        "IpPermissionsEgress": list(egress),
    }


def _entry(number, action="allow", protocol="-1", ports=None, v4=None, v6=None, egress=False):
    entry = {"RuleNumber": number, "RuleAction": action, "Protocol": protocol, "Egress": egress}
    if ports:
        entry["PortRange"] = {"From": ports[0], "To": ports[1]}
    if v4:
        entry["CidrBlock"] = v4
    if v6:
        entry["Ipv6CidrBlock"] = v6
    return entry


CATCH_ALL = [
    _entry(32767, "deny", v4=WORLD4),
    _entry(32768, "deny", v6=WORLD6),
    _entry(32767, "deny", v4=WORLD4, egress=True),
]


def _acl(*entries: dict, default: bool = False) -> dict:
    return {
        "IsDefault": default,
        "Associations": [{"SubnetId": "subnet-0a1b2c3d4e5f60718"}],
        "Entries": [*entries, *CATCH_ALL],
    }


# The stock default ACL: all traffic in and out from the whole IPv4 internet.
DEFAULT_ACL = _acl(_entry(100, v4=WORLD4), _entry(100, v4=WORLD4, egress=True), default=True)
# Explicit denies for the admin ports before an allow-all: 22 and 3389 are closed.
ADMIN_DENIED_ACL = _acl(
    _entry(10, "deny", "6", (22, 22), v4=WORLD4),
    _entry(20, "deny", "6", (3389, 3389), v4=WORLD4),
    _entry(100, v4=WORLD4),
)


def _flow_log(traffic="ALL", status="ACTIVE", delivery="SUCCESS", destination="cloud-watch-logs"):
    return {
        "FlowLogStatus": status,
        "TrafficType": traffic,
        "DeliverLogsStatus": delivery,
        "LogDestinationType": destination,
        "ResourceId": "vpc-0a1b2c3d4e5f60718",
    }


def _vpc(*flow_logs: dict) -> dict:
    return {"VpcId": "vpc-0a1b2c3d4e5f60718", "IsDefault": False, "FlowLogs": list(flow_logs)}


def _ssh_ingress(protocol="tcp", from_port=22, to_port=22, v4=(), v6=()) -> dict:
    return {
        "IpProtocol": protocol,
        "FromPort": from_port,
        "ToPort": to_port,
        "IpRanges": [{"CidrIp": cidr} for cidr in v4],
        "Ipv6Ranges": [{"CidrIpv6": cidr} for cidr in v6],
    }


def _ssh_group(*permissions: dict) -> dict:
    return {"IpPermissions": list(permissions)}


CASES = {
    "EC2_SG_SSH_OPEN": {
        "FAIL": [
            _ssh_group(_ssh_ingress(v4=["0.0.0.0/0"])),
            _ssh_group(_ssh_ingress(v6=["::/0"])),
            _ssh_group(_ssh_ingress(from_port=0, to_port=1024, v4=["0.0.0.0/0"])),
            _ssh_group(_ssh_ingress(protocol="-1", from_port=None, to_port=None, v4=["0.0.0.0/0"])),
        ],
        "PASS": [
            _ssh_group(_ssh_ingress(v4=["10.0.0.0/8"])),
            _ssh_group(_ssh_ingress(from_port=443, to_port=443, v4=["0.0.0.0/0"])),
            _ssh_group(_ssh_ingress(protocol="icmp", from_port=-1, to_port=-1, v4=["0.0.0.0/0"])),
            _ssh_group(),
        ],
    },
    "EC2_SG_ADMIN_PORTS_IPV4": {
        "FAIL": [
            _group(_ingress(v4=[WORLD4])),
            # Attached to nothing: still failing, at a lower severity (rules/tests/exposure).
            {**_group(_ingress(v4=[WORLD4])), "NetworkInterfaceCount": 0},
            _group(_ingress(from_port=3389, to_port=3389, v4=["10.0.0.0/8", WORLD4])),
            # Security Hub EC2.53 counts UDP: RDP also listens on UDP 3389.
            _group(_ingress(protocol="udp", from_port=3389, to_port=3389, v4=[WORLD4])),
            _group(_ingress(from_port=0, to_port=1024, v4=[WORLD4])),
            _group(_all_traffic(v4=[WORLD4])),
            _group(_ingress(protocol="6", v4=[WORLD4])),
        ],
        "PASS": [
            # The IPv6 rule is the other control's business.
            _group(_ingress(v6=[WORLD6])),
            _group(_ingress(v4=["198.51.100.0/24"])),
            # Prefix lists and group references are not the world.
            _group(_ingress(prefix_lists=["pl-0a1b2c3d4e5f60718"])),
            _group(_ingress(groups=["sg-0a1b2c3d4e5f60718"])),
            # ICMP's -1/-1 is "every type and code", not every port.
            _group(_ingress(protocol="icmp", from_port=-1, to_port=-1, v4=[WORLD4])),
            _group(_ingress(protocol="50", from_port=None, to_port=None, v4=[WORLD4])),
            _group(_ingress(from_port=23, to_port=3388, v4=[WORLD4])),
            _group(egress=(_ingress(v4=[WORLD4]),)),
            _group(),
        ],
    },
    "EC2_SG_ADMIN_PORTS_IPV6": {
        "FAIL": [
            _group(_ingress(v6=[WORLD6])),
            _group(_ingress(from_port=3389, to_port=3389, v6=["2001:db8::/32", WORLD6])),
            _group(_all_traffic(v6=[WORLD6])),
        ],
        "PASS": [
            _group(_ingress(v4=[WORLD4])),
            _group(_ingress(v6=["2001:db8::/32"])),
            _group(_ingress(protocol="icmpv6", from_port=-1, to_port=-1, v6=[WORLD6])),
        ],
    },
    "EC2_SG_ALL_TRAFFIC_OPEN": {
        "FAIL": [
            _group(_all_traffic(v4=[WORLD4])),
            _group(_all_traffic(v6=[WORLD6])),
            _group(_ingress(from_port=0, to_port=65535, v4=[WORLD4])),
            # Port 0 is reserved: 1-65535 is every port too.
            _group(_ingress(from_port=1, to_port=65535, v6=[WORLD6])),
            _group(_ingress(protocol="udp", from_port=0, to_port=65535, v4=[WORLD4])),
        ],
        "PASS": [
            # The stock default group's self-reference is not the internet.
            _group(_all_traffic(groups=["sg-0a1b2c3d4e5f60718"])),
            _group(_all_traffic(v4=["10.0.0.0/8"])),
            _group(_ingress(from_port=1024, to_port=65535, v4=[WORLD4])),
            _group(_ingress(protocol="icmp", from_port=-1, to_port=-1, v4=[WORLD4])),
            _group(egress=(_all_traffic(v4=[WORLD4]),)),
        ],
    },
    "EC2_SG_HIGH_RISK_PORTS": {
        "FAIL": [
            _group(_ingress(from_port=8080, to_port=8080, v4=[WORLD4])),
            _group(_ingress(from_port=3000, to_port=3000, v6=[WORLD6])),
            _group(_ingress(from_port=5400, to_port=5600, v4=[WORLD4])),
            _group(_all_traffic(v4=[WORLD4])),
        ],
        "PASS": [
            _group(_ingress(from_port=443, to_port=443, v4=[WORLD4], v6=[WORLD6])),
            _group(_ingress(from_port=8080, to_port=8080, v4=["203.0.113.0/24"])),
            _group(_ingress(from_port=26, to_port=109, v4=[WORLD4])),
        ],
    },
    "EC2_SG_DB_PORTS_OPEN": {
        "FAIL": [
            _group(_ingress(from_port=6379, to_port=6379, v4=[WORLD4])),
            _group(_ingress(from_port=27000, to_port=28000, v6=[WORLD6])),
            _group(_ingress(from_port=1521, to_port=1521, v4=[WORLD4])),
            _group(_all_traffic(v6=[WORLD6])),
        ],
        "PASS": [
            _group(_ingress(from_port=5432, to_port=5432, groups=["sg-0a1b2c3d4e5f60718"])),
            _group(_ingress(from_port=3306, to_port=3306, v4=["10.0.0.0/16"])),
            _group(_ingress(from_port=80, to_port=443, v4=[WORLD4])),
        ],
    },
    "EC2_SG_CIFS_OPEN": {
        "FAIL": [
            _group(_ingress(from_port=445, to_port=445, v4=[WORLD4])),
            _group(_ingress(from_port=137, to_port=139, v4=[WORLD4])),
            _group(_all_traffic(v6=[WORLD6])),
        ],
        "PASS": [
            _group(_ingress(from_port=445, to_port=445, v4=["10.0.0.0/8"])),
            _group(_ingress(from_port=140, to_port=444, v4=[WORLD4])),
        ],
    },
    "EC2_SG_UNAUTHORIZED_PORTS": {
        "FAIL": [
            _group(_ingress(v4=[WORLD4])),
            # A range is authorized only when every port in it is.
            _group(_ingress(from_port=80, to_port=443, v4=[WORLD4])),
            # 80 is allow-listed for TCP only.
            _group(_ingress(protocol="udp", from_port=80, to_port=80, v4=[WORLD4])),
            _group(_ingress(from_port=8443, to_port=8443, v6=[WORLD6])),
            _group(_all_traffic(v4=[WORLD4])),
        ],
        "PASS": [
            _group(
                _ingress(from_port=80, to_port=80, v4=[WORLD4], v6=[WORLD6]),
                _ingress(from_port=443, to_port=443, v4=[WORLD4], v6=[WORLD6]),
            ),
            _group(_ingress(from_port=8080, to_port=8080, v4=["10.0.0.0/8"])),
            _group(_ingress(protocol="icmp", from_port=8, to_port=0, v4=[WORLD4])),
            _group(),
        ],
    },
    "EC2_SG_DEFAULT_RESTRICTS_ALL": {
        "FAIL": [
            # What AWS creates with every VPC.
            _group(
                _all_traffic(groups=["sg-0a1b2c3d4e5f60718"]),
                egress=(_all_traffic(v4=[WORLD4]),),
                name="default",
            ),
            _group(egress=(_all_traffic(v4=[WORLD4]),), name="default"),
            _group(_ingress(v4=["10.0.0.0/8"]), name="default"),
        ],
        "PASS": [_group(name="default")],
    },
    "EC2_SG_DEFAULT_IN_USE": {
        "FAIL": [{**_group(name="default"), "NetworkInterfaceCount": 3}],
        "PASS": [{**_group(name="default"), "NetworkInterfaceCount": 0}],
        "NOT_EVALUATED": [
            Example(
                _group(name="default"),
                missing={"NetworkInterfaceCount": "missing permission: DescribeNetworkInterfaces"},
            )
        ],
    },
    "VPC_NACL_ADMIN_PORTS_OPEN": {
        "FAIL": [
            # A custom ACL with the default ACL's entries is judged.
            {**DEFAULT_ACL, "IsDefault": False},
            _acl(_entry(100, "allow", "6", (22, 22), v4=WORLD4)),
            # 22 is denied first, but 3389 still reaches the allow-all.
            _acl(_entry(90, "deny", "6", (22, 22), v4=WORLD4), _entry(100, v4=WORLD4)),
            # Rule numbers, not list order, decide: the allow at 100 is met before the deny.
            _acl(
                _entry(200, "deny", "6", (22, 22), v4=WORLD4),
                _entry(100, "allow", "6", (0, 65535), v4=WORLD4),
            ),
            # IPv4 closed, IPv6 open.
            _acl(_entry(90, "deny", v4=WORLD4), _entry(100, "allow", "6", (3389, 3389), v6=WORLD6)),
        ],
        "PASS": [
            ADMIN_DENIED_ACL,
            _acl(_entry(100, "allow", "6", (22, 22), v4="10.0.0.0/8")),
            # A deny-all first shadows the later allow.
            _acl(_entry(20, "allow", "6", (22, 22), v4=WORLD4), _entry(10, "deny", v4=WORLD4)),
            _acl(_entry(100, "allow", "17", (22, 22), v4=WORLD4)),
            _acl(_entry(100, "allow", "6", (443, 443), v4=WORLD4, v6=None)),
            _acl(_entry(100, v4=WORLD4, egress=True)),
        ],
    },
    "VPC_NACL_ALL_PORTS_OPEN": {
        "FAIL": [
            DEFAULT_ACL,
            # Denying the admin ports leaves everything else open.
            ADMIN_DENIED_ACL,
            _acl(_entry(100, v6=WORLD6)),
        ],
        "PASS": [
            _acl(_entry(10, "deny", v4=WORLD4), _entry(100, v4=WORLD4)),
            _acl(_entry(100, "allow", "6", (0, 65535), v4=WORLD4)),
            _acl(_entry(100, v4="172.16.0.0/12")),
            _acl(_entry(100, v4=WORLD4, egress=True)),
        ],
    },
    "VPC_FLOW_LOGS": {
        "FAIL": [
            _vpc(),
            _vpc(_flow_log(traffic="ACCEPT")),
            # ACTIVE but writing nothing: the log group or the delivery role is broken.
            _vpc(_flow_log(delivery="FAILED")),
        ],
        "PASS": [
            _vpc(_flow_log()),
            _vpc(_flow_log(traffic="REJECT", destination="s3")),
            _vpc(_flow_log(delivery="FAILED"), _flow_log(traffic="REJECT")),
        ],
        "NOT_EVALUATED": [
            Example(
                {"VpcId": "vpc-0a1b2c3d4e5f60718"},
                missing={"FlowLogs": "missing permission (UnauthorizedOperation)"},
            )
        ],
    },
}
