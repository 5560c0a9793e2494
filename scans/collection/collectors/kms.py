"""KMS: customer-managed keys with their state and automatic-rotation setting.

AWS-managed keys are left out: the account can neither rotate nor delete them. A key whose
policy refuses the scanner DescribeKey is kept (AWS-managed keys never refuse it, so it is a
customer key) with its metadata in `Resource.missing`. KeyRotationEnabled is only asked for keys
that support automatic rotation; for the others it is absent and rules decide from KeyMetadata.
"""

from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings

from scans.collection.aws import error_code
from scans.collection.collectors import register
from scans.collection.context import NOT_INSPECTED, CollectContext, CollectionError
from securescope.resources import Resource

PAGE_SIZE = 1000
NOT_INSPECTED_FIELDS = ("KeyMetadata", "KeyRotationEnabled")
ROTATION_FIELDS = ("KeyRotationEnabled", "RotationPeriodInDays", "NextRotationDate")


def _supports_rotation(metadata: dict[str, Any]) -> bool:
    # GetKeyRotationStatus fails on asymmetric, HMAC, imported and custom-key-store keys.
    # SYMMETRIC_DEFAULT implies ENCRYPT_DECRYPT; KeyUsage itself is not read because moto
    # omits it.
    return metadata.get("KeySpec") == "SYMMETRIC_DEFAULT" and metadata.get("Origin") == "AWS_KMS"


KeyData = tuple[dict[str, Any], dict[str, str]]


def _key_data(ctx: CollectContext, key: dict[str, str]) -> KeyData | None:
    """The key's data and the fields that could not be read; None for an AWS-managed key or
    one deleted since ListKeys."""
    try:
        metadata = ctx.call("kms", "describe_key", KeyId=key["KeyId"])["KeyMetadata"]
    except CollectionError as error:
        return dict(key), {"KeyMetadata": error.summary}
    except ClientError as error:
        if error_code(error) == "NotFoundException":
            return None
        raise
    if metadata.get("KeyManager") == "AWS":
        return None
    if not _supports_rotation(metadata):
        return dict(metadata), {}
    try:
        rotation = ctx.call("kms", "get_key_rotation_status", KeyId=key["KeyId"])
    except CollectionError as error:
        return dict(metadata), {"KeyRotationEnabled": error.summary}
    rotation_fields = {field: rotation[field] for field in ROTATION_FIELDS if field in rotation}
    return {**metadata, **rotation_fields}, {}


@register(
    "kms.keys",
    service="kms",
    scope="region",
    resource_types={
        "AWS::KMS::Key": "the key's ARN",
    },
    permissions=("kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus"),
)
def collect_keys(ctx: CollectContext) -> list[Resource]:
    keys = ctx.paginate("kms", "list_keys", "Keys", PaginationConfig={"PageSize": PAGE_SIZE})
    inspected = len(ctx.capped(keys, cap=settings.SCAN_PER_ITEM_CALL_CAP, what="KMS keys"))
    read: list[KeyData | None] = ctx.fan_out(
        "kms", lambda key: _key_data(ctx, key), keys[:inspected]
    )
    # Kept unread (they may be AWS-managed) so their rules say "not evaluated".
    read += [
        (dict(key), dict.fromkeys(NOT_INSPECTED_FIELDS, NOT_INSPECTED)) for key in keys[inspected:]
    ]
    return [
        ctx.resource("AWS::KMS::Key", data.get("Arn") or key["KeyArn"], data, missing=missing)
        for key, entry in zip(keys, read, strict=True)
        if entry is not None
        for data, missing in [entry]
    ]
