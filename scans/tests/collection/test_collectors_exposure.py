"""The exposure model's collectors on moto: instance profiles read once per profile, a refused
IAM read kept as missing data, route tables, gateways, interfaces, addresses and balancers."""

import boto3
import pytest

from rules.exposure.model import exposure_nodes
from scans.collection.collectors import REGISTRY
from scans.collection.context import CollectContext, Denied
from scans.collection.inventory import AccountContext
from testing.exposure import ACCOUNT, ADMIN_POLICY, Account

pytestmark = pytest.mark.moto

REGION = "eu-west-1"


def _ctx() -> CollectContext:
    return CollectContext(session=boto3.Session(), account=AccountContext(ACCOUNT), region=REGION)


def test_a_profile_worn_by_two_instances_is_read_once_with_its_role_power(aws):
    account = Account(REGION)
    profile = account.profile("admin", ADMIN_POLICY)
    closed = account.group("closed")
    for _ in range(2):
        account.instance(groups=[closed], profile=profile)
    ctx = _ctx()
    (found,) = REGISTRY["iam.instance_profiles_in_use"].collect(ctx)
    (role,) = found.data["Roles"]
    assert role["AdminEquivalent"] is True
    assert role["IamEscalation"] is True
    assert role["S3ReadAll"] is True
    assert ctx.api_calls["iam:GetInstanceProfile"] == 1
    assert ctx.api_calls["iam:GetRolePolicy"] == 1


def test_a_refused_profile_read_is_missing_data_not_a_benign_role(aws):
    account = Account(REGION)
    account.internet_route()
    instance = account.instance(
        groups=[account.group("ssh", 22)],
        profile=account.profile("admin", ADMIN_POLICY),
        tokens="required",
    )
    ctx = _ctx()
    real_call = ctx.call

    def call(service, operation, **params):
        if operation == "get_instance_profile":
            raise Denied("iam:GetInstanceProfile", "missing permission (AccessDenied)")
        return real_call(service, operation, **params)

    ctx.call = call
    (profile,) = REGISTRY["iam.instance_profiles_in_use"].collect(ctx)
    assert profile.missing == {"Roles": "missing permission (AccessDenied): iam:GetInstanceProfile"}
    resources = [
        *REGISTRY["ec2.instances"].collect(ctx),
        *REGISTRY["ec2.security_groups"].collect(ctx),
        *REGISTRY["ec2.route_tables"].collect(ctx),
        *REGISTRY["ec2.internet_gateways"].collect(ctx),
        *REGISTRY["ec2.network_acls"].collect(ctx),
        profile,
    ]
    (node,) = [n for n in exposure_nodes(resources) if n.arn == instance]
    assert node.data["role"] is None
    assert node.missing == {"role": "missing permission (AccessDenied): iam:GetInstanceProfile"}


def test_routing_collectors_list_what_the_model_joins(aws):
    account = Account(REGION)
    # The NAT route takes the account's subnet table; the gateway is attached, unrouted.
    account.nat_route()
    gateway = account.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    account.ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=account.vpc)
    ctx = _ctx()
    tables = REGISTRY["ec2.route_tables"].collect(ctx)
    gateways = REGISTRY["ec2.internet_gateways"].collect(ctx)
    nats = REGISTRY["ec2.nat_gateways"].collect(ctx)
    addresses = REGISTRY["ec2.elastic_ips"].collect(ctx)
    assert any(t.data["VpcId"] == account.vpc for t in tables)
    assert any(a["VpcId"] == account.vpc for g in gateways for a in g.data["Attachments"])
    assert [n.data["VpcId"] for n in nats] == [account.vpc]
    assert len(addresses) == 1
    assert all(r.type == "AWS::EC2::RouteTable" for r in tables)
