"""EKS managed node groups and add-ons, each carrying its cluster's Kubernetes version.

The cluster list and DescribeCluster come from the unit's memo, so they cost no request beyond
those eks.clusters makes, and version-skew rules need nothing but the node group itself.
Add-ons are a collector of their own because ListAddons is not answered everywhere (moto lacks
it): its Unavailable must leave only the add-on rules not evaluated, not the node-group rules.

Node groups also carry `NodeRole` (what the node IAM role's policies allow: `AdminEquivalent`,
`IamEscalation`, `EcrWrite`, `PolicyCount`), read once per scan and role, and `Subnets`
(`count`, `public` with a default route to an internet gateway, `auto_assign_public_ip`,
`unknown` not found in the region's listing), from one DescribeSubnets and one
DescribeRouteTables per region.
"""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from scans.collection.aws import error_code
from scans.collection.collectors import register
from scans.collection.context import CollectContext, CollectionError
from scans.collection.iam_policies import (
    ECR_WRITE_ACTIONS,
    IAM_ESCALATION_ACTIONS,
    policy_allows_any,
    policy_grants_full_admin,
)
from scans.collection.iam_roles import role_documents
from securescope.resources import Resource

PAGE_SIZE = 100


def _unless_deleted(fetch: Callable[..., Any], *args: Any, **params: Any) -> Any:
    """The result, or None when the item was deleted between listing and this call."""
    try:
        return fetch(*args, **params)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise


def _cluster_version(
    ctx: CollectContext, cluster_name: str
) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The fields to add to each item of the cluster, and the reasons of those that could not
    be read; None when the cluster is gone."""
    try:
        response = _unless_deleted(ctx.call, "eks", "describe_cluster", name=cluster_name)
    except CollectionError as error:
        return {}, {"clusterVersion": error.summary}
    if response is None:
        return None
    return {"clusterVersion": response["cluster"].get("version")}, {}


def _collect_per_cluster(
    ctx: CollectContext,
    *,
    resource_type: str,
    list_operation: str,
    list_key: str,
    describe_operation: str,
    name_param: str,
    item_key: str,
    arn_key: str,
) -> list[Resource]:

    def read(cluster_name: str) -> list[Resource]:
        names = _unless_deleted(
            ctx.paginate,
            "eks",
            list_operation,
            list_key,
            clusterName=cluster_name,
            PaginationConfig={"PageSize": PAGE_SIZE},
        )
        if not names:
            return []
        cluster = _cluster_version(ctx, cluster_name)
        if cluster is None:
            return []
        cluster_fields, missing = cluster
        resources = []
        for name in names:
            response = _unless_deleted(
                ctx.call, "eks", describe_operation, clusterName=cluster_name, **{name_param: name}
            )
            if response is None:
                continue
            item = response[item_key]
            resources.append(
                ctx.resource(
                    resource_type, item[arn_key], {**item, **cluster_fields}, missing=missing
                )
            )
        return resources

    clusters = ctx.paginate("eks", "list_clusters", "clusters")
    return [resource for found in ctx.fan_out("eks", read, clusters) for resource in found]


@register(
    "eks.nodegroups",
    service="eks",
    scope="region",
    resource_types={
        "AWS::EKS::Nodegroup": "the ARN DescribeNodegroup returns",
    },
    permissions=(
        "eks:ListClusters",
        "eks:DescribeCluster",
        "eks:ListNodegroups",
        "eks:DescribeNodegroup",
        "ec2:DescribeSubnets",
        "ec2:DescribeRouteTables",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
    ),
)
def collect_nodegroups(ctx: CollectContext) -> list[Resource]:
    nodegroups = _collect_per_cluster(
        ctx,
        resource_type="AWS::EKS::Nodegroup",
        list_operation="list_nodegroups",
        list_key="nodegroups",
        describe_operation="describe_nodegroup",
        name_param="nodegroupName",
        item_key="nodegroup",
        arn_key="nodegroupArn",
    )
    if not nodegroups:
        return []
    subnets = _public_subnets(ctx)
    enriched = []
    for nodegroup in nodegroups:
        data, missing = dict(nodegroup.data), dict(nodegroup.missing)
        if isinstance(subnets, str):
            missing["Subnets"] = subnets
        else:
            data["Subnets"] = _subnet_exposure(data.get("subnets") or [], subnets)
        try:
            data["NodeRole"] = _node_role(ctx, data.get("nodeRole"))
        except CollectionError as error:
            missing["NodeRole"] = error.summary
        enriched.append(replace(nodegroup, data=data, missing=missing))
    return enriched


SubnetFacts = dict[str, dict[str, bool]]


def _public_subnets(ctx: CollectContext) -> SubnetFacts | str:
    """Each subnet's `public` (its route table sends 0.0.0.0/0 or ::/0 to an internet gateway)
    and `auto_assign` (MapPublicIpOnLaunch), by subnet id; or why they could not be read."""
    try:
        subnets = ctx.paginate("ec2", "describe_subnets", "Subnets")
        tables = ctx.paginate("ec2", "describe_route_tables", "RouteTables")
    except CollectionError as error:
        return error.summary
    explicit: dict[str, dict] = {}
    main: dict[str, dict] = {}
    for table in tables:
        for association in table.get("Associations", []):
            if association.get("SubnetId"):
                explicit[association["SubnetId"]] = table
            elif association.get("Main"):
                main[table.get("VpcId")] = table
    facts: SubnetFacts = {}
    for subnet in subnets:
        table = explicit.get(subnet["SubnetId"]) or main.get(subnet.get("VpcId")) or {}
        facts[subnet["SubnetId"]] = {
            "public": any(
                str(route.get("GatewayId", "")).startswith("igw-")
                and (
                    route.get("DestinationCidrBlock") == "0.0.0.0/0"
                    or route.get("DestinationIpv6CidrBlock") == "::/0"
                )
                for route in table.get("Routes", [])
            ),
            "auto_assign": bool(subnet.get("MapPublicIpOnLaunch")),
        }
    return facts


def _subnet_exposure(subnet_ids: list[str], facts: SubnetFacts) -> dict[str, int]:
    known = [facts[subnet] for subnet in subnet_ids if subnet in facts]
    return {
        "count": len(subnet_ids),
        "public": sum(fact["public"] for fact in known),
        "auto_assign_public_ip": sum(fact["auto_assign"] for fact in known),
        "unknown": len(subnet_ids) - len(known),
    }


def _node_role(ctx: CollectContext, role_arn: str | None) -> dict[str, Any] | None:
    """What the node role's policies allow; None when the node group names no role, or the
    role is gone. Raises when a call was refused."""
    if not role_arn:
        return None
    documents = role_documents(ctx, role_arn)
    if documents is None:
        return None
    return {
        "AdminEquivalent": any(policy_grants_full_admin(document) for document in documents),
        "IamEscalation": any(policy_allows_any(d, IAM_ESCALATION_ACTIONS) for d in documents),
        "EcrWrite": any(policy_allows_any(d, ECR_WRITE_ACTIONS) for d in documents),
        "PolicyCount": len(documents),
    }


@register(
    "eks.addons",
    service="eks",
    scope="region",
    resource_types={
        "AWS::EKS::Addon": "the ARN DescribeAddon returns",
    },
    permissions=(
        "eks:ListClusters",
        "eks:DescribeCluster",
        "eks:ListAddons",
        "eks:DescribeAddon",
        "eks:DescribeAddonVersions",
    ),
)
def collect_addons(ctx: CollectContext) -> list[Resource]:
    addons = _collect_per_cluster(
        ctx,
        resource_type="AWS::EKS::Addon",
        list_operation="list_addons",
        list_key="addons",
        describe_operation="describe_addon",
        name_param="addonName",
        item_key="addon",
        arn_key="addonArn",
    )
    return [_with_default_version(ctx, addon) for addon in addons]


def _with_default_version(ctx: CollectContext, addon: Resource) -> Resource:
    """The add-on with `DefaultVersion`: the version EKS installs by default for the add-on on
    the cluster's Kubernetes version.

    One DescribeAddonVersions per (add-on, Kubernetes version): clusters that share both share
    the answer through the unit's memo.
    """
    if not addon.data.get("clusterVersion"):
        return addon
    try:
        response = ctx.call(
            "eks",
            "describe_addon_versions",
            addonName=addon.data["addonName"],
            kubernetesVersion=addon.data["clusterVersion"],
        )
    except CollectionError as error:
        return replace(addon, missing={**addon.missing, "DefaultVersion": error.summary})
    default = next(
        (
            version["addonVersion"]
            for info in response.get("addons", [])
            for version in info.get("addonVersions", [])
            if any(c.get("defaultVersion") for c in version.get("compatibilities", []))
        ),
        None,
    )
    return replace(addon, data={**addon.data, "DefaultVersion": default})
