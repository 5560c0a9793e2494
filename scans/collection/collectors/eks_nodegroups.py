"""EKS managed node groups and add-ons, each carrying its cluster's Kubernetes version.

The cluster list and DescribeCluster come from the unit's memo, so they cost no request beyond
those eks.clusters makes, and version-skew rules need nothing but the node group itself.
Add-ons are a collector of their own because ListAddons is not answered everywhere (moto lacks
it): its Unavailable must leave only the add-on rules not evaluated, not the node-group rules.
"""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from scans.collection.aws import error_code
from scans.collection.collectors import register
from scans.collection.context import CollectContext, CollectionError
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
    resources = []
    for cluster_name in ctx.paginate("eks", "list_clusters", "clusters"):
        names = _unless_deleted(
            ctx.paginate,
            "eks",
            list_operation,
            list_key,
            clusterName=cluster_name,
            PaginationConfig={"PageSize": PAGE_SIZE},
        )
        if not names:
            continue
        cluster = _cluster_version(ctx, cluster_name)
        if cluster is None:
            continue
        cluster_fields, missing = cluster
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
    ),
)
def collect_nodegroups(ctx: CollectContext) -> list[Resource]:
    return _collect_per_cluster(
        ctx,
        resource_type="AWS::EKS::Nodegroup",
        list_operation="list_nodegroups",
        list_key="nodegroups",
        describe_operation="describe_nodegroup",
        name_param="nodegroupName",
        item_key="nodegroup",
        arn_key="nodegroupArn",
    )


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
