"""EKS clusters, as DescribeCluster returns them."""

from scans.collectors import register
from scans.collectors.context import CollectContext
from scans.inventory import Resource


@register(
    "eks.clusters",
    service="eks",
    scope="region",
    resource_types=("AWS::EKS::Cluster",),
    permissions=("eks:ListClusters", "eks:DescribeCluster"),
)
def collect_clusters(ctx: CollectContext) -> list[Resource]:
    resources = []
    for name in ctx.paginate("eks", "list_clusters", "clusters"):
        cluster = ctx.call("eks", "describe_cluster", name=name)["cluster"]
        arn = cluster.get("arn") or ctx.arn("eks", f"cluster/{name}")
        resources.append(ctx.resource("AWS::EKS::Cluster", arn, cluster))
    return resources
