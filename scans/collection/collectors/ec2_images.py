"""EC2 images and snapshots the account owns, with who may use them, and the default EBS key.

EC2 names snapshots and AMIs without an account (`arn:aws:ec2:REGION::snapshot/snap-...`), as
the Service Authorization Reference gives them; their ARNs here follow that form.
"""

from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings

from scans.collection.aws import error_code
from scans.collection.collectors import register
from scans.collection.context import NOT_INSPECTED, CollectContext, Denied, Unavailable
from securescope.resources import Resource

# The most DescribeSnapshots (5 to 1000) and DescribeImages (1 to 1000) return per page.
PAGE_SIZE = 1000


def _accountless_arn(ctx: CollectContext, resource: str) -> str:
    return f"arn:{ctx.account.partition}:ec2:{ctx.region}::{resource}"


def _with_permissions(
    ctx: CollectContext,
    items: list[dict[str, Any]],
    *,
    what: str,
    operation: str,
    id_key: str,
    attribute: str,
    field: str,
) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Copies of `items` with `field` read from the per-item attribute call, each with the
    reason `field` could not be read, if any (its `Resource.missing`).

    Items past the per-item call cap, or after the call was refused, miss `field`. Items that
    vanished between the listing and the attribute call are dropped.
    """
    inspected = len(ctx.capped(items, cap=settings.SCAN_PER_ITEM_CALL_CAP, what=what))

    def read(item: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]] | None:
        # The listed dicts are memoized and shared with other collectors: build new ones.
        data = dict(item)
        try:
            response = ctx.call("ec2", operation, Attribute=attribute, **{id_key: item[id_key]})
        except (Denied, Unavailable) as error:
            return data, {field: error.summary}
        except ClientError as error:
            if error_code(error).endswith(".NotFound"):
                return None
            raise
        data[field] = response.get(field, [])
        return data, {}

    first, rest = items[: min(1, inspected)], items[1:inspected]
    enriched = [read(item) for item in first]
    refused = enriched[0][1].get(field) if enriched and enriched[0] is not None else None
    if refused:
        # The others would be refused the same way; hundreds of AccessDenied calls only add
        # noise to the account's CloudTrail.
        enriched += [(dict(item), {field: refused}) for item in rest]
    else:
        enriched += ctx.fan_out("ec2", read, rest)
    enriched += [(dict(item), {field: NOT_INSPECTED}) for item in items[inspected:]]
    return [entry for entry in enriched if entry is not None]


@register(
    "ec2.ebs_default_kms_key",
    service="ec2",
    scope="region",
    resource_types={
        "AWS::EC2::EbsDefaultKmsKey": (
            "`arn:aws:ec2:REGION:ACCOUNT:ebs-default-kms-key` (a region's setting)"
        ),
    },
    permissions=("ec2:GetEbsDefaultKmsKeyId",),
)
def collect_ebs_default_kms_key(ctx: CollectContext) -> list[Resource]:
    response = ctx.call("ec2", "get_ebs_default_kms_key_id")
    return [
        ctx.resource(
            "AWS::EC2::EbsDefaultKmsKey",
            # A region-level setting has no ARN of its own, like ec2.ebs_default_encryption.
            ctx.arn("ec2", "ebs-default-kms-key"),
            {"KmsKeyId": response.get("KmsKeyId")},
        )
    ]


@register(
    "ec2.snapshots",
    service="ec2",
    scope="region",
    resource_types={
        "AWS::EC2::Snapshot": (
            "`arn:aws:ec2:REGION::snapshot/snap-...` (EC2 snapshot ARNs have no account)"
        ),
    },
    permissions=("ec2:DescribeSnapshots", "ec2:DescribeSnapshotAttribute"),
)
def collect_snapshots(ctx: CollectContext) -> list[Resource]:
    """Owned snapshots with `CreateVolumePermissions` and `Public` (shared with group "all").

    DescribeSnapshots(RestorableByUserIds=["all"]) would find public snapshots in one call, but
    moto ignores that filter, so the attribute is read per snapshot.
    """
    snapshots = ctx.paginate(
        "ec2",
        "describe_snapshots",
        "Snapshots",
        OwnerIds=["self"],
        PaginationConfig={"PageSize": PAGE_SIZE},
    )
    resources = []
    for data, missing in _with_permissions(
        ctx,
        snapshots,
        what="snapshots",
        operation="describe_snapshot_attribute",
        id_key="SnapshotId",
        attribute="createVolumePermission",
        field="CreateVolumePermissions",
    ):
        if missing:
            # Unknown is not private: an evaluator must not read a missing list as a PASS.
            missing["Public"] = missing["CreateVolumePermissions"]
        else:
            data["Public"] = any(
                grant.get("Group") == "all" for grant in data["CreateVolumePermissions"]
            )
        resources.append(
            ctx.resource(
                "AWS::EC2::Snapshot",
                _accountless_arn(ctx, f"snapshot/{data['SnapshotId']}"),
                data,
                missing=missing,
            )
        )
    return resources


@register(
    "ec2.images",
    service="ec2",
    scope="region",
    resource_types={
        "AWS::EC2::Image": "`arn:aws:ec2:REGION::image/ami-...`",
    },
    permissions=("ec2:DescribeImages", "ec2:DescribeImageAttribute"),
)
def collect_images(ctx: CollectContext) -> list[Resource]:
    """Owned AMIs with `LaunchPermissions`; `Public` comes with DescribeImages itself."""
    images = ctx.paginate(
        "ec2",
        "describe_images",
        "Images",
        Owners=["self"],
        PaginationConfig={"PageSize": PAGE_SIZE},
    )
    return [
        ctx.resource(
            "AWS::EC2::Image",
            _accountless_arn(ctx, f"image/{data['ImageId']}"),
            data,
            missing=missing,
        )
        for data, missing in _with_permissions(
            ctx,
            images,
            what="images",
            operation="describe_image_attribute",
            id_key="ImageId",
            attribute="launchPermission",
            field="LaunchPermissions",
        )
    ]
