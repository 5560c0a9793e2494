"""S3: the account-level Block Public Access setting and every bucket's protection settings.

ARN forms: buckets use their real ARN `arn:PARTITION:s3:::BUCKET`; the account-level setting,
which has none, uses `arn:PARTITION:s3control::ACCOUNT:public-access-block`.
"""

import json
from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings

from scans.collection.aws import error_code
from scans.collection.collectors import register
from scans.collection.context import NOT_INSPECTED, CollectContext, Denied, Unavailable
from securescope.resources import Resource

BLOCK_PUBLIC_ACCESS_FLAGS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)
# S3 answers these when a setting was never configured: a normal answer, read as None.
NOT_CONFIGURED_CODES = {
    "get_bucket_encryption": "ServerSideEncryptionConfigurationNotFoundError",
    "get_public_access_block": "NoSuchPublicAccessBlockConfiguration",
    "get_bucket_policy": "NoSuchBucketPolicy",
}
# What the per-bucket calls fill in; a bucket past the cap misses each (`Resource.missing`).
BUCKET_FIELDS = ("Region", "Encryption", "PublicAccessBlockConfiguration", "Versioning", "Policy")
DEFAULT_BUCKET_REGION = "us-east-1"
# GetBucketLocation's legacy answer for buckets made in eu-west-1 long ago.
LEGACY_LOCATIONS = {"EU": "eu-west-1"}


class _BucketGone(Exception):
    """The bucket was deleted between the listing and a later call."""


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
        configuration = dict.fromkeys(BLOCK_PUBLIC_ACCESS_FLAGS, False)
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


def _bucket_call(
    ctx: CollectContext,
    operation: str,
    bucket: str,
    region: str | None,
    missing: dict[str, str],
    field: str,
) -> dict[str, Any] | None:
    """One per-bucket call; None when not configured, or when refused (noted in `missing`)."""
    try:
        response = ctx.call("s3", operation, region=region, Bucket=bucket)
    except (Denied, Unavailable) as error:
        missing[field] = error.summary
        return None
    except ClientError as error:
        code = error_code(error)
        if code == NOT_CONFIGURED_CODES.get(operation):
            return None
        if code == "NoSuchBucket":
            raise _BucketGone from None
        raise
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def _bucket_data(
    ctx: CollectContext, bucket: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The bucket's data, and why each field that could not be read was not."""
    name = bucket["Name"]
    missing: dict[str, str] = {}
    location = _bucket_call(ctx, "get_bucket_location", name, None, missing, "Region")
    region = DEFAULT_BUCKET_REGION
    if location and location.get("LocationConstraint"):
        constraint = location["LocationConstraint"]
        region = LEGACY_LOCATIONS.get(constraint, constraint)
    # When the location is unknown botocore follows S3's redirect to the bucket's region.
    encryption = _bucket_call(ctx, "get_bucket_encryption", name, region, missing, "Encryption")
    public_access = _bucket_call(
        ctx, "get_public_access_block", name, region, missing, "PublicAccessBlockConfiguration"
    )
    versioning = _bucket_call(ctx, "get_bucket_versioning", name, region, missing, "Versioning")
    policy_response = _bucket_call(ctx, "get_bucket_policy", name, region, missing, "Policy")
    policy = json.loads(policy_response["Policy"]) if policy_response else None
    data = {
        **bucket,
        "Region": region if location is not None else None,
        "ServerSideEncryptionConfiguration": (
            encryption["ServerSideEncryptionConfiguration"] if encryption else None
        ),
        "PublicAccessBlockConfiguration": (
            public_access["PublicAccessBlockConfiguration"] if public_access else None
        ),
        "Versioning": (
            {"Status": versioning.get("Status"), "MFADelete": versioning.get("MFADelete")}
            if versioning is not None
            else None
        ),
        "Policy": policy,
        "DeniesInsecureTransport": denies_insecure_transport(policy),
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
    ),
)
def collect_buckets(ctx: CollectContext) -> list[Resource]:
    # No page size: moto answers MaxBuckets with a truncated list and no continuation token,
    # and without one S3 returns every bucket up to the account quota.
    buckets = ctx.paginate("s3", "list_buckets", "Buckets")
    inspected = len(ctx.capped(buckets, cap=settings.SCAN_PER_ITEM_CALL_CAP, what="buckets"))
    resources = []
    for index, bucket in enumerate(buckets):
        if index >= inspected:
            # Kept, so its rules say "not evaluated" rather than the bucket vanishing.
            data, missing = dict(bucket), dict.fromkeys(BUCKET_FIELDS, NOT_INSPECTED)
        else:
            try:
                data, missing = _bucket_data(ctx, bucket)
            except _BucketGone:
                continue
        arn = f"arn:{ctx.account.partition}:s3:::{bucket['Name']}"
        resources.append(ctx.resource("AWS::S3::Bucket", arn, data, missing=missing))
    return resources
