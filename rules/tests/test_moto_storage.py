"""Storage and key rules from moto resources to findings: collectors, then the engine."""

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from django.utils import timezone

from rules.engine import evaluate
from rules.loading import load_catalog
from rules.schema import Catalog
from scans.collection.collectors import REGISTRY
from scans.collection.context import CollectContext, Denied, Unavailable
from scans.collection.inventory import AccountContext
from securescope.privacy import redact_evidence
from securescope.resources import Resource

REGION = "eu-west-1"
ZONE = "eu-west-1a"
OTHER_ACCOUNT = "111122223333"
COLLECTORS = ("ec2.volumes", "ec2.snapshots", "ec2.images", "kms.keys", "ec2.ebs_default_kms_key")


def storage_catalog() -> Catalog:
    return Catalog(
        rules=tuple(rule for rule in load_catalog().rules if rule.source == "storage.yaml"),
        errors=(),
    )


def collect_all() -> list[Resource]:
    """What a scan unit would hand the engine, including a stand-in for an unlistable type."""
    ctx = CollectContext(
        session=boto3.Session(), account=AccountContext("123456789012"), region=REGION
    )
    resources: list[Resource] = []
    for name in COLLECTORS:
        collector = REGISTRY[name]
        try:
            resources.extend(collector.collect(ctx))
        except (Denied, Unavailable) as error:
            resources.extend(
                ctx.not_collected(resource_type, error.summary)
                for resource_type in collector.resource_types
            )
    return resources


def statuses(resources: list[Resource]) -> dict[tuple[str, str], str]:
    """(rule id, resource ARN) -> status; pairs where a rule does not apply are absent.

    Evidence must already be what the store keeps: JSON, and nothing the redaction would hide.
    """
    found = {}
    for evaluation in evaluate(storage_catalog(), resources):
        evidence = evaluation.result.evidence
        assert json.loads(json.dumps(evidence)) == redact_evidence(evidence) == evidence
        found[(evaluation.rule.id, evaluation.resource.arn)] = evaluation.result.status
    return found


def volume_arn(volume_id: str) -> str:
    return f"arn:aws:ec2:{REGION}:123456789012:volume/{volume_id}"


def snapshot_arn(snapshot_id: str) -> str:
    return f"arn:aws:ec2:{REGION}::snapshot/{snapshot_id}"


def image_arn(image_id: str) -> str:
    return f"arn:aws:ec2:{REGION}::image/{image_id}"


@pytest.fixture
def account(aws) -> dict[str, Any]:
    """A region with one resource per interesting case; returns their ids and ARNs by role."""
    ec2 = boto3.client("ec2", region_name=REGION)
    kms = boto3.client("kms", region_name=REGION)
    ids: dict[str, Any] = {}

    def new_key(role: str, **kwargs: Any) -> str:
        """Creates a key, keeps its ARN (the resource's) under `role`, returns its id."""
        metadata = kms.create_key(**kwargs)["KeyMetadata"]
        ids[role] = metadata["Arn"]
        return metadata["KeyId"]

    # Moto's key calls want the bare key id, not the ARN.
    kms.enable_key_rotation(KeyId=new_key("rotated_key"))
    new_key("unrotated_key")
    kms.disable_key(KeyId=new_key("disabled_key"))
    kms.schedule_key_deletion(KeyId=new_key("doomed_key"), PendingWindowInDays=7)
    new_key("signing_key", KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")

    image = ec2.register_image(Name="private-image", RootDeviceName="/dev/xvda")["ImageId"]
    ids["private_image"] = image
    ids["public_image"] = ec2.register_image(Name="public-image", RootDeviceName="/dev/xvda")[
        "ImageId"
    ]
    ec2.modify_image_attribute(
        ImageId=ids["public_image"], LaunchPermission={"Add": [{"Group": "all"}]}
    )
    instance = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, Placement={"AvailabilityZone": ZONE}
    )["Instances"][0]["InstanceId"]
    ids["attached_volume"] = ec2.describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [instance]}]
    )["Volumes"][0]["VolumeId"]
    ids["loose_volume"] = ec2.create_volume(Size=8, AvailabilityZone=ZONE)["VolumeId"]
    ids["loose_encrypted_volume"] = ec2.create_volume(
        Size=8, AvailabilityZone=ZONE, Encrypted=True, KmsKeyId=ids["rotated_key"]
    )["VolumeId"]

    def snapshot(volume_id: str, **grant: Any) -> str:
        snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
        if grant:
            ec2.modify_snapshot_attribute(
                SnapshotId=snapshot_id,
                Attribute="createVolumePermission",
                OperationType="add",
                **grant,
            )
        return snapshot_id

    ids["public_snapshot"] = snapshot(ids["loose_volume"], GroupNames=["all"])
    ids["shared_snapshot"] = snapshot(ids["loose_volume"], UserIds=[OTHER_ACCOUNT])
    ids["encrypted_snapshot"] = snapshot(ids["loose_encrypted_volume"])
    return ids


def test_storage_rules_from_collectors_to_findings(account):
    found = statuses(collect_all())

    expected = {
        ("EC2_EBS_VOLUME_UNATTACHED", volume_arn(account["attached_volume"])): "PASS",
        # Unattached, but created minutes ago.
        ("EC2_EBS_VOLUME_UNATTACHED", volume_arn(account["loose_volume"])): "PASS",
        ("EC2_EBS_SNAPSHOT_PUBLIC", snapshot_arn(account["public_snapshot"])): "FAIL",
        ("EC2_EBS_SNAPSHOT_PUBLIC", snapshot_arn(account["shared_snapshot"])): "PASS",
        ("EC2_EBS_SNAPSHOT_PUBLIC", snapshot_arn(account["encrypted_snapshot"])): "PASS",
        ("EC2_EBS_SNAPSHOT_UNENCRYPTED", snapshot_arn(account["public_snapshot"])): "FAIL",
        ("EC2_EBS_SNAPSHOT_UNENCRYPTED", snapshot_arn(account["encrypted_snapshot"])): "PASS",
        ("EC2_AMI_PUBLIC", image_arn(account["public_image"])): "FAIL",
        ("EC2_AMI_PUBLIC", image_arn(account["private_image"])): "PASS",
        # Moto's image mappings omit Encrypted: unknown, never a PASS.
        ("EC2_AMI_UNENCRYPTED", image_arn(account["private_image"])): "NOT_EVALUATED",
        ("KMS_CMK_ROTATION", account["rotated_key"]): "PASS",
        ("KMS_CMK_ROTATION", account["unrotated_key"]): "FAIL",
        ("KMS_KEY_PENDING_DELETION", account["doomed_key"]): "FAIL",
        ("KMS_KEY_PENDING_DELETION", account["disabled_key"]): "PASS",
        ("KMS_KEY_PENDING_DELETION", account["signing_key"]): "PASS",
        # Moto does not implement GetEbsDefaultKmsKeyId.
        (
            "EC2_EBS_DEFAULT_KEY_CMK",
            f"arn:aws:ec2:{REGION}:123456789012:not-collected/AWS::EC2::EbsDefaultKmsKey",
        ): "NOT_EVALUATED",
    }
    assert {pair: found.get(pair) for pair in expected} == expected
    # Rotation is asked only of enabled, rotatable keys.
    for role in ("disabled_key", "doomed_key", "signing_key"):
        assert ("KMS_CMK_ROTATION", account[role]) not in found


def test_unattached_volume_fails_once_older_than_the_threshold(account, monkeypatch):
    resources = collect_all()
    later = timezone.now() + timedelta(days=31)
    monkeypatch.setattr(timezone, "now", lambda: later)

    found = statuses(resources)

    assert found[("EC2_EBS_VOLUME_UNATTACHED", volume_arn(account["loose_volume"]))] == "FAIL"
    assert found[("EC2_EBS_VOLUME_UNATTACHED", volume_arn(account["attached_volume"]))] == "PASS"


def test_snapshot_whose_permissions_were_refused_is_not_evaluated(account):
    ctx = CollectContext(
        session=boto3.Session(), account=AccountContext("123456789012"), region=REGION
    )

    def refuse(model: Any, params: dict, **kwargs: Any) -> None:
        if model.name == "DescribeSnapshotAttribute":
            error = {"Code": "UnauthorizedOperation", "Message": "refused"}
            raise ClientError({"Error": error}, model.name)

    ctx.client("ec2").meta.events.register("before-call", refuse)
    found = statuses(REGISTRY["ec2.snapshots"].collect(ctx))

    public = snapshot_arn(account["public_snapshot"])
    assert found[("EC2_EBS_SNAPSHOT_PUBLIC", public)] == "NOT_EVALUATED"
    # Encryption comes from DescribeSnapshots itself and is still decided.
    assert found[("EC2_EBS_SNAPSHOT_UNENCRYPTED", public)] == "FAIL"


@pytest.mark.parametrize(
    ("resource_type", "data", "applies"),
    [
        # Encryption is judged in every state; whether a volume is unattached is not.
        ("AWS::EC2::Volume", {"State": "creating", "Attachments": []}, {"EC2_EBS_ENCRYPTION"}),
        ("AWS::EC2::Volume", {"State": "deleting", "Attachments": []}, {"EC2_EBS_ENCRYPTION"}),
        # Instance-store backed AMI: no EBS snapshot to encrypt.
        (
            "AWS::EC2::Image",
            {
                "Public": False,
                "LaunchPermissions": [],
                "BlockDeviceMappings": [{"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"}],
            },
            {"EC2_AMI_PUBLIC"},
        ),
    ],
)
def test_rules_that_do_not_apply_yield_nothing(resource_type, data, applies):
    resource = Resource(
        type=resource_type, arn="arn:aws:ec2:eu-west-1::x", region=REGION, data=data
    )
    rules = {evaluation.rule.id for evaluation in evaluate(storage_catalog(), [resource])}
    assert rules == applies
