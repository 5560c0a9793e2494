"""EC2: security groups, instances, EBS volumes and the region's EBS default encryption."""

from scans.collectors import register
from scans.collectors.context import CollectContext
from scans.inventory import Resource


@register(
    "ec2.security_groups",
    service="ec2",
    scope="region",
    resource_types=("AWS::EC2::SecurityGroup",),
    permissions=("ec2:DescribeSecurityGroups",),
)
def collect_security_groups(ctx: CollectContext) -> list[Resource]:
    return [
        ctx.resource(
            "AWS::EC2::SecurityGroup",
            group.get("SecurityGroupArn") or ctx.arn("ec2", f"security-group/{group['GroupId']}"),
            group,
        )
        for group in ctx.paginate("ec2", "describe_security_groups", "SecurityGroups")
    ]


@register(
    "ec2.instances",
    service="ec2",
    scope="region",
    resource_types=("AWS::EC2::Instance",),
    permissions=("ec2:DescribeInstances",),
)
def collect_instances(ctx: CollectContext) -> list[Resource]:
    return [
        ctx.resource(
            "AWS::EC2::Instance", ctx.arn("ec2", f"instance/{instance['InstanceId']}"), instance
        )
        for reservation in ctx.paginate("ec2", "describe_instances", "Reservations")
        for instance in reservation["Instances"]
        if instance.get("State", {}).get("Name") != "terminated"
    ]


@register(
    "ec2.volumes",
    service="ec2",
    scope="region",
    resource_types=("AWS::EC2::Volume",),
    permissions=("ec2:DescribeVolumes",),
)
def collect_volumes(ctx: CollectContext) -> list[Resource]:
    return [
        ctx.resource("AWS::EC2::Volume", ctx.arn("ec2", f"volume/{volume['VolumeId']}"), volume)
        for volume in ctx.paginate("ec2", "describe_volumes", "Volumes")
    ]


@register(
    "ec2.ebs_default_encryption",
    service="ec2",
    scope="region",
    resource_types=("AWS::EC2::EbsDefaultEncryption",),
    permissions=("ec2:GetEbsEncryptionByDefault",),
)
def collect_ebs_default_encryption(ctx: CollectContext) -> list[Resource]:
    response = ctx.call("ec2", "get_ebs_encryption_by_default")
    return [
        ctx.resource(
            "AWS::EC2::EbsDefaultEncryption",
            # A region-level setting has no ARN of its own; this form is documented in the README.
            ctx.arn("ec2", "ebs-default-encryption"),
            {
                "EbsEncryptionByDefault": response["EbsEncryptionByDefault"],
                "SseType": response.get("SseType"),
            },
        )
    ]
