"""Cases for the EKS access rules: authentication mode, cluster-admin access entries and the
creator's implicit admin, in DescribeCluster's and the collector's shapes."""

from rules.tests.cases import Example

ADMIN_ROLE = "arn:aws:iam::123456789012:role/platform-admin"
PIPELINE_ROLE = "arn:aws:iam::123456789012:role/deploy-pipeline"
PERSON = "arn:aws:iam::123456789012:user/alice"
UNAVAILABLE = "API unavailable: eks:ListAccessEntries"


def _cluster(mode: str | None = "API", creator_admin: bool = False, **fields) -> dict:
    data = {"name": "case-cluster", "version": "1.33", **fields}
    if mode is not None:
        data["accessConfig"] = {
            "authenticationMode": mode,
            "bootstrapClusterCreatorAdminPermissions": creator_admin,
        }
    return data


CASES = {
    "EKS_AUTH_MODE_CONFIGMAP": {
        "FAIL": [_cluster("CONFIG_MAP")],
        "PASS": [_cluster("API"), _cluster("API_AND_CONFIG_MAP")],
        # moto (and older platform versions) return no accessConfig.
        "NOT_EVALUATED": [_cluster(None), {**_cluster(None), "accessConfig": {}}],
    },
    "EKS_ACCESS_ENTRY_CLUSTER_ADMIN": {
        "FAIL": [
            _cluster(
                AccessEntryCount=5, ClusterAdminPrincipals=[ADMIN_ROLE, PIPELINE_ROLE, PERSON]
            ),
        ],
        "PASS": [
            _cluster(AccessEntryCount=4, ClusterAdminPrincipals=[ADMIN_ROLE, PIPELINE_ROLE]),
            _cluster(AccessEntryCount=0, ClusterAdminPrincipals=[]),
        ],
        "NOT_EVALUATED": [
            Example(_cluster(), missing={"ClusterAdminPrincipals": UNAVAILABLE}),
            _cluster(),
        ],
        # Allowed principals do not count against the cap.
        "PARAMS": {"max_cluster_admins": 0, "allowed_principals": ["arn:aws:iam::*:role/*"]},
    },
    "EKS_BOOTSTRAP_CREATOR_ADMIN": {
        "FAIL": [_cluster("API", creator_admin=True), _cluster("CONFIG_MAP", creator_admin=True)],
        "PASS": [_cluster("API", creator_admin=False)],
        "NOT_EVALUATED": [_cluster(None)],
    },
}
