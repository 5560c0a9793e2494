"""Elastic Load Balancing v2: load balancers with their listeners, target groups and the health
of each target, the link from the internet to the instances behind an internet-facing one."""

from typing import Any

from django.conf import settings

from scans.collection.collectors import register
from scans.collection.context import CollectContext, CollectionError
from securescope.resources import Resource

# DescribeLoadBalancers and DescribeTargetGroups take at most 400 per page.
PAGE_SIZE = 400


@register(
    "elbv2.load_balancers",
    service="elbv2",
    scope="region",
    resource_types={"AWS::ElasticLoadBalancingV2::LoadBalancer": "the LoadBalancerArn"},
    permissions=(
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
    ),
)
def collect_load_balancers(ctx: CollectContext) -> list[Resource]:
    """Each load balancer with `Listeners` and `TargetGroups` (each with `Targets`, the
    DescribeTargetHealth descriptions); a refused per-balancer call puts the field in
    `Resource.missing`, so a path through it is not evaluated rather than judged absent."""
    balancers = ctx.paginate(
        "elbv2",
        "describe_load_balancers",
        "LoadBalancers",
        PaginationConfig={"PageSize": PAGE_SIZE},
    )
    balancers = ctx.capped(balancers, cap=settings.SCAN_PER_ITEM_CALL_CAP, what="load balancers")
    resources = []
    for balancer in balancers:
        arn = balancer["LoadBalancerArn"]
        data: dict[str, Any] = dict(balancer)
        missing: dict[str, str] = {}
        try:
            data["Listeners"] = ctx.paginate(
                "elbv2", "describe_listeners", "Listeners", LoadBalancerArn=arn
            )
        except CollectionError as error:
            missing["Listeners"] = error.summary
        try:
            data["TargetGroups"] = _target_groups(ctx, arn)
        except CollectionError as error:
            missing["TargetGroups"] = error.summary
        resources.append(
            ctx.resource("AWS::ElasticLoadBalancingV2::LoadBalancer", arn, data, missing=missing)
        )
    return resources


def _target_groups(ctx: CollectContext, balancer_arn: str) -> list[dict[str, Any]]:
    groups = ctx.paginate(
        "elbv2", "describe_target_groups", "TargetGroups", LoadBalancerArn=balancer_arn
    )
    return [
        {
            **group,
            "Targets": ctx.call(
                "elbv2", "describe_target_health", TargetGroupArn=group["TargetGroupArn"]
            )["TargetHealthDescriptions"],
        }
        for group in groups
    ]
