"""The EKS access, node and operations rules from collector to finding: moto where it answers
(clusters, node groups, IAM, subnets, log groups, GuardDuty), botocore's Stubber with response
shapes from the EKS API reference where it does not (DescribeClusterVersions, access entries,
Pod Identity associations, add-ons)."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from rules.engine import evaluate
from rules.loading import load_catalog
from rules.schema import Catalog
from rules.tests.test_moto_eks import _calendar
from scans.collection.collectors import REGISTRY
from scans.collection.context import CollectContext
from scans.collection.inventory import AccountContext
from securescope.resources import Resource

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
ALL_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def new_ctx() -> CollectContext:
    return CollectContext(
        session=boto3.Session(), account=AccountContext(ACCOUNT_ID), region=REGION
    )


def statuses(resources: list[Resource], *rule_ids: str) -> dict[tuple[str, str], str]:
    """(rule id, cluster or node-group name) -> status, with the relative support calendar."""
    rules = []
    for rule in load_catalog().rules:
        if rule.id in rule_ids:
            if "versions" in rule.params:
                rule = replace(rule, params={**rule.params, "versions": _calendar()})
            rules.append(rule)
    return {
        (
            evaluation.rule.id,
            evaluation.resource.data.get("nodegroupName")
            or evaluation.resource.data.get("name")
            or evaluation.resource.type,
        ): evaluation.result.status
        for evaluation in evaluate(Catalog(rules=tuple(rules), errors=()), resources)
    }


def cluster_answer(name: str, **fields) -> dict:
    return {
        "cluster": {
            "name": name,
            "arn": f"arn:aws:eks:{REGION}:{ACCOUNT_ID}:cluster/{name}",
            "version": "1.33",
            "identity": {"oidc": {"issuer": f"https://oidc.eks.{REGION}.amazonaws.com/id/{name}"}},
            "logging": {"clusterLogging": [{"types": ALL_LOG_TYPES, "enabled": False}]},
            **fields,
        }
    }


def test_cluster_access_and_support_from_the_eks_api(aws):
    """What moto lacks, answered as EKS answers it: runtime support status beats the calendar,
    Pod Identity satisfies the identity rule without an OIDC provider, and access entries are
    counted (the principals themselves never reach the evidence)."""
    ctx = new_ctx()
    end = datetime.now(UTC) - timedelta(days=3)
    with Stubber(ctx.client("eks")) as eks:
        eks.add_response("list_clusters", {"clusters": ["prod"]})
        eks.add_response(
            "describe_cluster_versions",
            {
                "clusterVersions": [
                    {
                        "clusterVersion": "1.33",
                        "versionStatus": "UNSUPPORTED",
                        "endOfStandardSupportDate": end - timedelta(days=365),
                        "endOfExtendedSupportDate": end,
                    }
                ]
            },
            {"includeAll": True, "maxResults": 100},
        )
        eks.add_response(
            "describe_cluster",
            cluster_answer(
                "prod",
                accessConfig={
                    "authenticationMode": "API_AND_CONFIG_MAP",
                    "bootstrapClusterCreatorAdminPermissions": False,
                },
                deletionProtection=True,
            ),
            {"name": "prod"},
        )
        eks.add_response(
            "list_pod_identity_associations",
            {
                "associations": [
                    {
                        "clusterName": "prod",
                        "namespace": "payments",
                        "serviceAccount": "api",
                        "associationArn": (
                            f"arn:aws:eks:{REGION}:{ACCOUNT_ID}:podidentityassociation/prod/a-1"
                        ),
                        "associationId": "a-1",
                    }
                ]
            },
            {"clusterName": "prod", "maxResults": 100},
        )
        principals = [f"arn:aws:iam::{ACCOUNT_ID}:role/{name}" for name in ("a", "b", "c", "d")]
        eks.add_response(
            "list_access_entries",
            {"accessEntries": principals},
            {"clusterName": "prod", "maxResults": 100},
        )
        eks.add_response(
            "list_access_entries",
            {"accessEntries": principals[:3]},
            {"clusterName": "prod", "associatedPolicyArn": ADMIN_POLICY, "maxResults": 100},
        )
        eks.add_response(
            "list_addons", {"addons": ["vpc-cni"]}, {"clusterName": "prod", "maxResults": 100}
        )
        (cluster,) = REGISTRY["eks.clusters"].collect(ctx)
        eks.assert_no_pending_responses()

    assert cluster.data["VersionSupport"]["versionStatus"] == "UNSUPPORTED"
    assert cluster.data["AccessEntryCount"] == 4
    found = statuses(
        [cluster],
        "EKS_VERSION_DRIFT_CLUSTER",
        "EKS_VERSION_EOS_SOON",
        "EKS_IRSA_NOT_CONFIGURED",
        "EKS_AUTH_MODE_CONFIGMAP",
        "EKS_ACCESS_ENTRY_CLUSTER_ADMIN",
        "EKS_BOOTSTRAP_CREATOR_ADMIN",
        "EKS_DELETION_PROTECTION",
        "EKS_CORE_ADDONS_SELF_MANAGED",
    )
    assert found == {
        # The calendar would say standard support; EKS says unsupported, and wins.
        ("EKS_VERSION_DRIFT_CLUSTER", "prod"): "FAIL",
        ("EKS_IRSA_NOT_CONFIGURED", "prod"): "PASS",
        ("EKS_AUTH_MODE_CONFIGMAP", "prod"): "PASS",
        ("EKS_ACCESS_ENTRY_CLUSTER_ADMIN", "prod"): "FAIL",
        ("EKS_BOOTSTRAP_CREATOR_ADMIN", "prod"): "PASS",
        ("EKS_DELETION_PROTECTION", "prod"): "PASS",
        ("EKS_CORE_ADDONS_SELF_MANAGED", "prod"): "FAIL",
    }
    (admin,) = evaluate(
        Catalog(
            rules=tuple(
                r for r in load_catalog().rules if r.id == "EKS_ACCESS_ENTRY_CLUSTER_ADMIN"
            ),
            errors=(),
        ),
        [cluster],
    )
    assert ACCOUNT_ID not in json.dumps(admin.result.evidence)


def test_config_map_cluster_lists_no_access_entries(aws):
    ctx = new_ctx()
    with Stubber(ctx.client("eks")) as eks:
        eks.add_response("list_clusters", {"clusters": ["legacy"]})
        eks.add_client_error("describe_cluster_versions", "404", "Not yet implemented", 404)
        eks.add_response(
            "describe_cluster",
            cluster_answer(
                "legacy",
                accessConfig={
                    "authenticationMode": "CONFIG_MAP",
                    "bootstrapClusterCreatorAdminPermissions": True,
                },
            ),
        )
        eks.add_response("list_pod_identity_associations", {"associations": []})
        eks.add_response("list_addons", {"addons": ["vpc-cni", "kube-proxy", "coredns"]})
        (cluster,) = REGISTRY["eks.clusters"].collect(ctx)
        eks.assert_no_pending_responses()

    assert cluster.missing["VersionSupport"] == "API unavailable: eks:DescribeClusterVersions"
    found = statuses(
        [cluster],
        "EKS_AUTH_MODE_CONFIGMAP",
        "EKS_ACCESS_ENTRY_CLUSTER_ADMIN",
        "EKS_BOOTSTRAP_CREATOR_ADMIN",
        "EKS_VERSION_DRIFT_CLUSTER",
        "EKS_CORE_ADDONS_SELF_MANAGED",
    )
    assert found == {
        ("EKS_AUTH_MODE_CONFIGMAP", "legacy"): "FAIL",
        ("EKS_BOOTSTRAP_CREATOR_ADMIN", "legacy"): "FAIL",
        # DescribeClusterVersions did not answer: the calendar decides (1.33 is supported).
        ("EKS_VERSION_DRIFT_CLUSTER", "legacy"): "PASS",
        ("EKS_CORE_ADDONS_SELF_MANAGED", "legacy"): "PASS",
    }


def create_cluster(name: str, **options) -> None:
    boto3.client("eks", region_name=REGION).create_cluster(
        name=name,
        version="1.33",
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/eks",
        resourcesVpcConfig={"subnetIds": ["subnet-1"]},
        **options,
    )


def test_control_plane_log_retention_against_moto(aws):
    logging_on = {"clusterLogging": [{"types": ALL_LOG_TYPES, "enabled": True}]}
    create_cluster("short", logging=logging_on)
    create_cluster("kept", logging=logging_on)
    create_cluster("quiet")
    logs = boto3.client("logs", region_name=REGION)
    for name, days in (("short", 14), ("kept", 365), ("quiet", 1)):
        logs.create_log_group(logGroupName=f"/aws/eks/{name}/cluster")
        logs.put_retention_policy(logGroupName=f"/aws/eks/{name}/cluster", retentionInDays=days)

    ctx = new_ctx()
    found = statuses(REGISTRY["eks.clusters"].collect(ctx), "EKS_LOG_RETENTION")

    assert found == {("EKS_LOG_RETENTION", "short"): "FAIL", ("EKS_LOG_RETENTION", "kept"): "PASS"}
    # One listing for every cluster of the region.
    assert ctx.api_calls["logs:DescribeLogGroups"] == 1


@pytest.fixture
def node_network(aws) -> dict[str, str]:
    """A public subnet (default route to an internet gateway) and a private one."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.2.0.0/24")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.2.1.0/24")["Subnet"]["SubnetId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    ec2.associate_route_table(RouteTableId=table, SubnetId=public)
    return {"public": public, "private": private}


def node_role(name: str, statements: list[dict]) -> str:
    iam = boto3.client("iam", region_name="us-east-1")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(EC2_TRUST))["Role"][
        "Arn"
    ]
    policy = iam.create_policy(
        PolicyName=f"{name}-policy",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    return arn


def test_node_roles_and_subnets_from_collector_to_finding(node_network):
    create_cluster("prod")
    roles = {
        "admin": node_role("node-admin", [{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
        "pusher": node_role(
            "node-pusher", [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]
        ),
        "reader": node_role(
            "node-reader",
            [{"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:Get*"], "Resource": "*"}],
        ),
    }
    eks = boto3.client("eks", region_name=REGION)
    for name, subnet in (("admin", "public"), ("pusher", "private"), ("reader", "private")):
        eks.create_nodegroup(
            clusterName="prod",
            nodegroupName=name,
            subnets=[node_network[subnet]],
            nodeRole=roles[name],
        )
    ctx = new_ctx()
    found = statuses(
        REGISTRY["eks.nodegroups"].collect(ctx),
        "EKS_NODE_ROLE_OVERPRIVILEGED",
        "EKS_NODE_ROLE_ECR_WRITE",
        "EKS_NODES_PUBLIC",
    )

    assert found == {
        ("EKS_NODE_ROLE_OVERPRIVILEGED", "admin"): "FAIL",
        ("EKS_NODE_ROLE_OVERPRIVILEGED", "pusher"): "PASS",
        ("EKS_NODE_ROLE_OVERPRIVILEGED", "reader"): "PASS",
        ("EKS_NODE_ROLE_ECR_WRITE", "admin"): "FAIL",
        ("EKS_NODE_ROLE_ECR_WRITE", "pusher"): "FAIL",
        ("EKS_NODE_ROLE_ECR_WRITE", "reader"): "PASS",
        ("EKS_NODES_PUBLIC", "admin"): "FAIL",
        ("EKS_NODES_PUBLIC", "pusher"): "PASS",
        ("EKS_NODES_PUBLIC", "reader"): "PASS",
    }
    assert ctx.api_calls["ec2:DescribeSubnets"] == 1
    assert ctx.api_calls["ec2:DescribeRouteTables"] == 1


def test_guardduty_eks_protection_against_moto(aws):
    boto3.client("guardduty", region_name=REGION).create_detector(
        Enable=True,
        Features=[
            {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"},
            {
                "Name": "RUNTIME_MONITORING",
                "Status": "ENABLED",
                "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "DISABLED"}],
            },
        ],
    )
    found = statuses(
        REGISTRY["guardduty.detectors"].collect(new_ctx()),
        "GUARDDUTY_EKS_AUDIT_LOGS",
        "GUARDDUTY_EKS_RUNTIME",
    )
    assert found == {
        ("GUARDDUTY_EKS_AUDIT_LOGS", "AWS::GuardDuty::RegionalSetup"): "PASS",
        ("GUARDDUTY_EKS_RUNTIME", "AWS::GuardDuty::RegionalSetup"): "FAIL",
    }
