"""The exposure model and its path rules on moto, link by link: a full path fails, and taking
away any one link (the internet gateway route, the ACL, the attached group, the public subnet,
the powerful role with IMDSv1) makes it pass."""

import json
from typing import Any

import boto3
import pytest

from rules.engine import evaluate
from rules.exposure.model import exposure_nodes
from rules.loading import load_catalog
from rules.schema import Catalog
from scans.collection.collectors import REGISTRY
from scans.collection.context import CollectContext, Denied
from scans.collection.inventory import AccountContext
from securescope.privacy import resource_hash
from securescope.resources import Resource
from testing.exposure import ADMIN_POLICY, BENIGN_POLICY, Account

pytestmark = pytest.mark.moto

REGION = "eu-west-1"
ACCOUNT = "123456789012"
COLLECTORS = (
    "ec2.instances",
    "ec2.security_groups",
    "ec2.network_acls",
    "ec2.route_tables",
    "ec2.internet_gateways",
    "ec2.nat_gateways",
    "ec2.network_interfaces",
    "ec2.elastic_ips",
    "ec2.volumes",
    "iam.instance_profiles_in_use",
    "elbv2.load_balancers",
)
ADMIN_PATH = "EXPOSURE_ADMIN_PORT_POWERFUL_INSTANCE"
IMDS_PATH = "EXPOSURE_REACHABLE_INSTANCE_ROLE_IMDSV1"
BALANCER_PATH = "EXPOSURE_LOAD_BALANCER_WEAK_TARGET"


def _resources() -> list[Resource]:
    ctx = CollectContext(session=boto3.Session(), account=AccountContext(ACCOUNT), region=REGION)
    return [resource for name in COLLECTORS for resource in REGISTRY[name].collect(ctx)]


def _results(resources: list[Resource]) -> dict[tuple[str, str], Any]:
    """{(rule id, resource hash): result} of the exposure catalog's rules."""
    rules = tuple(rule for rule in load_catalog().rules if rule.source.endswith("exposure.yaml"))
    nodes = exposure_nodes(resources)
    return {
        (found.rule.id, resource_hash(found.resource.arn)): found.result
        for found in evaluate(Catalog(rules=rules, errors=()), [*resources, *nodes])
    }


@pytest.fixture
def account(aws) -> Account:
    return Account(REGION)


def _status(results: dict, rule_id: str, arn: str) -> str:
    return results[(rule_id, resource_hash(arn))].status


def test_full_path_fails_and_names_its_links(account):
    account.internet_route()
    ssh = account.group("ssh", 22)
    instance = account.instance(groups=[ssh], profile=account.profile("admin", ADMIN_POLICY))
    results = _results(_resources())
    assert _status(results, ADMIN_PATH, instance) == "FAIL"
    assert _status(results, IMDS_PATH, instance) == "FAIL"
    assert _status(results, "EC2_INSTANCE_WEARS_ADMIN_ROLE", instance) == "FAIL"
    evidence = results[(ADMIN_PATH, resource_hash(instance))].evidence
    steps = {step["step"]: step for step in evidence["chain"]}
    assert steps["public_address"]["kind"] == "public_ipv4"
    assert steps["route"]["kind"] == "internet_gateway"
    assert steps["instance"]["reachable_ports"] == [22]
    assert steps["role"]["admin"] is True
    assert {link["rule"] for link in evidence["built_from"]} >= {
        "EC2_SG_ADMIN_PORTS_IPV4",
        "EC2_IMDSV2_REQUIRED",
        "EC2_INSTANCE_ROLE_ADMIN",
    }
    text = json.dumps(evidence)
    assert ACCOUNT not in text
    assert "i-" not in text
    assert "sg-" not in text


def test_no_internet_gateway_route_breaks_the_path(account):
    ssh = account.group("ssh", 22)
    instance = account.instance(groups=[ssh], profile=account.profile("admin", ADMIN_POLICY))
    results = _results(_resources())
    assert _status(results, ADMIN_PATH, instance) == "PASS"
    assert _status(results, IMDS_PATH, instance) == "PASS"


def test_network_acl_deny_breaks_the_path(account):
    account.internet_route()
    account.deny_in_acl(22)
    ssh = account.group("ssh", 22)
    instance = account.instance(groups=[ssh], profile=account.profile("admin", ADMIN_POLICY))
    assert _status(_results(_resources()), ADMIN_PATH, instance) == "PASS"


def test_world_open_group_not_attached_breaks_the_path_and_is_reported_as_such(account):
    account.internet_route()
    unattached = account.group("ssh", 22)
    attached = account.group("web", 22)
    closed = account.group("closed")
    instance = account.instance(groups=[closed], profile=account.profile("admin", ADMIN_POLICY))
    account.instance(groups=[attached], profile=None, tokens="required")
    resources = _resources()
    assert _status(_results(resources), ADMIN_PATH, instance) == "PASS"
    rules = tuple(rule for rule in load_catalog().rules if rule.id == "EC2_SG_ADMIN_PORTS_IPV4")
    groups = {
        found.resource.data["GroupId"]: found.result
        for found in evaluate(Catalog(rules=rules, errors=()), resources)
        if found.result.status == "FAIL"
    }
    assert set(groups) == {unattached, attached}
    assert groups[unattached].evidence["attached"] is False
    assert groups[unattached].severity == "low"
    assert groups[attached].evidence["attached"] is True
    assert groups[attached].severity is None


def test_world_open_group_whose_attachment_is_unknown_says_so_at_the_rules_severity(account):
    group = account.group("ssh", 22)
    ctx = CollectContext(session=boto3.Session(), account=AccountContext(ACCOUNT), region=REGION)
    real_paginate = ctx.paginate

    def paginate(service, operation, result_key, **params):
        if operation == "describe_network_interfaces":
            raise Denied("ec2:DescribeNetworkInterfaces", "missing permission (AccessDenied)")
        return real_paginate(service, operation, result_key, **params)

    ctx.paginate = paginate  # type: ignore[method-assign]
    resources = REGISTRY["ec2.security_groups"].collect(ctx)
    rules = tuple(rule for rule in load_catalog().rules if rule.id == "EC2_SG_ADMIN_PORTS_IPV4")
    (found,) = [
        found
        for found in evaluate(Catalog(rules=rules, errors=()), resources)
        if found.resource.data["GroupId"] == group
    ]
    assert found.result.status == "FAIL"
    # Not "attached: false": the group may well be in use, so the catalog's severity stands.
    assert found.result.evidence["attached"] == "unknown"
    assert found.result.evidence["attached_unknown_reason"] == (
        "missing permission (AccessDenied): ec2:DescribeNetworkInterfaces"
    )
    assert found.result.severity is None


def test_private_subnet_behind_nat_only_breaks_the_path(account):
    account.nat_route()
    ssh = account.group("ssh", 22)
    instance = account.instance(
        groups=[ssh], profile=account.profile("admin", ADMIN_POLICY), public=False
    )
    results = _results(_resources())
    assert _status(results, ADMIN_PATH, instance) == "PASS"
    assert _status(results, IMDS_PATH, instance) == "PASS"


def test_benign_role_with_imdsv2_required_breaks_the_path(account):
    account.internet_route()
    ssh = account.group("ssh", 22)
    instance = account.instance(
        groups=[ssh], profile=account.profile("reader", BENIGN_POLICY), tokens="required"
    )
    results = _results(_resources())
    assert _status(results, ADMIN_PATH, instance) == "PASS"
    assert _status(results, IMDS_PATH, instance) == "PASS"
    assert _status(results, "EC2_INSTANCE_WEARS_ADMIN_ROLE", instance) == "PASS"


def _balancer(account: Account, *, scheme: str, instance_arn: str) -> str:
    elbv2 = boto3.client("elbv2", region_name=REGION)
    second = account.ec2.create_subnet(
        VpcId=account.vpc, CidrBlock="10.0.2.0/24", AvailabilityZone=f"{REGION}b"
    )["Subnet"]["SubnetId"]
    web = account.group("web", 80)
    balancer = elbv2.create_load_balancer(
        Name="front", Subnets=[account.subnet, second], SecurityGroups=[web], Scheme=scheme
    )["LoadBalancers"][0]
    group = elbv2.create_target_group(
        Name="app", Protocol="HTTP", Port=8080, VpcId=account.vpc, TargetType="instance"
    )["TargetGroups"][0]
    elbv2.register_targets(
        TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": instance_arn.rsplit("/", 1)[-1]}]
    )
    elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
    )
    return balancer["LoadBalancerArn"]


def test_internet_facing_balancer_to_imdsv1_instance_is_a_path(account):
    account.internet_route()
    closed = account.group("closed")
    instance = account.instance(
        groups=[closed], profile=account.profile("reader", BENIGN_POLICY), public=False
    )
    balancer = _balancer(account, scheme="internet-facing", instance_arn=instance)
    results = _results(_resources())
    assert _status(results, BALANCER_PATH, balancer) == "FAIL"
    # Reachable through the balancer on the target port: the IMDSv1 path fires on the instance.
    assert _status(results, IMDS_PATH, instance) == "FAIL"
    assert _status(results, ADMIN_PATH, instance) == "PASS"


def test_internal_balancer_is_no_path(account):
    account.internet_route()
    closed = account.group("closed")
    instance = account.instance(
        groups=[closed], profile=account.profile("reader", BENIGN_POLICY), public=False
    )
    balancer = _balancer(account, scheme="internal", instance_arn=instance)
    results = _results(_resources())
    assert _status(results, BALANCER_PATH, balancer) == "PASS"
    assert _status(results, IMDS_PATH, instance) == "PASS"


def test_all_traffic_from_the_world_reaches_every_port(account):
    account.internet_route()
    everything = account.group("everything")
    account.ec2.authorize_security_group_ingress(
        GroupId=everything,
        IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    instance = account.instance(
        groups=[everything], profile=account.profile("admin", ADMIN_POLICY), tokens="required"
    )
    result = _results(_resources())[(ADMIN_PATH, resource_hash(instance))]
    assert result.status == "FAIL"
    steps = {step["step"]: step for step in result.evidence["chain"]}
    assert steps["instance"]["all_ports"] is True
    assert steps["instance"]["reachable_ports"] == [22, 3389]
    assert {link["rule"] for link in result.evidence["built_from"]} >= {"EC2_SG_ALL_TRAFFIC_OPEN"}


def test_a_port_open_to_ipv6_only_does_not_reach_an_ipv4_only_instance(account):
    account.internet_route()
    ipv6_ssh = account.group("ipv6-ssh")
    account.ec2.authorize_security_group_ingress(
        GroupId=ipv6_ssh,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            }
        ],
    )
    instance = account.instance(groups=[ipv6_ssh], profile=account.profile("admin", ADMIN_POLICY))
    results = _results(_resources())
    assert _status(results, ADMIN_PATH, instance) == "PASS"
    assert _status(results, IMDS_PATH, instance) == "PASS"
