"""Collectors against moto: the inventory matches what was created."""

import boto3
import pytest

from scans.collection.collectors import REGISTRY, collectors_for
from scans.collection.context import CollectContext
from scans.collection.inventory import AccountContext
from testing.aws import seed_region

ACCOUNT = AccountContext(account_id="123456789012")


def collect(name: str, region: str = "eu-west-1"):
    ctx = CollectContext(session=boto3.Session(), account=ACCOUNT, region=region)
    return REGISTRY[name].collect(ctx)


@pytest.fixture
def seeded(aws):
    return seed_region("eu-west-1")


def test_security_groups_include_created_and_default_groups(seeded):
    groups = collect("ec2.security_groups")
    ids = {resource.data["GroupId"] for resource in groups}
    assert {seeded["open_sg"], seeded["tight_sg"]} <= ids
    assert any(resource.data["GroupName"] == "default" for resource in groups)
    open_group = next(r for r in groups if r.data["GroupId"] == seeded["open_sg"])
    assert open_group.arn.endswith(f":security-group/{seeded['open_sg']}")
    assert open_group.type == "AWS::EC2::SecurityGroup"
    assert open_group.region == "eu-west-1"


def test_instances_carry_metadata_options_and_arn(seeded):
    instances = {r.data["InstanceId"]: r for r in collect("ec2.instances")}
    assert set(instances) == {seeded["imds_v1"], seeded["imds_v2"]}
    v2 = instances[seeded["imds_v2"]]
    assert v2.data["MetadataOptions"]["HttpTokens"] == "required"
    assert v2.arn == f"arn:aws:ec2:eu-west-1:123456789012:instance/{seeded['imds_v2']}"


def test_terminated_instances_are_left_out(seeded):
    boto3.client("ec2", region_name="eu-west-1").terminate_instances(
        InstanceIds=[seeded["imds_v1"]]
    )
    assert {r.data["InstanceId"] for r in collect("ec2.instances")} == {seeded["imds_v2"]}


def test_volumes(seeded):
    volumes = {r.data["VolumeId"]: r.data["Encrypted"] for r in collect("ec2.volumes")}
    assert volumes[seeded["plain_volume"]] is False
    assert volumes[seeded["encrypted_volume"]] is True
    assert len(volumes) == 4, "two created volumes and the two instances' root volumes"


def test_ebs_default_encryption_is_one_region_level_resource(seeded):
    boto3.client("ec2", region_name="eu-west-1").enable_ebs_encryption_by_default()
    (setting,) = collect("ec2.ebs_default_encryption")
    assert setting.data["EbsEncryptionByDefault"] is True
    assert setting.arn == "arn:aws:ec2:eu-west-1:123456789012:ebs-default-encryption"


def test_eks_clusters_are_described(seeded):
    clusters = {r.data["name"]: r for r in collect("eks.clusters")}
    assert set(clusters) == {"open-cluster", "tight-cluster"}
    assert clusters["tight-cluster"].data["resourcesVpcConfig"]["endpointPublicAccess"] is False
    assert clusters["open-cluster"].arn.endswith(":cluster/open-cluster")


def test_iam_account_summary_is_global(aws):
    (summary,) = collect("iam.account_summary", region="global")
    assert summary.region == "global"
    assert summary.arn == "arn:aws:iam::123456789012:root"
    assert "AccountMFAEnabled" in summary.data["SummaryMap"]


def test_registry_scopes_and_permissions():
    assert "iam.account_summary" in {c.name for c in collectors_for("global")}
    assert "ec2.instances" in {c.name for c in collectors_for("region")}
    for collector in REGISTRY.values():
        assert collector.resource_types
        assert collector.required_permissions
        assert all(":" in action for action in collector.required_permissions)
