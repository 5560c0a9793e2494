"""EKS collectors to findings against moto: clusters, node groups, the IAM OIDC provider,
and add-ons (through botocore's Stubber, since moto has no ListAddons).

The version rules run on a calendar built relative to today, so the test does not age; the
catalog's own calendar is exercised by the crafted cases.
"""

from dataclasses import replace
from datetime import timedelta

import boto3
from botocore.stub import Stubber
from django.utils import timezone

from rules.engine import evaluate
from rules.loading import load_catalog
from rules.schema import Catalog
from scans.collection.collectors import REGISTRY, eks_nodegroups
from scans.collection.context import CollectContext
from scans.collection.inventory import AccountContext
from securescope.resources import Resource
from testing.aws import seed_region

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/eks"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALL_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
VERSION_RULES = (
    "EKS_VERSION_DRIFT_CLUSTER",
    "EKS_VERSION_EXTENDED_SUPPORT",
    "EKS_VERSION_EOS_SOON",
)


def _calendar() -> dict:
    today = timezone.now().date()

    def window(standard_days: int) -> dict:
        return {
            "end_of_standard_support": (today + timedelta(days=standard_days)).isoformat(),
            "end_of_extended_support": (today + timedelta(days=standard_days + 365)).isoformat(),
        }

    return {
        "1.30": window(-800),  # unsupported
        "1.31": window(-30),  # extended support
        "1.32": window(30),  # standard support, ending soon
        "1.33": window(300),  # standard support
    }


def eks_rules() -> tuple:
    rules = []
    for rule in load_catalog().rules:
        if rule.service != "eks":
            continue
        if rule.id in VERSION_RULES:
            rule = replace(rule, params={**rule.params, "versions": _calendar()})
        rules.append(rule)
    return tuple(rules)


def collect(session: boto3.Session, *names: str) -> list[Resource]:
    ctx = CollectContext(session=session, account=AccountContext(ACCOUNT_ID), region=REGION)
    return [resource for name in names for resource in REGISTRY[name].collect(ctx)]


def statuses(resources: list[Resource]) -> dict[tuple[str, str], str]:
    """(rule id, cluster or node-group name) -> status."""
    return {
        (
            evaluation.rule.id,
            evaluation.resource.data.get("nodegroupName") or evaluation.resource.data["name"],
        ): evaluation.result.status
        for evaluation in evaluate(Catalog(rules=eks_rules(), errors=()), resources)
    }


def create_cluster(name: str, version: str, **options) -> dict:
    eks = boto3.client("eks", region_name=REGION)
    return eks.create_cluster(
        name=name,
        version=version,
        roleArn=ROLE,
        resourcesVpcConfig=options.pop("resourcesVpcConfig", {"subnetIds": ["subnet-1"]}),
        **options,
    )["cluster"]


def register_oidc_provider(cluster_name: str) -> None:
    eks = boto3.client("eks", region_name=REGION)
    issuer = eks.describe_cluster(name=cluster_name)["cluster"]["identity"]["oidc"]["issuer"]
    boto3.client("iam", region_name="us-east-1").create_open_id_connect_provider(
        Url="https://" + issuer.removeprefix("https://"),
        ThumbprintList=["a" * 40],
        ClientIDList=["sts.amazonaws.com"],
    )


def create_nodegroup(cluster: str, name: str, version: str, **options) -> None:
    boto3.client("eks", region_name=REGION).create_nodegroup(
        clusterName=cluster,
        nodegroupName=name,
        subnets=["subnet-1"],
        nodeRole=f"arn:aws:iam::{ACCOUNT_ID}:role/node",
        version=version,
        **options,
    )


def test_cluster_rules_from_collector_to_finding(aws):
    seed_region(REGION)
    create_cluster(
        "hardened",
        "1.33",
        resourcesVpcConfig={
            "subnetIds": ["subnet-1"],
            "endpointPublicAccess": False,
            "endpointPrivateAccess": True,
        },
        logging={"clusterLogging": [{"types": ALL_LOG_TYPES, "enabled": True}]},
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": KEY_ARN}}],
    )
    create_cluster("extended", "1.31")
    create_cluster("ending", "1.32")
    create_cluster("unsupported", "1.30")
    create_cluster("future", "1.40")

    clusters = collect(boto3.Session(), "eks.clusters")
    found = statuses(clusters)

    # No IAM OIDC provider exists yet for any issuer.
    assert {r.data["IamOidcProviderRegistered"] for r in clusters} == {False}
    expected = {
        ("EKS_ENDPOINT_PUBLIC_ENABLED", "open-cluster"): "FAIL",
        ("EKS_ENDPOINT_PUBLIC_ENABLED", "tight-cluster"): "PASS",
        ("EKS_ENDPOINT_PRIVATE_DISABLED", "open-cluster"): "FAIL",
        ("EKS_ENDPOINT_PRIVATE_DISABLED", "hardened"): "PASS",
        ("EKS_AUDIT_LOG_DISABLED", "open-cluster"): "FAIL",
        ("EKS_AUDIT_LOG_DISABLED", "tight-cluster"): "PASS",
        # moto answers encryptionConfig [] for a cluster without secrets encryption.
        ("EKS_SECRETS_NOT_ENCRYPTED", "open-cluster"): "FAIL",
        ("EKS_SECRETS_NOT_ENCRYPTED", "hardened"): "PASS",
        # No OIDC provider, and moto cannot say whether Pod Identity is used instead.
        ("EKS_IRSA_NOT_CONFIGURED", "hardened"): "NOT_EVALUATED",
        # moto's default version 1.19 is older than anything in the calendar.
        ("EKS_VERSION_DRIFT_CLUSTER", "open-cluster"): "FAIL",
        ("EKS_VERSION_DRIFT_CLUSTER", "unsupported"): "FAIL",
        ("EKS_VERSION_DRIFT_CLUSTER", "extended"): "PASS",
        ("EKS_VERSION_EXTENDED_SUPPORT", "extended"): "FAIL",
        ("EKS_VERSION_EXTENDED_SUPPORT", "hardened"): "PASS",
        ("EKS_VERSION_DRIFT_CLUSTER", "ending"): "PASS",
        ("EKS_VERSION_DRIFT_CLUSTER", "hardened"): "PASS",
        ("EKS_VERSION_DRIFT_CLUSTER", "future"): "NOT_EVALUATED",
        ("EKS_VERSION_EOS_SOON", "ending"): "FAIL",
        ("EKS_VERSION_EOS_SOON", "hardened"): "PASS",
        ("EKS_VERSION_EOS_SOON", "future"): "NOT_EVALUATED",
    }
    assert {key: found.get(key) for key in expected} == expected
    # Out of standard support already: only the drift rule speaks.
    assert ("EKS_VERSION_EOS_SOON", "extended") not in found
    assert ("EKS_VERSION_EOS_SOON", "open-cluster") not in found


def test_version_drift_evidence_says_extended_or_unsupported(aws):
    create_cluster("extended", "1.31")
    create_cluster("unsupported", "1.30")
    evidence = {
        evaluation.resource.data["name"]: evaluation.result.evidence
        for evaluation in evaluate(
            Catalog(
                rules=tuple(r for r in eks_rules() if r.id == "EKS_VERSION_DRIFT_CLUSTER"),
                errors=(),
            ),
            collect(boto3.Session(), "eks.clusters"),
        )
    }
    assert evidence["extended"]["support_status"] == "extended_support"
    assert evidence["unsupported"]["support_status"] == "unsupported"
    assert evidence["extended"]["support_data_checked"] == "2026-11-27"


def test_nodegroup_rules_from_collector_to_finding(aws):
    create_cluster("prod", "1.33")
    # moto's defaults: AL2_x86_64 and an SSH key with no source security groups.
    create_nodegroup("prod", "legacy", "1.30")
    create_nodegroup(
        "prod",
        "current",
        "1.33",
        amiType="AL2023_x86_64_STANDARD",
        remoteAccess={"ec2SshKey": "ops", "sourceSecurityGroups": ["sg-0123456789abcdef0"]},
    )
    create_nodegroup("prod", "ahead", "1.34", amiType="BOTTLEROCKET_x86_64")
    create_nodegroup("prod", "one-behind", "1.32", amiType="AL2023_ARM_64_STANDARD")

    found = statuses(collect(boto3.Session(), "eks.nodegroups"))

    expected = {
        ("EKS_NODEGROUP_VERSION_SKEW", "legacy"): "FAIL",
        ("EKS_NODEGROUP_VERSION_SKEW", "ahead"): "FAIL",
        ("EKS_NODEGROUP_VERSION_SKEW", "one-behind"): "PASS",
        ("EKS_NODEGROUP_VERSION_SKEW", "current"): "PASS",
        ("EKS_NODEGROUP_AL2_AMI", "legacy"): "FAIL",
        ("EKS_NODEGROUP_AL2_AMI", "current"): "PASS",
        ("EKS_NODEGROUP_AL2_AMI", "ahead"): "PASS",
        ("EKS_NODEGROUP_SSH_OPEN", "legacy"): "FAIL",
        ("EKS_NODEGROUP_SSH_OPEN", "current"): "PASS",
        ("EKS_NODEGROUP_REMOTE_ACCESS", "current"): "FAIL",
    }
    assert {key: found.get(key) for key in expected} == expected


def test_registered_oidc_provider_passes_irsa(aws):
    create_cluster("prod", "1.33")
    register_oidc_provider("prod")

    (cluster,) = collect(boto3.Session(), "eks.clusters")

    assert cluster.data["IamOidcProviderRegistered"] is True
    assert statuses([cluster])[("EKS_IRSA_NOT_CONFIGURED", "prod")] == "PASS"


def test_oidc_providers_denied_leaves_irsa_not_evaluated(aws):
    create_cluster("prod", "1.33")
    ctx = CollectContext(session=boto3.Session(), account=AccountContext(ACCOUNT_ID), region=REGION)
    with Stubber(ctx.client("iam", "us-east-1")) as iam:
        iam.add_client_error("list_open_id_connect_providers", "AccessDenied", http_status_code=403)
        (cluster,) = REGISTRY["eks.clusters"].collect(ctx)

    found = statuses([cluster])
    assert "IamOidcProviderRegistered" not in cluster.data
    assert cluster.missing["IamOidcProviderRegistered"] == (
        "missing permission (AccessDenied): iam:ListOpenIDConnectProviders"
    )
    assert ctx.permissions["iam:ListOpenIDConnectProviders"] == "denied"
    assert found[("EKS_IRSA_NOT_CONFIGURED", "prod")] == "NOT_EVALUATED"
    # The other cluster rules still have their data.
    assert found[("EKS_SECRETS_NOT_ENCRYPTED", "prod")] == "FAIL"


def test_no_cluster_means_no_iam_call(aws):
    ctx = CollectContext(session=boto3.Session(), account=AccountContext(ACCOUNT_ID), region=REGION)
    assert REGISTRY["eks.clusters"].collect(ctx) == []
    assert ctx.api_calls["iam:ListOpenIDConnectProviders"] == 0


def addon_versions(name: str, default: str, newer: str) -> dict:
    """DescribeAddonVersions for one add-on: a newer build, and the default for 1.33."""
    return {
        "addons": [
            {
                "addonName": name,
                "addonVersions": [
                    {
                        "addonVersion": version,
                        "compatibilities": [
                            {"clusterVersion": "1.33", "defaultVersion": version == default}
                        ],
                    }
                    for version in (newer, default)
                ],
            }
        ]
    }


def test_addon_rule_from_collector_to_finding():
    # moto has no ListAddons, so the EKS answers come from botocore's Stubber.
    ctx = CollectContext(session=boto3.Session(), account=AccountContext(ACCOUNT_ID), region=REGION)
    installed = {"vpc-cni": "v1.18.0-eksbuild.1", "kube-proxy": "v1.33.0-eksbuild.2"}
    defaults = {"vpc-cni": "v1.19.0-eksbuild.1", "kube-proxy": "v1.33.0-eksbuild.2"}
    with Stubber(ctx.client("eks")) as stub:
        stub.add_response("list_clusters", {"clusters": ["prod"]}, {})
        stub.add_response(
            "list_addons",
            {"addons": list(installed)},
            {"clusterName": "prod", "maxResults": eks_nodegroups.PAGE_SIZE},
        )
        stub.add_response("describe_cluster", {"cluster": {"name": "prod", "version": "1.33"}})
        for name, version in installed.items():
            stub.add_response(
                "describe_addon",
                {
                    "addon": {
                        "addonName": name,
                        "clusterName": "prod",
                        "addonArn": f"arn:aws:eks:{REGION}:{ACCOUNT_ID}:addon/prod/{name}/ab12",
                        "addonVersion": version,
                        "status": "ACTIVE",
                    }
                },
                {"clusterName": "prod", "addonName": name},
            )
        for name, default in defaults.items():
            stub.add_response(
                "describe_addon_versions",
                addon_versions(name, default, newer="v9.9.9-eksbuild.1"),
                {"addonName": name, "kubernetesVersion": "1.33"},
            )
        addons = REGISTRY["eks.addons"].collect(ctx)
        stub.assert_no_pending_responses()

    rule = next(rule for rule in eks_rules() if rule.id == "EKS_ADDON_OUTDATED")
    results = {
        evaluation.resource.data["addonName"]: evaluation.result
        for evaluation in evaluate(Catalog(rules=(rule,), errors=()), addons)
    }
    assert {name: result.status for name, result in results.items()} == {
        "vpc-cni": "FAIL",
        "kube-proxy": "PASS",
    }
    # Behind EKS's default for the cluster's version, not merely behind the newest build.
    assert results["vpc-cni"].evidence["default_version"] == "v1.19.0-eksbuild.1"
    assert results["vpc-cni"].evidence["cluster_version"] == "1.33"
