"""S3: the account-level Block Public Access setting and every bucket's protection settings.

ARN forms: buckets use their real ARN `arn:PARTITION:s3:::BUCKET`; the account-level setting,
which has none, uses `arn:PARTITION:s3control::ACCOUNT:public-access-block`.
"""

from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings

from scans.collection import s3_calls
from scans.collection.aws import error_code
from scans.collection.collectors import register
from scans.collection.context import NOT_INSPECTED, CollectContext
from securescope.resources import Resource

# What the per-bucket calls fill in; a bucket past the cap misses each (`Resource.missing`).
BUCKET_FIELDS = ("Region", "Encryption", "Versioning", *s3_calls.EXPOSURE_FIELDS)


@register(
    "s3.account_public_access_block",
    service="s3",
    scope="global",
    resource_types={
        "AWS::S3::AccountPublicAccessBlock": "`arn:aws:s3control::ACCOUNT:public-access-block`",
    },
    permissions=("s3:GetAccountPublicAccessBlock",),
)
def collect_account_public_access_block(ctx: CollectContext) -> list[Resource]:
    try:
        configuration = ctx.call(
            "s3control", "get_public_access_block", AccountId=ctx.account.account_id
        )["PublicAccessBlockConfiguration"]
        configured = True
    except ClientError as error:
        if error_code(error) != "NoSuchPublicAccessBlockConfiguration":
            raise
        # Never configured means nothing is blocked.
        configuration = dict.fromkeys(s3_calls.BLOCK_PUBLIC_ACCESS_FLAGS, False)
        configured = False
    return [
        ctx.resource(
            "AWS::S3::AccountPublicAccessBlock",
            f"arn:{ctx.account.partition}:s3control::{ctx.account.account_id}:public-access-block",
            {"PublicAccessBlockConfiguration": configuration, "Configured": configured},
        )
    ]


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))


def _insecure_transport_condition(condition: Any) -> bool:
    # Condition operators and keys are case-insensitive in IAM.
    for operator, tests in (condition or {}).items():
        if operator.lower() != "bool" or not isinstance(tests, dict):
            continue
        for key, values in tests.items():
            if key.lower() == "aws:securetransport" and any(
                str(value).lower() == "false" for value in _as_list(values)
            ):
                return True
    return False


def denies_insecure_transport(policy: dict[str, Any] | None) -> bool:
    """Whether the bucket policy denies every non-TLS request to everyone."""
    if not policy:
        return False
    for statement in _as_list(policy.get("Statement")):
        if (
            statement.get("Effect") == "Deny"
            and _everyone(statement.get("Principal"))
            and {"*", "s3:*"} & set(_as_list(statement.get("Action")))
            and _insecure_transport_condition(statement.get("Condition"))
        ):
            return True
    return False


def _bucket_data(
    ctx: CollectContext, bucket: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The bucket's data, and why each field that could not be read was not."""
    name = bucket["Name"]
    missing: dict[str, str] = {}
    region, located = s3_calls.bucket_region(ctx, name, missing)
    encryption = s3_calls.bucket_call(
        ctx, "get_bucket_encryption", name, region, missing, "Encryption"
    )
    versioning = s3_calls.bucket_call(
        ctx, "get_bucket_versioning", name, region, missing, "Versioning"
    )
    exposure = s3_calls.exposure_fields(ctx, name, region, missing)
    data = {
        **bucket,
        "Region": region if located else None,
        "ServerSideEncryptionConfiguration": (
            encryption["ServerSideEncryptionConfiguration"] if encryption else None
        ),
        "Versioning": (
            {"Status": versioning.get("Status"), "MFADelete": versioning.get("MFADelete")}
            if versioning is not None
            else None
        ),
        **exposure,
        "DeniesInsecureTransport": denies_insecure_transport(exposure["Policy"]),
    }
    return data, missing


@register(
    "s3.buckets",
    service="s3",
    scope="global",
    resource_types={
        "AWS::S3::Bucket": "`arn:aws:s3:::BUCKET`",
    },
    permissions=(
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketVersioning",
        "s3:GetBucketPolicy",
        "s3:GetBucketPolicyStatus",
        "s3:GetBucketAcl",
        "s3:GetBucketOwnershipControls",
        "s3:GetAccountPublicAccessBlock",
    ),
)
def collect_buckets(ctx: CollectContext) -> list[Resource]:
    # No page size: moto answers MaxBuckets with a truncated list and no continuation token,
    # and without one S3 returns every bucket up to the account quota.
    buckets = ctx.paginate("s3", "list_buckets", "Buckets")
    inspected = len(ctx.capped(buckets, cap=settings.SCAN_PER_ITEM_CALL_CAP, what="buckets"))

    def read(bucket: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]] | None:
        try:
            return _bucket_data(ctx, bucket)
        except s3_calls.BucketGone:
            return None

    entries = ctx.fan_out("s3", read, buckets[:inspected])
    # Kept, so their rules say "not evaluated" rather than the buckets vanishing.
    entries += [
        (dict(bucket), dict.fromkeys(BUCKET_FIELDS, NOT_INSPECTED))
        for bucket in buckets[inspected:]
    ]
    return [
        ctx.resource(
            "AWS::S3::Bucket",
            f"arn:{ctx.account.partition}:s3:::{bucket['Name']}",
            data,
            missing=missing,
        )
        for bucket, entry in zip(buckets, entries, strict=True)
        if entry is not None
        for data, missing in [entry]
    ]
