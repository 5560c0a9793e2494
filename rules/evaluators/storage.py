"""EBS encryption, volumes, snapshots, AMIs, the region's default EBS key, and KMS keys."""

import re
from datetime import datetime
from typing import Any

from django.utils import timezone

from rules.evaluators import Result, evaluator, missing_data
from rules.params import DAYS, list_of, one_of
from securescope.resources import Resource

# AWS-managed keys are reachable only through the reserved `alias/aws/...` names (as a bare alias
# or an alias ARN); customers cannot create aliases under that prefix.
AWS_MANAGED_ALIAS = re.compile(r"(?:^|:)alias/aws/")
# Volumes still being created or already on their way out are not "left behind".
SETTLED_VOLUME_STATES = {"available", "in-use"}
PUBLIC_GROUP = "all"
# KeyMetadata.KeyState values (botocore's kms model).
KMS_KEY_STATES = (
    "Creating",
    "Enabled",
    "Disabled",
    "PendingDeletion",
    "PendingImport",
    "PendingReplicaDeletion",
    "Unavailable",
    "Updating",
)


def _day(value: datetime | None) -> str | None:
    return value.date().isoformat() if isinstance(value, datetime) else None


@evaluator("volume_encrypted")
def volume_encrypted(resource: Resource, *, params: dict) -> Result:
    evidence = {
        "encrypted": bool(resource.data.get("Encrypted")),
        "attached": bool(resource.data.get("Attachments")),
        "volume_type": resource.data.get("VolumeType"),
    }
    return Result("PASS" if evidence["encrypted"] else "FAIL", evidence)


@evaluator("ebs_default_encryption_enabled")
def ebs_default_encryption_enabled(resource: Resource, *, params: dict) -> Result:
    enabled = bool(resource.data.get("EbsEncryptionByDefault"))
    evidence = {"ebs_encryption_by_default": enabled, "sse_type": resource.data.get("SseType")}
    return Result("PASS" if enabled else "FAIL", evidence)


@evaluator("ebs_default_key_customer_managed")
def ebs_default_key_customer_managed(resource: Resource, *, params: dict) -> Result:
    """FAIL while EBS encrypts by default with the AWS-managed `aws/ebs` key.

    No key id at all means the region was never changed from that default.
    """
    key = resource.data.get("KmsKeyId") or ""
    aws_managed = not key or bool(AWS_MANAGED_ALIAS.search(key))
    return Result("FAIL" if aws_managed else "PASS", {"aws_managed_key": aws_managed})


@evaluator("ebs_volume_unattached", params={"max_days": DAYS}, required=("max_days",))
def ebs_volume_unattached(resource: Resource, *, params: dict) -> Result | None:
    """FAIL for a volume that is `available` (attached to nothing) and older than `max_days`.

    EC2 keeps no detach time, so the age counts from CreateTime: a volume detached yesterday but
    created long ago fails too, which is what a cost and data-sprawl review wants to see.
    """
    state = resource.data.get("State")
    if state not in SETTLED_VOLUME_STATES:
        return None
    created = resource.data.get("CreateTime")
    if not isinstance(created, datetime):
        return Result("NOT_EVALUATED", {"reason": "DescribeVolumes returned no CreateTime"})
    age_days = (timezone.now() - created).days
    evidence = {
        "state": state,
        "created": _day(created),
        "age_days": age_days,
        "max_days": params["max_days"],
    }
    stale = state == "available" and age_days > params["max_days"]
    return Result("FAIL" if stale else "PASS", evidence)


@evaluator(
    "shared_publicly",
    params={"permissions_field": one_of(("CreateVolumePermissions", "LaunchPermissions"))},
    required=("permissions_field",),
)
def shared_publicly(resource: Resource, *, params: dict) -> Result:
    """FAIL when a snapshot or AMI is shared with every AWS account (group "all").

    `Public` decides when present: DescribeImages returns it with the image, and the snapshot
    collector derives it from the permissions it read. Without `Public`, unread permissions
    leave the verdict open rather than passing.
    """
    data = resource.data
    field = params["permissions_field"]
    grants = data.get(field)
    if "Public" not in data and grants is None:
        return missing_data(resource, field, "Public") or Result(
            "NOT_EVALUATED", {"reason": f"no Public flag and no {field}"}
        )
    grants = grants or []
    public = bool(data.get("Public")) or any(grant.get("Group") == PUBLIC_GROUP for grant in grants)
    evidence: dict[str, Any] = {"public": public}
    if field in resource.missing:
        evidence["permissions_read"] = False
    else:
        # Who else may use it is worth knowing even when it is not public; counts, not ids.
        evidence["shared_account_count"] = sum(1 for grant in grants if "UserId" in grant)
        evidence["shared_organization_count"] = sum(
            1 for grant in grants if "OrganizationArn" in grant or "OrganizationalUnitArn" in grant
        )
    return Result("FAIL" if public else "PASS", evidence)


@evaluator("snapshot_encrypted")
def snapshot_encrypted(resource: Resource, *, params: dict) -> Result:
    encrypted = bool(resource.data.get("Encrypted"))
    evidence = {"encrypted": encrypted, "state": resource.data.get("State")}
    return Result("PASS" if encrypted else "FAIL", evidence)


@evaluator("image_snapshots_encrypted")
def image_snapshots_encrypted(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when any EBS block device of the AMI is backed by an unencrypted snapshot.

    Instance-store mappings carry no `Ebs` and are skipped; an AMI with no EBS mapping at all
    (instance-store backed) is out of scope. A mapping that does not say whether it is encrypted
    is unknown, never counted as encrypted.
    """
    mappings = [
        mapping["Ebs"]
        for mapping in resource.data.get("BlockDeviceMappings", [])
        if "Ebs" in mapping
    ]
    if not mappings:
        return None
    unencrypted = sum(1 for ebs in mappings if ebs.get("Encrypted") is False)
    unknown = sum(1 for ebs in mappings if "Encrypted" not in ebs)
    evidence = {
        "ebs_mappings": len(mappings),
        "unencrypted_mappings": unencrypted,
        "unknown_mappings": unknown,
    }
    if unencrypted:
        return Result("FAIL", evidence)
    if unknown:
        return Result("NOT_EVALUATED", {**evidence, "reason": "DescribeImages omitted Encrypted"})
    return Result("PASS", evidence)


def _rotatable_customer_key(metadata: dict[str, Any]) -> bool:
    # Automatic rotation exists only for symmetric keys with KMS-generated material; imported
    # (EXTERNAL) and custom-key-store keys have to be rotated by hand.
    return (
        metadata.get("KeyManager") == "CUSTOMER"
        and metadata.get("KeySpec") == "SYMMETRIC_DEFAULT"
        and metadata.get("Origin") == "AWS_KMS"
    )


@evaluator("kms_rotation_enabled")
def kms_rotation_enabled(resource: Resource, *, params: dict) -> Result | None:
    """FAIL for an enabled, rotatable customer-managed key without automatic rotation."""
    unknown = missing_data(resource, "KeyMetadata")
    if unknown:
        return unknown
    data = resource.data
    if not _rotatable_customer_key(data) or data.get("KeyState") != "Enabled":
        return None
    unknown = missing_data(resource, "KeyRotationEnabled")
    if unknown:
        return unknown
    enabled = bool(data.get("KeyRotationEnabled"))
    evidence = {
        "key_rotation_enabled": enabled,
        "rotation_period_days": data.get("RotationPeriodInDays") if enabled else None,
        "next_rotation": _day(data.get("NextRotationDate")) if enabled else None,
    }
    return Result("PASS" if enabled else "FAIL", evidence)


@evaluator(
    "kms_key_state_not_in", params={"states": list_of(one_of(KMS_KEY_STATES))}, required=("states",)
)
def kms_key_state_not_in(resource: Resource, *, params: dict) -> Result:
    """FAIL for a customer-managed key in one of `states` (a deletion under way, say)."""
    unknown = missing_data(resource, "KeyMetadata")
    if unknown:
        return unknown
    data = resource.data
    state = data.get("KeyState")
    evidence = {"key_state": state, "key_spec": data.get("KeySpec")}
    if state in params["states"]:
        evidence["deletion_date"] = _day(data.get("DeletionDate"))
        evidence["pending_window_days"] = data.get("PendingDeletionWindowInDays")
        return Result("FAIL", evidence)
    return Result("PASS", evidence)
