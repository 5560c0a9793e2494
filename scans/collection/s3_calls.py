"""S3 calls two collectors make alike (s3.buckets for every bucket, cloudtrail.trails for each
trail's log bucket), with the same parameters, so the unit's call memo answers the second from
the first: a bucket's region, one per-bucket call, and what makes a bucket public.
"""

import json
from typing import Any

from botocore.exceptions import ClientError

from scans.collection.aws import error_code
from scans.collection.context import CollectContext, Denied, Unavailable

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
    "get_bucket_policy_status": "NoSuchBucketPolicy",
    "get_bucket_ownership_controls": "OwnershipControlsNotFoundError",
}
DEFAULT_BUCKET_REGION = "us-east-1"
# GetBucketLocation's legacy answer for buckets made in eu-west-1 long ago.
LEGACY_LOCATIONS = {"EU": "eu-west-1"}
# The fields `exposure_fields` fills in; each can land in `Resource.missing`.
EXPOSURE_FIELDS = (
    "Policy",
    "PublicAccessBlockConfiguration",
    "AccountPublicAccessBlock",
    "AclGrants",
    "ObjectOwnership",
)


class BucketGone(Exception):
    """The bucket was deleted between the listing and a later call."""


def bucket_call(
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
            raise BucketGone from None
        raise
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def bucket_region(ctx: CollectContext, bucket: str, missing: dict[str, str]) -> tuple[str, bool]:
    """The bucket's region, and whether GetBucketLocation told it (else the default region,
    where botocore follows S3's redirect to the bucket's own)."""
    location = bucket_call(ctx, "get_bucket_location", bucket, None, missing, "Region")
    if location is None:
        return DEFAULT_BUCKET_REGION, False
    constraint = location.get("LocationConstraint")
    return (
        LEGACY_LOCATIONS.get(constraint, constraint) if constraint else DEFAULT_BUCKET_REGION
    ), True


def account_public_access_block(ctx: CollectContext) -> tuple[dict[str, bool] | None, str | None]:
    """The account-level Block Public Access flags (all off when never configured), or None and
    why they could not be read. The s3.account_public_access_block collector makes the same
    call in the same unit."""
    try:
        configuration = ctx.call(
            "s3control", "get_public_access_block", AccountId=ctx.account.account_id
        )["PublicAccessBlockConfiguration"]
    except (Denied, Unavailable) as error:
        return None, error.summary
    except ClientError as error:
        if error_code(error) != "NoSuchPublicAccessBlockConfiguration":
            raise
        return dict.fromkeys(BLOCK_PUBLIC_ACCESS_FLAGS, False), None
    return {flag: configuration.get(flag) is True for flag in BLOCK_PUBLIC_ACCESS_FLAGS}, None


def exposure_fields(
    ctx: CollectContext, bucket: str, region: str, missing: dict[str, str]
) -> dict[str, Any]:
    """What decides whether a bucket is public: its policy (and S3's own verdict on it), its
    Block Public Access settings and the account's, its ACL grants and object ownership.

    Refused calls are noted in `missing`; GetBucketPolicyStatus is not, because the policy
    itself is judged when S3's verdict is unknown (`PolicyStatus` None).
    """
    policy = bucket_call(ctx, "get_bucket_policy", bucket, region, missing, "Policy")
    status = None
    if policy is not None:
        status = bucket_call(ctx, "get_bucket_policy_status", bucket, region, {}, "PolicyStatus")
    public_access = bucket_call(
        ctx, "get_public_access_block", bucket, region, missing, "PublicAccessBlockConfiguration"
    )
    acl = bucket_call(ctx, "get_bucket_acl", bucket, region, missing, "AclGrants")
    ownership = bucket_call(
        ctx, "get_bucket_ownership_controls", bucket, region, missing, "ObjectOwnership"
    )
    account_block, account_refusal = account_public_access_block(ctx)
    if account_refusal:
        missing["AccountPublicAccessBlock"] = account_refusal
    return {
        "Policy": json.loads(policy["Policy"]) if policy else None,
        "PolicyStatus": (status or {}).get("PolicyStatus"),
        "PublicAccessBlockConfiguration": (
            public_access["PublicAccessBlockConfiguration"] if public_access else None
        ),
        "AccountPublicAccessBlock": account_block,
        "AclGrants": acl.get("Grants", []) if acl is not None else None,
        "ObjectOwnership": _object_ownership(ownership),
    }


def _object_ownership(ownership: dict[str, Any] | None) -> str | None:
    """BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter; None when never set, which
    leaves ACLs enabled (ObjectWriter) on buckets made before April 2023."""
    if not ownership:
        return None
    rules = ownership.get("OwnershipControls", {}).get("Rules") or [{}]
    return rules[0].get("ObjectOwnership")
