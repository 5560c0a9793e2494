"""EC2 networking: network ACLs, and VPCs with the flow logs that watch them."""

from collections import defaultdict
from typing import Any

from scans.collection.collectors import register
from scans.collection.context import CollectContext, Denied, Unavailable
from securescope.resources import Resource

# The most DescribeNetworkAcls, DescribeVpcs and DescribeFlowLogs return per page (5 to 1000).
PAGE_SIZE = 1000


def _owned_arn(ctx: CollectContext, item: dict[str, Any], resource: str) -> str:
    # A VPC or ACL shared through AWS RAM belongs to (and is named by) the owner's account.
    owner = item.get("OwnerId") or ctx.account.account_id
    return f"arn:{ctx.account.partition}:ec2:{ctx.region}:{owner}:{resource}"


def _owned(ctx: CollectContext, item: dict[str, Any]) -> bool:
    """False for a VPC or NACL another account shares in through AWS RAM: its owner's to fix."""
    return (item.get("OwnerId") or ctx.account.account_id) == ctx.account.account_id


@register(
    "ec2.network_acls",
    service="ec2",
    scope="region",
    resource_types=("AWS::EC2::NetworkAcl",),
    permissions=("ec2:DescribeNetworkAcls",),
)
def collect_network_acls(ctx: CollectContext) -> list[Resource]:
    acls = ctx.paginate(
        "ec2", "describe_network_acls", "NetworkAcls", PaginationConfig={"PageSize": PAGE_SIZE}
    )
    return [
        ctx.resource(
            "AWS::EC2::NetworkAcl",
            _owned_arn(ctx, acl, f"network-acl/{acl['NetworkAclId']}"),
            # A new dict: the memoized listing is shared with other collectors.
            {**acl, "OwnedByScannedAccount": _owned(ctx, acl)},
        )
        for acl in acls
    ]


@register(
    "ec2.vpcs",
    service="ec2",
    scope="region",
    resource_types=("AWS::EC2::VPC",),
    permissions=("ec2:DescribeVpcs", "ec2:DescribeFlowLogs"),
)
def collect_vpcs(ctx: CollectContext) -> list[Resource]:
    """Each VPC with `FlowLogs`: the flow logs whose resource is the VPC itself.

    Flow logs on a subnet or interface do not cover the whole VPC and are left out. One listing of
    the region's flow logs replaces a call per VPC.
    """
    vpcs = ctx.paginate("ec2", "describe_vpcs", "Vpcs", PaginationConfig={"PageSize": PAGE_SIZE})
    extra: dict[str, dict[str, Any]]
    try:
        flow_logs = ctx.paginate(
            "ec2", "describe_flow_logs", "FlowLogs", PaginationConfig={"PageSize": PAGE_SIZE}
        )
    except (Denied, Unavailable) as error:
        missing = {"_missing": {"FlowLogs": error.summary}}
        extra = {vpc["VpcId"]: missing for vpc in vpcs}
    else:
        by_resource: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        for flow_log in flow_logs:
            by_resource[flow_log.get("ResourceId", "")].append(flow_log)
        extra = {vpc["VpcId"]: {"FlowLogs": by_resource[vpc["VpcId"]]} for vpc in vpcs}
    # The listed dicts are memoized and shared with other collectors: build new ones.
    return [
        ctx.resource(
            "AWS::EC2::VPC",
            _owned_arn(ctx, vpc, f"vpc/{vpc['VpcId']}"),
            {**vpc, **extra[vpc["VpcId"]], "OwnedByScannedAccount": _owned(ctx, vpc)},
        )
        for vpc in vpcs
    ]
