"""Cases for EBS volumes, snapshots and AMIs, the default EBS key, and KMS keys."""

from datetime import UTC, datetime, timedelta

from rules.tests.cases import Example

LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)
# A day inside the 30-day window whatever day the tests run.
RECENT = datetime.now(UTC) - timedelta(days=3)
DENIED = "denied: ec2:DescribeSnapshotAttribute"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _volume(state: str, created: datetime, attached: bool = False) -> dict:
    return {
        "State": state,
        "CreateTime": created,
        "Attachments": [{"State": "attached"}] if attached else [],
        "Encrypted": True,
    }


def _snapshot(grants: list[dict] | None, encrypted: bool = True) -> Example:
    """A snapshot as ec2.snapshots gives it; `grants=None` means the attribute was not read."""
    data: dict = {"State": "completed", "Encrypted": encrypted}
    if grants is None:
        return Example(data, missing={"CreateVolumePermissions": DENIED, "Public": DENIED})
    data["CreateVolumePermissions"] = grants
    data["Public"] = any(grant.get("Group") == "all" for grant in grants)
    return Example(data)


def _image(public: bool, grants: list[dict] | None = None, *encrypted: bool | None) -> Example:
    mappings = []
    for index, flag in enumerate(encrypted or (True,)):
        ebs = {"SnapshotId": f"snap-0{index}", "VolumeSize": 8}
        if flag is not None:
            ebs["Encrypted"] = flag
        mappings.append({"DeviceName": f"/dev/xvd{'abc'[index]}", "Ebs": ebs})
    data: dict = {"Public": public, "BlockDeviceMappings": mappings}
    if grants is None:
        return Example(data, missing={"LaunchPermissions": "denied: ec2:DescribeImageAttribute"})
    data["LaunchPermissions"] = grants
    return Example(data)


def _key(rotation: bool | None = True, **overrides) -> dict:
    """A key as kms.keys gives it; `rotation=None` when GetKeyRotationStatus was not answered."""
    data = {
        "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
        "Arn": KEY_ARN,
        "KeyManager": "CUSTOMER",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "Origin": "AWS_KMS",
        "KeyState": "Enabled",
        "Enabled": True,
    }
    if rotation is not None:
        data["KeyRotationEnabled"] = rotation
    if rotation:
        data["RotationPeriodInDays"] = 365
        data["NextRotationDate"] = datetime(2001, 1, 1, tzinfo=UTC)
    return {**data, **overrides}


CASES = {
    "EC2_EBS_ENCRYPTION": {
        "FAIL": [{"Encrypted": False, "Attachments": [], "VolumeType": "gp3"}],
        "PASS": [{"Encrypted": True, "Attachments": [{"State": "attached"}], "VolumeType": "gp3"}],
    },
    "EC2_EBS_DEFAULT_ENCRYPTION": {
        "FAIL": [{"EbsEncryptionByDefault": False, "SseType": None}],
        "PASS": [{"EbsEncryptionByDefault": True, "SseType": "sse-ebs"}],
    },
    "EC2_EBS_DEFAULT_KEY_CMK": {
        "FAIL": [
            {"KmsKeyId": "alias/aws/ebs"},
            {"KmsKeyId": "arn:aws:kms:eu-west-1:123456789012:alias/aws/ebs"},
            {"KmsKeyId": None},
        ],
        "PASS": [
            {"KmsKeyId": KEY_ARN},
            # A customer alias whose name merely contains "aws" is still the customer's.
            {"KmsKeyId": "arn:aws:kms:eu-west-1:123456789012:alias/team-aws/ebs"},
            {"KmsKeyId": "alias/ebs-default"},
        ],
    },
    "EC2_EBS_VOLUME_UNATTACHED": {
        "FAIL": [_volume("available", LONG_AGO)],
        "PASS": [
            _volume("in-use", LONG_AGO, attached=True),
            # Recently created: may be about to be attached.
            _volume("available", RECENT),
        ],
        "NOT_EVALUATED": [{"State": "available", "Attachments": []}],
    },
    "EC2_EBS_SNAPSHOT_PUBLIC": {
        "FAIL": [
            _snapshot([{"Group": "all"}]),
            _snapshot([{"UserId": "111122223333"}, {"Group": "all"}]),
        ],
        "PASS": [
            _snapshot([]),
            # Shared with one account: not public.
            _snapshot([{"UserId": "111122223333"}]),
        ],
        # Unread permissions are unknown, not private.
        "NOT_EVALUATED": [_snapshot(None)],
    },
    "EC2_EBS_SNAPSHOT_UNENCRYPTED": {
        "FAIL": [_snapshot([], encrypted=False), _snapshot(None, encrypted=False)],
        "PASS": [_snapshot([], encrypted=True)],
    },
    "EC2_AMI_PUBLIC": {
        "FAIL": [
            _image(True, [{"Group": "all"}]),
            # DescribeImages says public: that holds even when the attribute call was refused.
            _image(True, None),
            _image(False, [{"Group": "all"}]),
        ],
        "PASS": [
            _image(False, []),
            _image(False, [{"UserId": "111122223333"}, {"OrganizationArn": "arn:aws:org::o"}]),
            # Public=false from DescribeImages is authoritative without the attribute call.
            _image(False, None),
        ],
        "NOT_EVALUATED": [
            Example({"BlockDeviceMappings": []}, missing={"LaunchPermissions": "denied"}),
        ],
    },
    "EC2_AMI_UNENCRYPTED": {
        "FAIL": [
            _image(False, [], False),
            # One unencrypted data volume is enough.
            _image(False, [], True, False),
            _image(False, [], None, False),
        ],
        "PASS": [
            _image(False, [], True),
            {
                "Public": False,
                "LaunchPermissions": [],
                "BlockDeviceMappings": [
                    {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-0", "Encrypted": True}},
                    # Instance-store volumes have no snapshot to encrypt.
                    {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
                ],
            },
        ],
        # Moto's images omit Encrypted: unknown must not pass.
        "NOT_EVALUATED": [_image(False, [], None), _image(False, [], True, None)],
    },
    "KMS_CMK_ROTATION": {
        "FAIL": [_key(rotation=False)],
        "PASS": [_key(), _key(RotationPeriodInDays=90)],
        "NOT_EVALUATED": [
            Example({"KeyId": "1234abcd", "KeyArn": KEY_ARN}, missing={"KeyMetadata": "denied"}),
            Example(
                _key(rotation=None),
                missing={"KeyRotationEnabled": "denied: kms:GetKeyRotationStatus"},
            ),
        ],
    },
    "KMS_KEY_PENDING_DELETION": {
        "FAIL": [
            _key(
                KeyState="PendingDeletion",
                Enabled=False,
                DeletionDate=datetime(2001, 1, 8, tzinfo=UTC),
                PendingDeletionWindowInDays=7,
            ),
            _key(KeyState="PendingReplicaDeletion", Enabled=False, PendingDeletionWindowInDays=30),
        ],
        "PASS": [
            _key(),
            # Disabling is what AWS recommends instead of deleting.
            _key(KeyState="Disabled", Enabled=False),
            _key(rotation=None, KeySpec="RSA_2048"),
        ],
        "NOT_EVALUATED": [
            Example({"KeyId": "1234abcd", "KeyArn": KEY_ARN}, missing={"KeyMetadata": "denied"})
        ],
    },
}
