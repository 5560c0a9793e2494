"""A region's account-level EC2 settings: IMDS defaults for new instances, block public access
for EBS snapshots and for AMIs, and EC2 serial console access.

Each is one call, and each collector stands alone: an API a region (or moto) does not answer
leaves only its own setting not evaluated. None of these settings has an ARN; each uses
`arn:PARTITION:ec2:REGION:ACCOUNT:<setting>`, as the README's table lists.
"""

from scans.collection import ec2_calls
from scans.collection.collectors import register
from scans.collection.context import CollectContext
from securescope.resources import Resource


@register(
    "ec2.instance_metadata_defaults",
    service="ec2",
    scope="region",
    resource_types={
        "AWS::EC2::InstanceMetadataDefaults": (
            "`arn:aws:ec2:REGION:ACCOUNT:instance-metadata-defaults` (a region's setting)"
        ),
    },
    permissions=("ec2:GetInstanceMetadataDefaults",),
)
def collect_instance_metadata_defaults(ctx: CollectContext) -> list[Resource]:
    return [
        ctx.resource(
            "AWS::EC2::InstanceMetadataDefaults",
            ctx.arn("ec2", "instance-metadata-defaults"),
            {"AccountLevel": ec2_calls.instance_metadata_defaults(ctx)},
        )
    ]


@register(
    "ec2.snapshot_block_public_access",
    service="ec2",
    scope="region",
    resource_types={
        "AWS::EC2::SnapshotBlockPublicAccess": (
            "`arn:aws:ec2:REGION:ACCOUNT:snapshot-block-public-access` (a region's setting)"
        ),
    },
    permissions=("ec2:GetSnapshotBlockPublicAccessState",),
)
def collect_snapshot_block_public_access(ctx: CollectContext) -> list[Resource]:
    response = ctx.call("ec2", "get_snapshot_block_public_access_state")
    return [
        ctx.resource(
            "AWS::EC2::SnapshotBlockPublicAccess",
            ctx.arn("ec2", "snapshot-block-public-access"),
            {"State": response.get("State"), "ManagedBy": response.get("ManagedBy")},
        )
    ]


@register(
    "ec2.image_block_public_access",
    service="ec2",
    scope="region",
    resource_types={
        "AWS::EC2::ImageBlockPublicAccess": (
            "`arn:aws:ec2:REGION:ACCOUNT:image-block-public-access` (a region's setting)"
        ),
    },
    permissions=("ec2:GetImageBlockPublicAccessState",),
)
def collect_image_block_public_access(ctx: CollectContext) -> list[Resource]:
    response = ctx.call("ec2", "get_image_block_public_access_state")
    return [
        ctx.resource(
            "AWS::EC2::ImageBlockPublicAccess",
            ctx.arn("ec2", "image-block-public-access"),
            {
                "ImageBlockPublicAccessState": response.get("ImageBlockPublicAccessState"),
                "ManagedBy": response.get("ManagedBy"),
            },
        )
    ]


@register(
    "ec2.serial_console_access",
    service="ec2",
    scope="region",
    resource_types={
        "AWS::EC2::SerialConsoleAccess": (
            "`arn:aws:ec2:REGION:ACCOUNT:serial-console-access` (a region's setting)"
        ),
    },
    permissions=("ec2:GetSerialConsoleAccessStatus",),
)
def collect_serial_console_access(ctx: CollectContext) -> list[Resource]:
    response = ctx.call("ec2", "get_serial_console_access_status")
    return [
        ctx.resource(
            "AWS::EC2::SerialConsoleAccess",
            ctx.arn("ec2", "serial-console-access"),
            {
                "SerialConsoleAccessEnabled": response.get("SerialConsoleAccessEnabled"),
                "ManagedBy": response.get("ManagedBy"),
            },
        )
    ]
