"""EKS clusters, as DescribeCluster returns them."""

import boto3

from scans.aws import client
from scans.collectors import register
from scans.inventory import AccountContext, Resource


@register(
    "eks.clusters",
    service="eks",
    scope="region",
    permissions=("eks:ListClusters", "eks:DescribeCluster"),
)
def collect_clusters(
    session: boto3.Session, region: str, account: AccountContext
) -> list[Resource]:
    eks = client(session, "eks", region)
    resources = []
    for page in eks.get_paginator("list_clusters").paginate():
        for name in page["clusters"]:
            cluster = eks.describe_cluster(name=name)["cluster"]
            resources.append(
                Resource(
                    type="AWS::EKS::Cluster",
                    arn=cluster.get("arn") or account.arn("eks", region, f"cluster/{name}"),
                    region=region,
                    data=cluster,
                )
            )
    return resources
