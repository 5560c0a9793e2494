"""Security-group, network-ACL and flow-log rules from moto's API answers to findings."""

from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from rules.engine import evaluate
from rules.loading import load_catalog
from rules.schema import Catalog
from scans.collection.collectors import REGISTRY
from scans.collection.context import CollectContext
from scans.collection.inventory import AccountContext
from securescope.resources import Resource

REGION = "eu-west-1"
ACCOUNT = "123456789012"
FLOW_LOG_ROLE = f"arn:aws:iam::{ACCOUNT}:role/flow-logs"
SG_RULES = (
    "EC2_SG_ADMIN_PORTS_IPV4",
    "EC2_SG_ADMIN_PORTS_IPV6",
    "EC2_SG_ALL_TRAFFIC_OPEN",
    "EC2_SG_HIGH_RISK_PORTS",
    "EC2_SG_DB_PORTS_OPEN",
    "EC2_SG_CIFS_OPEN",
    "EC2_SG_UNAUTHORIZED_PORTS",
)
NACL_RULES = ("VPC_NACL_ADMIN_PORTS_OPEN", "VPC_NACL_ALL_PORTS_OPEN")
ID_KEYS = {
    "AWS::EC2::SecurityGroup": "GroupId",
    "AWS::EC2::NetworkAcl": "NetworkAclId",
    "AWS::EC2::VPC": "VpcId",
}


def new_ctx() -> CollectContext:
    return CollectContext(session=boto3.Session(), account=AccountContext(ACCOUNT), region=REGION)


def collect(name: str, ctx: CollectContext | None = None) -> list[Resource]:
    return REGISTRY[name].collect(ctx or new_ctx())


def statuses(resources: list[Resource], *rule_ids: str) -> dict[tuple[str, str], str]:
    """{(rule id, resource id): status} for every evaluation the engine yields."""
    rules = tuple(rule for rule in load_catalog().rules if rule.id in rule_ids)
    assert {rule.id for rule in rules} == set(rule_ids)
    return {
        (found.rule.id, found.resource.data[ID_KEYS[found.resource.type]]): found.result.status
        for found in evaluate(Catalog(rules=rules, errors=()), resources)
    }


@pytest.fixture
def ec2(aws) -> Any:
    return boto3.client("ec2", region_name=REGION)


@pytest.fixture
def vpc(ec2) -> str:
    return ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


def group_with(ec2: Any, vpc: str, name: str, *permissions: dict) -> str:
    group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    if permissions:
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=list(permissions))
    return group


def tcp(port: int, *, v4: str | None = None, v6: str | None = None) -> dict:
    return {
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        "IpRanges": [{"CidrIp": v4}] if v4 else [],
        "Ipv6Ranges": [{"CidrIpv6": v6}] if v6 else [],
    }


def test_security_group_port_rules(ec2, vpc):
    groups = {
        "ssh4": group_with(ec2, vpc, "ssh4", tcp(22, v4="0.0.0.0/0")),
        "rdp6": group_with(ec2, vpc, "rdp6", tcp(3389, v6="::/0")),
        "everything": group_with(
            ec2, vpc, "everything", {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ),
        "postgres6": group_with(ec2, vpc, "postgres6", tcp(5432, v6="::/0")),
        "smb": group_with(ec2, vpc, "smb", tcp(445, v4="0.0.0.0/0")),
        "web": group_with(
            ec2,
            vpc,
            "web",
            tcp(80, v4="0.0.0.0/0", v6="::/0"),
            tcp(443, v4="0.0.0.0/0", v6="::/0"),
        ),
        "office-ssh": group_with(ec2, vpc, "office-ssh", tcp(22, v4="198.51.100.0/24")),
    }
    # Every port from the web tier: a group reference is not the internet.
    groups["app"] = group_with(
        ec2,
        vpc,
        "app",
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": groups["web"]}]},
    )
    failing = {
        "ssh4": {
            "EC2_SG_ADMIN_PORTS_IPV4",
            "EC2_SG_HIGH_RISK_PORTS",
            "EC2_SG_UNAUTHORIZED_PORTS",
        },
        "rdp6": {"EC2_SG_ADMIN_PORTS_IPV6", "EC2_SG_HIGH_RISK_PORTS", "EC2_SG_UNAUTHORIZED_PORTS"},
        "everything": set(SG_RULES) - {"EC2_SG_ADMIN_PORTS_IPV6"},
        "postgres6": {
            "EC2_SG_HIGH_RISK_PORTS",
            "EC2_SG_DB_PORTS_OPEN",
            "EC2_SG_UNAUTHORIZED_PORTS",
        },
        "smb": {"EC2_SG_HIGH_RISK_PORTS", "EC2_SG_CIFS_OPEN", "EC2_SG_UNAUTHORIZED_PORTS"},
        "web": set(),
        "office-ssh": set(),
        "app": set(),
    }

    found = statuses(collect("ec2.security_groups"), *SG_RULES)

    for name, group in groups.items():
        for rule_id in SG_RULES:
            expected = "FAIL" if rule_id in failing[name] else "PASS"
            assert found[rule_id, group] == expected, (name, rule_id)


def test_default_security_group_rule_judges_only_default_groups(ec2, vpc):
    default_groups = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    locked = next(group for group in default_groups if group["VpcId"] == vpc)
    ec2.revoke_security_group_egress(
        GroupId=locked["GroupId"], IpPermissions=locked["IpPermissionsEgress"]
    )
    custom = group_with(ec2, vpc, "empty")

    found = statuses(collect("ec2.security_groups"), "EC2_SG_DEFAULT_RESTRICTS_ALL")

    # The region's default VPC keeps the stock allow-all egress.
    assert found == {
        ("EC2_SG_DEFAULT_RESTRICTS_ALL", group["GroupId"]): (
            "PASS" if group["VpcId"] == vpc else "FAIL"
        )
        for group in default_groups
    }
    assert ("EC2_SG_DEFAULT_RESTRICTS_ALL", custom) not in found


def acl_on_new_subnet(ec2: Any, vpc: str, cidr: str, *entries: dict) -> str:
    """A custom ACL with `entries`, associated with a new subnet of `vpc`."""
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for entry in entries:
        ec2.create_network_acl_entry(NetworkAclId=acl, Egress=False, **entry)
    association = next(
        association["NetworkAclAssociationId"]
        for current in ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
        )["NetworkAcls"]
        for association in current["Associations"]
        if association["SubnetId"] == subnet
    )
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)
    return acl


def test_network_acl_rules(ec2, vpc):
    world = {"CidrBlock": "0.0.0.0/0"}
    admin_denied = acl_on_new_subnet(
        ec2,
        vpc,
        "10.0.1.0/24",
        {
            "RuleNumber": 10,
            "Protocol": "6",
            "RuleAction": "deny",
            **world,
            "PortRange": {"From": 22, "To": 22},
        },
        {
            "RuleNumber": 20,
            "Protocol": "6",
            "RuleAction": "deny",
            **world,
            "PortRange": {"From": 3389, "To": 3389},
        },
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", **world},
    )
    ssh6 = acl_on_new_subnet(
        ec2,
        vpc,
        "10.0.2.0/24",
        {
            "RuleNumber": 100,
            "Protocol": "6",
            "RuleAction": "allow",
            "Ipv6CidrBlock": "::/0",
            "PortRange": {"From": 22, "To": 22},
        },
    )
    unused = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=unused,
        RuleNumber=100,
        Protocol="-1",
        RuleAction="allow",
        Egress=False,
        CidrBlock="0.0.0.0/0",
    )
    acls = ec2.describe_network_acls()["NetworkAcls"]
    # The region's default VPC: its default ACL covers the default subnets and allows all.
    stock_default = next(
        acl["NetworkAclId"] for acl in acls if acl["IsDefault"] and acl["Associations"]
    )

    found = statuses(collect("ec2.network_acls"), *NACL_RULES)

    # Neither the unused ACL nor the new VPC's default ACL (its subnets moved to custom ACLs)
    # filters any traffic: no finding for them. The stock default ACL allows all by design; as
    # Security Hub EC2.21 does, only the all-traffic rule reports it.
    assert found == {
        ("VPC_NACL_ALL_PORTS_OPEN", stock_default): "FAIL",
        ("VPC_NACL_ADMIN_PORTS_OPEN", admin_denied): "PASS",
        ("VPC_NACL_ALL_PORTS_OPEN", admin_denied): "FAIL",
        ("VPC_NACL_ADMIN_PORTS_OPEN", ssh6): "FAIL",
        ("VPC_NACL_ALL_PORTS_OPEN", ssh6): "PASS",
    }


def flow_log(ec2: Any, vpc: str, traffic: str, **destination: str) -> None:
    ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType=traffic, **destination)


def test_vpc_flow_logs(ec2, vpc):
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName="flows")
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket="flow-log-archive", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    to_logs = {"LogGroupName": "flows", "DeliverLogsPermissionArn": FLOW_LOG_ROLE}
    flow_log(ec2, vpc, "ALL", **to_logs)
    rejects_to_s3 = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    flow_log(
        ec2,
        rejects_to_s3,
        "REJECT",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::flow-log-archive",
    )
    accepts_only = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    flow_log(ec2, accepts_only, "ACCEPT", **to_logs)
    # No such log group: the flow log is ACTIVE, but its delivery FAILED.
    undelivered = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    flow_log(ec2, undelivered, "ALL", LogGroupName="x", DeliverLogsPermissionArn=FLOW_LOG_ROLE)
    unwatched = next(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"])

    found = statuses(collect("ec2.vpcs"), "VPC_FLOW_LOGS")

    assert found == {
        ("VPC_FLOW_LOGS", vpc): "PASS",
        ("VPC_FLOW_LOGS", rejects_to_s3): "PASS",
        ("VPC_FLOW_LOGS", accepts_only): "FAIL",
        ("VPC_FLOW_LOGS", undelivered): "FAIL",
        ("VPC_FLOW_LOGS", unwatched): "FAIL",
    }


def test_vpc_flow_logs_not_evaluated_when_the_listing_is_denied(ec2, vpc):
    flow_log(ec2, vpc, "ALL", LogGroupName="flows", DeliverLogsPermissionArn=FLOW_LOG_ROLE)
    ctx = new_ctx()

    def deny(model: Any, **kwargs: Any) -> None:
        if model.name == "DescribeFlowLogs":
            error = {"Error": {"Code": "UnauthorizedOperation", "Message": "denied"}}
            raise ClientError(error, model.name)

    ctx.client("ec2").meta.events.register("before-call", deny)
    resources = collect("ec2.vpcs", ctx)

    rule = next(rule for rule in load_catalog().rules if rule.id == "VPC_FLOW_LOGS")
    results = [found.result for found in evaluate(Catalog(rules=(rule,), errors=()), resources)]
    assert len(results) == len(resources) == 2
    for result in results:
        assert result.status == "NOT_EVALUATED"
        assert result.evidence == {
            "reason": "missing permission (UnauthorizedOperation): ec2:DescribeFlowLogs"
        }


def test_vpc_shared_from_another_account_is_left_to_its_owner(ec2, vpc):
    # The collector's ownership flag (OwnedByScannedAccount) marks a VPC shared through AWS RAM.
    (resource,) = [r for r in collect("ec2.vpcs") if r.data["VpcId"] == vpc]
    shared = replace(resource, data={**resource.data, "OwnedByScannedAccount": False})

    assert statuses([shared], "VPC_FLOW_LOGS") == {}
    assert statuses([resource], "VPC_FLOW_LOGS") == {("VPC_FLOW_LOGS", vpc): "FAIL"}
