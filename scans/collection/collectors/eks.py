"""EKS clusters, as DescribeCluster returns them, plus one derived field.

`IamOidcProviderRegistered` (bool): whether an IAM OIDC identity provider exists for the
cluster's OIDC issuer, which IAM roles for service accounts (IRSA) need. When ListOpenIDConnect-
Providers is denied or unavailable, `Resource.missing["IamOidcProviderRegistered"]` holds the
reason.
"""

from typing import Any

from scans.collection.aws import GLOBAL_API_REGION
from scans.collection.collectors import register
from scans.collection.context import CollectContext, CollectionError, Denied, Unavailable
from securescope.resources import Resource

OIDC_PROVIDER_MARKER = ":oidc-provider/"


def _registered_oidc_issuers(ctx: CollectContext) -> set[str]:
    """Issuer host and path of every IAM OIDC provider; IAM is global, so one us-east-1 call,
    shared with the global unit's OIDC collector and every other region."""
    # Not paginated in botocore: one response holds every provider.
    response = ctx.call(
        "iam", "list_open_id_connect_providers", region=GLOBAL_API_REGION, once_per_scan=True
    )
    return {
        provider["Arn"].split(OIDC_PROVIDER_MARKER, 1)[1]
        for provider in response.get("OpenIDConnectProviderList", [])
        if OIDC_PROVIDER_MARKER in provider.get("Arn", "")
    }


def _issuer_path(cluster: dict[str, Any]) -> str | None:
    issuer = cluster.get("identity", {}).get("oidc", {}).get("issuer")
    if not issuer:
        return None
    return issuer.removeprefix("https://").rstrip("/")


@register(
    "eks.clusters",
    service="eks",
    scope="region",
    resource_types={
        "AWS::EKS::Cluster": "the ARN DescribeCluster returns",
    },
    permissions=("eks:ListClusters", "eks:DescribeCluster", "iam:ListOpenIDConnectProviders"),
)
def collect_clusters(ctx: CollectContext) -> list[Resource]:
    names = ctx.paginate("eks", "list_clusters", "clusters")
    if not names:
        return []
    issuers: set[str] | None = None
    oidc_error: CollectionError | None = None
    try:
        issuers = _registered_oidc_issuers(ctx)
    except (Denied, Unavailable) as error:
        oidc_error = error
    resources = []
    for name in names:
        cluster = dict(ctx.call("eks", "describe_cluster", name=name)["cluster"])
        missing: dict[str, str] = {}
        if oidc_error is not None:
            missing["IamOidcProviderRegistered"] = oidc_error.summary
        else:
            cluster["IamOidcProviderRegistered"] = _issuer_path(cluster) in issuers
        arn = cluster.get("arn") or ctx.arn("eks", f"cluster/{name}")
        resources.append(ctx.resource("AWS::EKS::Cluster", arn, cluster, missing=missing))
    return resources
