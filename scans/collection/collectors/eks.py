"""EKS clusters, as DescribeCluster returns them, plus the fields their rules need from other
calls. A field whose call was refused is absent, with the reason in `Resource.missing`.

- `IamOidcProviderRegistered` (bool): an IAM OIDC identity provider exists for the cluster's
  issuer, which IAM roles for service accounts (IRSA) need.
- `PodIdentityAssociationCount`: EKS Pod Identity associations (ListPodIdentityAssociations).
- `AccessEntryCount` and `ClusterAdminPrincipals` (the principal ARNs associated with
  AmazonEKSClusterAdminPolicy): from ListAccessEntries, skipped (None) on a CONFIG_MAP-only
  cluster, which has no access entries.
- `VersionSupport`: the cluster version's entry of DescribeClusterVersions (`versionStatus`,
  `endOfStandardSupportDate`, `endOfExtendedSupportDate` as ISO dates), None when the version
  is not listed; the version rules fall back to their calendar without it.
- `ControlPlaneLogGroup`: whether `/aws/eks/<name>/cluster` exists, and its `retentionInDays`.
- `AddonNames`: the cluster's EKS add-ons (ListAddons, shared with the eks.addons collector).

DescribeClusterVersions and DescribeLogGroups are one paginated call per region; the others one
per cluster (ListAccessEntries twice: all entries, and those with the admin policy).
"""

from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from scans.collection.aws import GLOBAL_API_REGION, error_code
from scans.collection.collectors import register
from scans.collection.context import CollectContext, CollectionError
from securescope.resources import Resource

OIDC_PROVIDER_MARKER = ":oidc-provider/"
CLUSTER_ADMIN_POLICY = "arn:{partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
PAGE_SIZE = 100
LOG_GROUP_PREFIX = "/aws/eks/"


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


def _iso_day(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10] if value else None


def _region_wide(ctx: CollectContext) -> tuple[dict[str, Any], dict[str, str]]:
    """The region's calls every cluster shares: support by version, and control-plane log
    groups by name; each absent, with the reason, when refused."""
    shared: dict[str, Any] = {}
    refused: dict[str, str] = {}
    try:
        versions = ctx.paginate(
            "eks",
            "describe_cluster_versions",
            "clusterVersions",
            includeAll=True,
            PaginationConfig={"PageSize": PAGE_SIZE},
        )
        shared["VersionSupport"] = {
            entry["clusterVersion"]: {
                "versionStatus": entry.get("versionStatus"),
                "endOfStandardSupportDate": _iso_day(entry.get("endOfStandardSupportDate")),
                "endOfExtendedSupportDate": _iso_day(entry.get("endOfExtendedSupportDate")),
            }
            for entry in versions
            if entry.get("clusterVersion")
        }
    except CollectionError as error:
        refused["VersionSupport"] = error.summary
    try:
        groups = ctx.paginate(
            "logs", "describe_log_groups", "logGroups", logGroupNamePrefix=LOG_GROUP_PREFIX
        )
        shared["ControlPlaneLogGroup"] = {group["logGroupName"]: group for group in groups}
    except CollectionError as error:
        refused["ControlPlaneLogGroup"] = error.summary
    return shared, refused


def _per_cluster(
    ctx: CollectContext, cluster: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The cluster's pod identity associations, access entries and add-on names."""
    name = cluster["name"]
    fields: dict[str, Any] = {}
    refused: dict[str, str] = {}
    try:
        fields["PodIdentityAssociationCount"] = len(
            ctx.paginate(
                "eks",
                "list_pod_identity_associations",
                "associations",
                clusterName=name,
                PaginationConfig={"PageSize": PAGE_SIZE},
            )
        )
    except CollectionError as error:
        refused["PodIdentityAssociationCount"] = error.summary
    if (cluster.get("accessConfig") or {}).get("authenticationMode") == "CONFIG_MAP":
        fields["AccessEntryCount"] = None
        fields["ClusterAdminPrincipals"] = None
    else:
        try:
            entries = _access_entries(ctx, name, None)
            admin_policy = CLUSTER_ADMIN_POLICY.format(partition=ctx.account.partition)
            fields["AccessEntryCount"] = len(entries)
            fields["ClusterAdminPrincipals"] = _access_entries(ctx, name, admin_policy)
        except CollectionError as error:
            refused["AccessEntryCount"] = refused["ClusterAdminPrincipals"] = error.summary
    try:
        fields["AddonNames"] = ctx.paginate(
            "eks",
            "list_addons",
            "addons",
            clusterName=name,
            PaginationConfig={"PageSize": PAGE_SIZE},
        )
    except CollectionError as error:
        refused["AddonNames"] = error.summary
    return fields, refused


def _access_entries(ctx: CollectContext, cluster: str, policy: str | None) -> list[str]:
    params: dict[str, Any] = {"clusterName": cluster, "PaginationConfig": {"PageSize": PAGE_SIZE}}
    if policy:
        params["associatedPolicyArn"] = policy
    try:
        return ctx.paginate("eks", "list_access_entries", "accessEntries", **params)
    except ClientError as error:
        # A cluster whose mode changed to CONFIG_MAP meanwhile has no access entries.
        if error_code(error) == "InvalidRequestException":
            return []
        raise


@register(
    "eks.clusters",
    service="eks",
    scope="region",
    resource_types={
        "AWS::EKS::Cluster": "the ARN DescribeCluster returns",
    },
    permissions=(
        "eks:ListClusters",
        "eks:DescribeCluster",
        "eks:DescribeClusterVersions",
        "eks:ListPodIdentityAssociations",
        "eks:ListAccessEntries",
        "eks:ListAddons",
        "iam:ListOpenIDConnectProviders",
        "logs:DescribeLogGroups",
    ),
)
def collect_clusters(ctx: CollectContext) -> list[Resource]:
    names = ctx.paginate("eks", "list_clusters", "clusters")
    if not names:
        return []
    issuers: set[str] | None = None
    oidc_error: CollectionError | None = None
    try:
        issuers = _registered_oidc_issuers(ctx)
    except CollectionError as error:
        oidc_error = error
    shared, shared_refused = _region_wide(ctx)

    def read(name: str) -> Resource:
        cluster = dict(ctx.call("eks", "describe_cluster", name=name)["cluster"])
        missing = dict(shared_refused)
        if oidc_error is not None:
            missing["IamOidcProviderRegistered"] = oidc_error.summary
        else:
            cluster["IamOidcProviderRegistered"] = _issuer_path(cluster) in issuers
        if "VersionSupport" in shared:
            cluster["VersionSupport"] = shared["VersionSupport"].get(cluster.get("version"))
        if "ControlPlaneLogGroup" in shared:
            group = shared["ControlPlaneLogGroup"].get(f"{LOG_GROUP_PREFIX}{name}/cluster")
            cluster["ControlPlaneLogGroup"] = {
                "exists": group is not None,
                "retentionInDays": (group or {}).get("retentionInDays"),
            }
        fields, refused = _per_cluster(ctx, cluster)
        cluster.update(fields)
        missing.update(refused)
        arn = cluster.get("arn") or ctx.arn("eks", f"cluster/{name}")
        return ctx.resource("AWS::EKS::Cluster", arn, cluster, missing=missing)

    return ctx.fan_out("eks", read, names)
