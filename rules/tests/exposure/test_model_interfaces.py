"""Network interfaces that no instance owns are nodes of the exposure model: reached through
their own public address, route, network ACL and security groups, link by link on moto."""

import json

import pytest

from rules.engine import evaluate
from rules.exposure.model import INTERFACE_NODE, exposure_nodes
from rules.loading import load_catalog
from rules.schema import Catalog
from rules.tests.exposure.test_model import ACCOUNT, REGION, _resources, _results, _status
from securescope.privacy import resource_hash
from securescope.resources import Resource
from testing.exposure import Account

pytestmark = pytest.mark.moto

INTERFACE_PATH = "EXPOSURE_REACHABLE_INTERFACE_RISKY_PORT"


@pytest.fixture
def account(aws) -> Account:
    return Account(REGION)


def _loose_interface(account: Account, groups: list[str], *, elastic_ip: bool = True) -> str:
    interface = account.ec2.create_network_interface(SubnetId=account.subnet, Groups=groups)[
        "NetworkInterface"
    ]["NetworkInterfaceId"]
    if elastic_ip:
        allocation = account.ec2.allocate_address(Domain="vpc")["AllocationId"]
        account.ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=interface)
    return f"arn:aws:ec2:{REGION}:{ACCOUNT}:network-interface/{interface}"


def test_loose_interface_with_an_elastic_ip_and_a_world_open_port_is_a_path(account):
    account.internet_route()
    database = account.group("database", 5432)
    interface = _loose_interface(account, [database])
    results = _results(_resources())
    assert _status(results, INTERFACE_PATH, interface) == "FAIL"
    evidence = results[(INTERFACE_PATH, resource_hash(interface))].evidence
    steps = {step["step"]: step for step in evidence["chain"]}
    assert steps["public_address"]["kind"] == "elastic_ip"
    assert steps["route"]["kind"] == "internet_gateway"
    assert steps["network_interface"]["reachable_ports"] == [5432]
    assert steps["network_interface"]["attached"] is False
    assert [link["rule"] for link in evidence["built_from"]] == ["EC2_SG_HIGH_RISK_PORTS"]
    text = json.dumps(evidence)
    assert ACCOUNT not in text
    assert "eni-" not in text
    assert "sg-" not in text


def test_no_internet_gateway_route_breaks_the_interface_path(account):
    database = account.group("database", 5432)
    interface = _loose_interface(account, [database])
    assert _status(_results(_resources()), INTERFACE_PATH, interface) == "PASS"


def test_no_public_address_breaks_the_interface_path(account):
    account.internet_route()
    database = account.group("database", 5432)
    interface = _loose_interface(account, [database], elastic_ip=False)
    assert _status(_results(_resources()), INTERFACE_PATH, interface) == "PASS"


def test_network_acl_deny_breaks_the_interface_path(account):
    account.internet_route()
    account.deny_in_acl(22)
    ssh = account.group("ssh", 22)
    interface = _loose_interface(account, [ssh])
    assert _status(_results(_resources()), INTERFACE_PATH, interface) == "PASS"


def test_an_instances_interface_is_in_the_instance_node_only(account):
    account.internet_route()
    ssh = account.group("ssh", 22)
    account.instance(groups=[ssh], profile=None)
    nodes = exposure_nodes(_resources())
    assert [node for node in nodes if node.type == INTERFACE_NODE] == []


def test_interfaces_not_listed_leave_the_interface_path_not_evaluated():
    reason = "missing permission (AccessDenied): ec2:DescribeNetworkInterfaces"
    stand_in = Resource(
        type="AWS::EC2::NetworkInterface",
        arn=f"arn:aws:ec2:{REGION}::not-collected/AWS::EC2::NetworkInterface",
        region=REGION,
        not_collected=reason,
    )
    nodes = [node for node in exposure_nodes([stand_in]) if node.type == INTERFACE_NODE]
    rules = tuple(rule for rule in load_catalog().rules if rule.id == INTERFACE_PATH)
    (found,) = evaluate(Catalog(rules=rules, errors=()), nodes)
    assert found.result.status == "NOT_EVALUATED"
    assert found.result.evidence == {"reason": reason}
