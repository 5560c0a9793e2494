"""EC2: security groups, instances, EBS volumes and the region's EBS default encryption."""

import boto3

from scans.aws import client
from scans.collectors import register
from scans.inventory import AccountContext, Resource


@register(
    "ec2.security_groups",
    service="ec2",
    scope="region",
    permissions=("ec2:DescribeSecurityGroups",),
)
def collect_security_groups(
    session: boto3.Session, region: str, account: AccountContext
) -> list[Resource]:
    ec2 = client(session, "ec2", region)
    return [
        Resource(
            type="AWS::EC2::SecurityGroup",
            arn=group.get("SecurityGroupArn")
            or account.arn("ec2", region, f"security-group/{group['GroupId']}"),
            region=region,
            data=group,
        )
        for page in ec2.get_paginator("describe_security_groups").paginate()
        for group in page["SecurityGroups"]
    ]


@register("ec2.instances", service="ec2", scope="region", permissions=("ec2:DescribeInstances",))
def collect_instances(
    session: boto3.Session, region: str, account: AccountContext
) -> list[Resource]:
    ec2 = client(session, "ec2", region)
    return [
        Resource(
            type="AWS::EC2::Instance",
            arn=account.arn("ec2", region, f"instance/{instance['InstanceId']}"),
            region=region,
            data=instance,
        )
        for page in ec2.get_paginator("describe_instances").paginate()
        for reservation in page["Reservations"]
        for instance in reservation["Instances"]
        if instance.get("State", {}).get("Name") != "terminated"
    ]


@register("ec2.volumes", service="ec2", scope="region", permissions=("ec2:DescribeVolumes",))
def collect_volumes(session: boto3.Session, region: str, account: AccountContext) -> list[Resource]:
    ec2 = client(session, "ec2", region)
    return [
        Resource(
            type="AWS::EC2::Volume",
            arn=account.arn("ec2", region, f"volume/{volume['VolumeId']}"),
            region=region,
            data=volume,
        )
        for page in ec2.get_paginator("describe_volumes").paginate()
        for volume in page["Volumes"]
    ]


@register(
    "ec2.ebs_default_encryption",
    service="ec2",
    scope="region",
    permissions=("ec2:GetEbsEncryptionByDefault",),
)
def collect_ebs_default_encryption(
    session: boto3.Session, region: str, account: AccountContext
) -> list[Resource]:
    response = client(session, "ec2", region).get_ebs_encryption_by_default()
    return [
        Resource(
            type="AWS::EC2::EbsDefaultEncryption",
            # A region-level setting has no ARN of its own; this form is documented in the README.
            arn=account.arn("ec2", region, "ebs-default-encryption"),
            region=region,
            data={
                "EbsEncryptionByDefault": response["EbsEncryptionByDefault"],
                "SseType": response.get("SseType"),
            },
        )
    ]
