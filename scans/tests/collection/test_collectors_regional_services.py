"""Regional service collectors (EKS node groups and add-ons, SSM, Config, GuardDuty, Security Hub,
KMS) against moto, and against botocore's Stubber where moto does not implement the API."""

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from scans.collection import ssm_calls
from scans.collection.collectors import REGISTRY, eks_nodegroups
from scans.collection.context import CollectContext, Unavailable
from scans.collection.inventory import AccountContext
from securescope.resources import Resource

ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/eks"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def ctx(aws) -> CollectContext:
    return CollectContext(
        session=boto3.Session(), account=AccountContext(ACCOUNT_ID), region=REGION
    )


def collect(ctx: CollectContext, name: str) -> list[Resource]:
    before = set(ctx.permissions)
    resources = REGISTRY[name].collect(ctx)
    # Every action the collector made is one it declares, so the permission list stays true.
    assert set(ctx.permissions) - before <= set(REGISTRY[name].required_permissions)
    assert all(resource.region == REGION for resource in resources)
    return resources


def create_cluster(name: str, version: str = "1.30") -> None:
    boto3.client("eks", region_name=REGION).create_cluster(
        name=name, version=version, roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]}
    )


def create_nodegroup(cluster: str, name: str, version: str = "1.30") -> str:
    return boto3.client("eks", region_name=REGION).create_nodegroup(
        clusterName=cluster,
        nodegroupName=name,
        version=version,
        nodeRole=ROLE,
        subnets=["subnet-1"],
    )["nodegroup"]["nodegroupArn"]


# EKS node groups and add-ons


def test_nodegroups_carry_their_cluster_version(ctx):
    create_cluster("prod", version="1.30")
    old_arn = create_nodegroup("prod", "old-nodes", version="1.27")
    create_nodegroup("prod", "current-nodes", version="1.30")

    nodegroups = {r.data["nodegroupName"]: r for r in collect(ctx, "eks.nodegroups")}

    assert set(nodegroups) == {"old-nodes", "current-nodes"}
    old = nodegroups["old-nodes"]
    assert old.type == "AWS::EKS::Nodegroup"
    assert old.arn == old_arn
    assert (old.data["version"], old.data["clusterVersion"]) == ("1.27", "1.30")
    assert old.data["clusterName"] == "prod"
    assert old.missing == {}


def test_nodegroups_are_listed_page_by_page(ctx, monkeypatch):
    monkeypatch.setattr(eks_nodegroups, "PAGE_SIZE", 2)
    create_cluster("prod")
    for index in range(5):
        create_nodegroup("prod", f"nodes-{index}")

    nodegroups = collect(ctx, "eks.nodegroups")

    assert {r.data["nodegroupName"] for r in nodegroups} == {f"nodes-{i}" for i in range(5)}
    assert ctx.api_calls["eks:ListNodegroups"] == 3


def test_nodegroups_reuse_the_clusters_collectors_describe_cluster(ctx):
    for cluster in ("alpha", "beta"):
        create_cluster(cluster)
        create_nodegroup(cluster, "nodes")

    clusters = collect(ctx, "eks.clusters")
    nodegroups = collect(ctx, "eks.nodegroups")

    assert len(clusters) == len(nodegroups) == 2
    assert ctx.api_calls["eks:ListClusters"] == 1
    assert ctx.api_calls["eks:DescribeCluster"] == 2


def test_a_cluster_without_nodegroups_gives_none(ctx):
    create_cluster("empty")
    assert collect(ctx, "eks.nodegroups") == []
    assert ctx.api_calls["eks:DescribeCluster"] == 0, "no node group needs the cluster version"


def stub_one_nodegroup(stub: Stubber) -> None:
    stub.add_response("list_clusters", {"clusters": ["prod"]}, {})
    stub.add_response(
        "list_nodegroups",
        {"nodegroups": ["nodes"]},
        {"clusterName": "prod", "maxResults": eks_nodegroups.PAGE_SIZE},
    )


def test_a_refused_describe_cluster_leaves_the_cluster_version_missing(ctx):
    nodegroup_arn = f"arn:aws:eks:{REGION}:{ACCOUNT_ID}:nodegroup/prod/nodes/abcd"
    with Stubber(ctx.client("eks")) as stub:
        stub_one_nodegroup(stub)
        stub.add_client_error(
            "describe_cluster", service_error_code="AccessDeniedException", http_status_code=403
        )
        stub.add_response(
            "describe_nodegroup",
            {"nodegroup": {"nodegroupName": "nodes", "nodegroupArn": nodegroup_arn}},
        )
        (nodegroup,) = collect(ctx, "eks.nodegroups")

    assert "clusterVersion" not in nodegroup.data
    assert nodegroup.missing == {
        "clusterVersion": "missing permission (AccessDeniedException): eks:DescribeCluster"
    }


def test_a_nodegroup_deleted_during_the_scan_is_left_out(ctx):
    with Stubber(ctx.client("eks")) as stub:
        stub_one_nodegroup(stub)
        stub.add_response("describe_cluster", {"cluster": {"name": "prod", "version": "1.31"}})
        stub.add_client_error(
            "describe_nodegroup",
            service_error_code="ResourceNotFoundException",
            http_status_code=404,
        )
        assert collect(ctx, "eks.nodegroups") == []


def test_addons_are_unavailable_in_moto(ctx):
    create_cluster("prod")
    with pytest.raises(Unavailable) as raised:
        collect(ctx, "eks.addons")
    assert raised.value.action == "eks:ListAddons"
    assert ctx.permissions["eks:ListAddons"] == "unavailable"


def test_addons_without_clusters_make_no_addon_call(ctx):
    assert collect(ctx, "eks.addons") == []
    assert "eks:ListAddons" not in ctx.permissions


def test_addons_carry_their_cluster_version(ctx):
    addon_arn = f"arn:aws:eks:{REGION}:{ACCOUNT_ID}:addon/prod/vpc-cni/abcd"
    with Stubber(ctx.client("eks")) as stub:
        stub.add_response("list_clusters", {"clusters": ["prod"]}, {})
        stub.add_response(
            "list_addons",
            {"addons": ["vpc-cni"]},
            {"clusterName": "prod", "maxResults": eks_nodegroups.PAGE_SIZE},
        )
        stub.add_response("describe_cluster", {"cluster": {"name": "prod", "version": "1.31"}})
        stub.add_response(
            "describe_addon",
            {
                "addon": {
                    "addonName": "vpc-cni",
                    "clusterName": "prod",
                    "addonArn": addon_arn,
                    "addonVersion": "v1.18.0-eksbuild.1",
                    "status": "DEGRADED",
                    "health": {"issues": [{"code": "InsufficientNumberOfReplicas"}]},
                }
            },
            {"clusterName": "prod", "addonName": "vpc-cni"},
        )
        stub.add_response(
            "describe_addon_versions",
            {
                "addons": [
                    {
                        "addonName": "vpc-cni",
                        "addonVersions": [
                            {
                                "addonVersion": "v1.19.2-eksbuild.1",
                                "compatibilities": [
                                    {"clusterVersion": "1.31", "defaultVersion": False}
                                ],
                            },
                            {
                                "addonVersion": "v1.19.0-eksbuild.1",
                                "compatibilities": [
                                    {"clusterVersion": "1.31", "defaultVersion": True}
                                ],
                            },
                        ],
                    }
                ]
            },
            {"addonName": "vpc-cni", "kubernetesVersion": "1.31"},
        )
        (addon,) = collect(ctx, "eks.addons")
        stub.assert_no_pending_responses()

    assert addon.type == "AWS::EKS::Addon"
    assert addon.arn == addon_arn
    assert addon.data["clusterVersion"] == "1.31"
    assert addon.data["status"] == "DEGRADED"
    # The version EKS installs by default, not merely the newest one listed.
    assert addon.data["DefaultVersion"] == "v1.19.0-eksbuild.1"


# SSM


def instance_information(instance_id: str) -> dict:
    return {"InstanceId": instance_id, "PingStatus": "Online", "IsLatestVersion": True}


def patch_state(instance_id: str, **counts: int) -> dict:
    return {
        "InstanceId": instance_id,
        "PatchGroup": "web",
        "BaselineId": "pb-0123456789abcdef0",
        "Operation": "Scan",
        "OperationStartTime": NOW,
        "OperationEndTime": NOW,
        **counts,
    }


def test_managed_instances_are_unavailable_in_moto(ctx):
    with pytest.raises(Unavailable):
        collect(ctx, "ssm.managed_instances")
    assert ctx.permissions["ssm:DescribeInstanceInformation"] == "unavailable"


def test_patch_compliance_summary_is_unavailable_in_moto(ctx):
    with pytest.raises(Unavailable):
        collect(ctx, "ssm.patch_compliance_summary")
    assert ctx.permissions["ssm:ListComplianceSummaries"] == "unavailable"


def test_managed_instances_join_their_patch_state(ctx, monkeypatch):
    monkeypatch.setattr(ssm_calls, "PAGE_SIZE", 5)
    with Stubber(ctx.client("ssm")) as stub:
        stub.add_response(
            "describe_instance_information",
            {"InstanceInformationList": [instance_information("i-0aaa")], "NextToken": "page-2"},
            {"MaxResults": 5},
        )
        stub.add_response(
            "describe_instance_information",
            {"InstanceInformationList": [instance_information("i-0bbb")]},
            {"MaxResults": 5, "NextToken": "page-2"},
        )
        stub.add_response(
            "describe_instance_patch_states",
            {"InstancePatchStates": [patch_state("i-0aaa", MissingCount=3)]},
            {"InstanceIds": ["i-0aaa", "i-0bbb"], "MaxResults": ssm_calls.PATCH_STATE_BATCH},
        )
        instances = {r.data["InstanceId"]: r for r in collect(ctx, "ssm.managed_instances")}
        stub.assert_no_pending_responses()

    assert set(instances) == {"i-0aaa", "i-0bbb"}
    scanned = instances["i-0aaa"]
    assert scanned.type == "AWS::SSM::ManagedInstance"
    assert scanned.arn == f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:managed-instance/i-0aaa"
    assert scanned.data["PingStatus"] == "Online"
    assert scanned.data["PatchState"]["MissingCount"] == 3
    assert instances["i-0bbb"].data["PatchState"] is None, "managed but never patch-scanned"


def test_patch_states_are_asked_for_in_batches_of_fifty(ctx):
    ids = [f"i-{index:017x}" for index in range(51)]
    with Stubber(ctx.client("ssm")) as stub:
        stub.add_response(
            "describe_instance_information",
            {"InstanceInformationList": [instance_information(i) for i in ids]},
        )
        for batch in (ids[:50], ids[50:]):
            stub.add_response(
                "describe_instance_patch_states",
                {"InstancePatchStates": [patch_state(i) for i in batch]},
                {"InstanceIds": batch, "MaxResults": 50},
            )
        instances = collect(ctx, "ssm.managed_instances")
        stub.assert_no_pending_responses()

    assert all(r.data["PatchState"]["InstanceId"] == r.data["InstanceId"] for r in instances)
    assert len(instances) == 51


def test_a_refused_patch_state_is_missing_not_absent(ctx):
    with Stubber(ctx.client("ssm")) as stub:
        stub.add_response(
            "describe_instance_information",
            {"InstanceInformationList": [instance_information("i-0aaa")]},
        )
        stub.add_client_error(
            "describe_instance_patch_states",
            service_error_code="AccessDeniedException",
            http_status_code=400,
        )
        (instance,) = collect(ctx, "ssm.managed_instances")

    assert "PatchState" not in instance.data
    assert instance.missing == {
        "PatchState": "missing permission (AccessDeniedException): ssm:DescribeInstancePatchStates"
    }
    assert ctx.permissions["ssm:DescribeInstancePatchStates"] == "denied"


def test_patch_compliance_summary_is_one_region_level_resource(ctx):
    patch_item = {
        "ComplianceType": "Patch",
        "CompliantSummary": {"CompliantCount": 4},
        "NonCompliantSummary": {"NonCompliantCount": 2},
    }
    with Stubber(ctx.client("ssm")) as stub:
        stub.add_response(
            "list_compliance_summaries",
            {"ComplianceSummaryItems": [patch_item]},
            {
                "Filters": [{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}],
                "MaxResults": ssm_calls.PAGE_SIZE,
            },
        )
        (summary,) = collect(ctx, "ssm.patch_compliance_summary")

    assert summary.type == "AWS::SSM::PatchComplianceSummary"
    assert summary.arn == f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:compliance-summary/Patch"
    assert summary.data == {"ComplianceSummaryItems": [patch_item]}


# AWS Config


def test_config_in_a_region_without_recorder(ctx):
    (setup,) = collect(ctx, "config.regional_setup")
    assert setup.type == "AWS::Config::RegionalSetup"
    assert setup.arn == f"arn:aws:config:{REGION}:{ACCOUNT_ID}:configuration-recorders"
    assert setup.data == {
        "ConfigurationRecorders": [],
        "RecorderStatus": [],
        "DeliveryChannels": [],
    }


def test_config_recording_region(ctx):
    config = boto3.client("config", region_name=REGION)
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{ACCOUNT_ID}:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket="config-history", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    config.put_delivery_channel(
        DeliveryChannel={"name": "default", "s3BucketName": "config-history"}
    )
    config.start_configuration_recorder(ConfigurationRecorderName="default")

    (setup,) = collect(ctx, "config.regional_setup")

    (recorder,) = setup.data["ConfigurationRecorders"]
    assert recorder["recordingGroup"]["allSupported"] is True
    (status,) = setup.data["RecorderStatus"]
    assert status["recording"] is True
    assert [c["s3BucketName"] for c in setup.data["DeliveryChannels"]] == ["config-history"]


# GuardDuty


def test_guardduty_in_a_region_without_detector(ctx):
    (setup,) = collect(ctx, "guardduty.detectors")
    assert setup.type == "AWS::GuardDuty::RegionalSetup"
    assert setup.arn == f"arn:aws:guardduty:{REGION}:{ACCOUNT_ID}:detectors"
    assert setup.data == {"Detectors": []}


def test_guardduty_detector_status_and_features(ctx):
    detector_id = boto3.client("guardduty", region_name=REGION).create_detector(
        Enable=True, Features=[{"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"}]
    )["DetectorId"]

    (setup,) = collect(ctx, "guardduty.detectors")

    (detector,) = setup.data["Detectors"]
    assert detector["DetectorId"] == detector_id
    assert detector["Status"] == "ENABLED"
    assert {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"} in detector["Features"]
    assert "ResponseMetadata" not in detector
    assert setup.missing == {}


# Security Hub


def test_security_hub_not_enabled_is_an_answer_not_an_error(ctx):
    (hub,) = collect(ctx, "securityhub.hub")
    assert hub.type == "AWS::SecurityHub::Hub"
    assert hub.arn == f"arn:aws:securityhub:{REGION}:{ACCOUNT_ID}:hub/default"
    assert hub.data == {"Enabled": False}
    assert "securityhub:GetEnabledStandards" not in ctx.permissions


def test_security_hub_enabled_with_standards_unavailable_in_moto(ctx):
    boto3.client("securityhub", region_name=REGION).enable_security_hub()

    (hub,) = collect(ctx, "securityhub.hub")

    assert hub.data["Enabled"] is True
    assert hub.data["HubArn"] == hub.arn
    assert "ResponseMetadata" not in hub.data
    assert hub.missing == {
        "StandardsSubscriptions": "API unavailable: securityhub:GetEnabledStandards"
    }
    assert ctx.permissions["securityhub:GetEnabledStandards"] == "unavailable"


# KMS


def make_aws_managed(key_id: str) -> None:
    # moto cannot create AWS-managed keys through the API.
    from moto.kms.models import kms_backends

    kms_backends[ACCOUNT_ID][REGION].keys[key_id].key_manager = "AWS"


def test_customer_keys_with_rotation(ctx):
    kms = boto3.client("kms", region_name=REGION)
    rotated = kms.create_key()["KeyMetadata"]
    kms.enable_key_rotation(KeyId=rotated["KeyId"])
    unrotated = kms.create_key()["KeyMetadata"]
    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    aws_managed = kms.create_key()["KeyMetadata"]
    make_aws_managed(aws_managed["KeyId"])

    keys = {r.data["KeyId"]: r for r in collect(ctx, "kms.keys")}

    assert set(keys) == {rotated["KeyId"], unrotated["KeyId"], signing["KeyId"]}
    assert keys[rotated["KeyId"]].type == "AWS::KMS::Key"
    assert keys[rotated["KeyId"]].arn == rotated["Arn"]
    assert keys[rotated["KeyId"]].data["KeyRotationEnabled"] is True
    assert keys[unrotated["KeyId"]].data["KeyRotationEnabled"] is False
    assert keys[unrotated["KeyId"]].data["KeyState"] == "Enabled"
    assert "KeyRotationEnabled" not in keys[signing["KeyId"]].data
    assert ctx.api_calls["kms:GetKeyRotationStatus"] == 2, "only keys that can rotate"


def test_key_calls_are_capped(ctx, settings):
    settings.SCAN_PER_ITEM_CALL_CAP = 2
    kms = boto3.client("kms", region_name=REGION)
    key_ids = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(3)]

    keys = collect(ctx, "kms.keys")

    # The third is kept, not inspected, so its rules are not evaluated rather than absent.
    assert len(keys) == 3
    assert [bool(key.missing) for key in keys] == [False, False, True]
    assert ctx.api_calls["kms:DescribeKey"] == 2
    assert ctx.warnings == ["Only the first 2 of 3 KMS keys were inspected (cap)."]
    assert not any(key_id in warning for key_id in key_ids for warning in ctx.warnings)


def test_a_key_refusing_describe_key_is_kept_with_missing_metadata(ctx):
    key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    with Stubber(ctx.client("kms")) as stub:
        stub.add_response(
            "list_keys",
            {"Keys": [{"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "KeyArn": key_arn}]},
        )
        stub.add_client_error(
            "describe_key", service_error_code="AccessDeniedException", http_status_code=400
        )
        (key,) = collect(ctx, "kms.keys")

    assert key.arn == key_arn
    assert key.missing == {
        "KeyMetadata": "missing permission (AccessDeniedException): kms:DescribeKey"
    }


def test_new_collectors_are_regional():
    names = {
        "eks.nodegroups",
        "eks.addons",
        "ssm.managed_instances",
        "ssm.patch_compliance_summary",
        "config.regional_setup",
        "guardduty.detectors",
        "securityhub.hub",
        "kms.keys",
    }
    assert all(REGISTRY[name].scope == "region" for name in names)
