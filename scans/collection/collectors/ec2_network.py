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
    resource_types={
        "AWS::EC2::NetworkAcl": (
            "`arn:aws:ec2:REGION:OWNER:network-acl/acl-...` (OWNER: the owning account)"
        ),
    },
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
    resource_types={
        "AWS::EC2::VPC": "`arn:aws:ec2:REGION:OWNER:vpc/vpc-...`",
    },
    permissions=("ec2:DescribeVpcs", "ec2:DescribeFlowLogs"),
)
def collect_vpcs(ctx: CollectContext) -> list[Resource]:
    """Each VPC with `FlowLogs`: the flow logs whose resource is the VPC itself.

    Flow logs on a subnet or interface do not cover the whole VPC and are left out. One listing of
    the region's flow logs replaces a call per VPC.
    """
    vpcs = ctx.paginate("ec2", "describe_vpcs", "Vpcs", PaginationConfig={"PageSize": PAGE_SIZE})
    by_resource: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    missing: dict[str, str] = {}
    try:
        flow_logs = ctx.paginate(
            "ec2", "describe_flow_logs", "FlowLogs", PaginationConfig={"PageSize": PAGE_SIZE}
        )
    except (Denied, Unavailable) as error:
        missing["FlowLogs"] = error.summary
    else:
        for flow_log in flow_logs:
            by_resource[flow_log.get("ResourceId", "")].append(flow_log)
    resources = []
    for vpc in vpcs:
        # The listed dicts are memoized and shared with other collectors: build new ones.
        data = {**vpc, "OwnedByScannedAccount": _owned(ctx, vpc)}
        if not missing:
            data["FlowLogs"] = by_resource[vpc["VpcId"]]
        arn = _owned_arn(ctx, vpc, f"vpc/{vpc['VpcId']}")
        resources.append(ctx.resource("AWS::EC2::VPC", arn, data, missing=missing))
    return resources
