"""What the demo account plants so that each coverage rule shows a failing and a passing case:
exposed and private buckets, trails, launch settings, EKS node groups and their roles, control
plane log groups and GuardDuty's EKS protection. `scans/collection/demo.py` builds the rest of
the account and calls these with a factory of clients bound to its moto server.
"""

import json
from collections.abc import Callable
from typing import Any

from scans.collection.aws import GLOBAL_API_REGION

# (service, region) -> a boto3 client on the demo endpoint.
ClientFor = Callable[[str, str], Any]
NODE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
NODE_ROLE_STATEMENTS = {
    # Someone gave the nodes admin "to make the errors go away".
    "eks-node-admin": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    "eks-node-standard": [
        {
            "Effect": "Allow",
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ec2:Describe*"],
            "Resource": "*",
        }
    ],
}


PUBLIC_READ_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::company-website/*",
        }
    ],
}
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def _owner_enforced(s3, bucket: str) -> None:
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )


def build_exposed_buckets(s3: Any) -> None:
    """A website bucket readable by anyone through its policy, an upload bucket anyone may
    write through its ACL; the reports bucket stays private with ACLs off."""
    s3.create_bucket(Bucket="company-website")
    s3.put_bucket_policy(Bucket="company-website", Policy=json.dumps(PUBLIC_READ_POLICY))
    s3.create_bucket(Bucket="company-uploads")
    owner = s3.get_bucket_acl(Bucket="company-uploads")["Owner"]
    s3.put_bucket_acl(
        Bucket="company-uploads",
        AccessControlPolicy={
            "Owner": owner,
            "Grants": [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "WRITE"}],
        },
    )
    _owner_enforced(s3, "company-reports")


def build_trails(client: ClientFor, s3: Any, account_id: str) -> None:
    """The old single-region trail logs to a bucket anyone can read; the audit trail covers
    every region's management events and S3 write data events, with a private, access-logged
    bucket and CloudWatch Logs, where only root use is watched."""
    s3.put_bucket_acl(Bucket="company-logs", ACL="public-read")
    s3.create_bucket(Bucket="company-access-logs")
    s3.put_bucket_acl(Bucket="company-access-logs", ACL="log-delivery-write")
    s3.create_bucket(Bucket="company-audit-logs")
    _owner_enforced(s3, "company-audit-logs")
    s3.put_bucket_logging(
        Bucket="company-audit-logs",
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": "company-access-logs", "TargetPrefix": "audit/"}
        },
    )
    logs = client("logs", GLOBAL_API_REGION)
    logs.create_log_group(logGroupName="company-audit-trail")
    log_group = logs.describe_log_groups(logGroupNamePrefix="company-audit-trail")["logGroups"][0]
    cloudtrail = client("cloudtrail", GLOBAL_API_REGION)
    cloudtrail.create_trail(Name="company-trail", S3BucketName="company-logs")
    cloudtrail.create_trail(
        Name="company-audit",
        S3BucketName="company-audit-logs",
        IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=log_group["arn"],
        CloudWatchLogsRoleArn=f"arn:aws:iam::{account_id}:role/cloudtrail-to-logs",
    )
    cloudtrail.put_event_selectors(
        TrailName="company-audit",
        EventSelectors=[
            {"ReadWriteType": "All", "IncludeManagementEvents": True},
            {
                "ReadWriteType": "WriteOnly",
                "IncludeManagementEvents": False,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            },
        ],
    )
    cloudtrail.start_logging(Name="company-audit")
    _watch_root_usage(client, account_id, log_group["logGroupName"])


# The CIS pattern for use of the root user; the demo watches only this one.
ROOT_USAGE_PATTERN = (
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
    '$.eventType != "AwsServiceEvent" }'
)


def _watch_root_usage(client: ClientFor, account_id: str, log_group: str) -> None:
    """A metric filter for root use on the audit trail's log group, alarmed to a topic a queue
    subscribes to; the other CIS section-4 patterns have no filter, so their rules fail."""
    region = GLOBAL_API_REGION
    client("logs", region).put_metric_filter(
        logGroupName=log_group,
        filterName="root-usage",
        filterPattern=ROOT_USAGE_PATTERN,
        metricTransformations=[
            {"metricName": "RootUsage", "metricNamespace": "CISBenchmark", "metricValue": "1"}
        ],
    )
    sns = client("sns", region)
    topic = sns.create_topic(Name="security-alerts")["TopicArn"]
    client("sqs", region).create_queue(QueueName="security-alerts")
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=f"arn:aws:sqs:{region}:{account_id}:security-alerts",
    )
    client("cloudwatch", region).put_metric_alarm(
        AlarmName="root-usage",
        MetricName="RootUsage",
        Namespace="CISBenchmark",
        Statistic="Sum",
        Period=300,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        EvaluationPeriods=1,
        AlarmActions=[topic],
    )


def build_identity(iam: Any) -> None:
    """Console users alice (permissions through a group) and bob (a policy of his own and an
    access key handed out at setup and never used), and an IAM server certificate (moto dates
    every one in 2012, so it is expired)."""
    iam.create_group(GroupName="developers")
    iam.put_group_policy(
        GroupName="developers",
        PolicyName="read-only",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}],
            }
        ),
    )
    iam.add_user_to_group(GroupName="developers", UserName="alice")
    iam.put_user_policy(
        UserName="bob",
        PolicyName="deploy",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}],
            }
        ),
    )
    iam.create_access_key(UserName="bob")
    iam.upload_server_certificate(
        ServerCertificateName="legacy-site", CertificateBody="demo", PrivateKey="demo"
    )


def build_launch_settings(client: ClientFor, region: str, image: str, zone: str) -> None:
    """A legacy launch template and launch configuration (IMDSv1, hop limit above 1, public
    IPs, an unencrypted volume) beside hardened ones; one group still on a launch
    configuration, one on a template. No group launches anything (capacity 0)."""
    ec2 = client("ec2", region)
    hardened_options = {
        "HttpTokens": "required",
        "HttpEndpoint": "enabled",
        "HttpPutResponseHopLimit": 1,
    }
    ec2.create_launch_template(
        LaunchTemplateName="web-legacy",
        LaunchTemplateData={
            "ImageId": image,
            "MetadataOptions": {"HttpTokens": "optional", "HttpPutResponseHopLimit": 2},
            "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": True}],
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": False}}],
        },
    )
    ec2.create_launch_template(
        LaunchTemplateName="web-hardened",
        LaunchTemplateData={
            "ImageId": image,
            "MetadataOptions": hardened_options,
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True}}],
        },
    )
    autoscaling = client("autoscaling", region)
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="batch-legacy",
        ImageId=image,
        InstanceType="t3.micro",
        AssociatePublicIpAddress=True,
        MetadataOptions={"HttpTokens": "optional", "HttpPutResponseHopLimit": 3},
    )
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="batch-current",
        ImageId=image,
        InstanceType="t3.micro",
        MetadataOptions=hardened_options,
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="batch",
        LaunchConfigurationName="batch-legacy",
        MinSize=0,
        MaxSize=2,
        AvailabilityZones=[zone],
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web",
        LaunchTemplate={"LaunchTemplateName": "web-hardened", "Version": "$Default"},
        MinSize=0,
        MaxSize=2,
        AvailabilityZones=[zone],
    )


def build_node_roles(client: ClientFor) -> dict[str, str]:
    """The node IAM roles (global), by name: an admin one and a least-privilege one."""
    iam = client("iam", GLOBAL_API_REGION)
    arns = {}
    for name, statements in NODE_ROLE_STATEMENTS.items():
        arns[name] = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(NODE_TRUST)
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName=name,
            PolicyName="nodes",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )
    return arns


def build_eks_nodes(
    client: ClientFor,
    region: str,
    *,
    vpc: str,
    private_subnet: str,
    clusters: list[str],
    node_roles: dict[str, str],
) -> None:
    """A node group on the admin role in a public subnet (routed to an internet gateway) on the
    first cluster, one on the least-privilege role in the private subnet on the others; the
    first cluster's control-plane logs are kept a week, the others' a year."""
    ec2 = client("ec2", region)
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.16.0/20")["Subnet"]["SubnetId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    ec2.associate_route_table(RouteTableId=table, SubnetId=public)
    eks = client("eks", region)
    logs = client("logs", region)
    for index, cluster in enumerate(clusters):
        first = index == 0
        eks.create_nodegroup(
            clusterName=cluster,
            nodegroupName="general" if first else "private-pool",
            subnets=[public if first else private_subnet],
            nodeRole=node_roles["eks-node-admin" if first else "eks-node-standard"],
        )
        group = f"/aws/eks/{cluster}/cluster"
        logs.create_log_group(logGroupName=group)
        logs.put_retention_policy(logGroupName=group, retentionInDays=7 if first else 365)


def build_guardduty(client: ClientFor, region: str) -> None:
    """A detector with EKS audit-log monitoring, and runtime monitoring without the EKS agent."""
    client("guardduty", region).create_detector(
        Enable=True,
        Features=[
            {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"},
            {
                "Name": "RUNTIME_MONITORING",
                "Status": "ENABLED",
                "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "DISABLED"}],
            },
        ],
    )


PUBLIC_PULL_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AnyonePulls",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        }
    ],
}


def build_ecr(client: ClientFor, region: str) -> None:
    """A hardened repository (scan on push, immutable tags, no policy) and a legacy one anyone
    can pull from, with mutable tags and no scanning."""
    ecr = client("ecr", region)
    ecr.create_repository(
        repositoryName="payments-api",
        imageScanningConfiguration={"scanOnPush": True},
        imageTagMutability="IMMUTABLE",
    )
    ecr.create_repository(repositoryName="legacy-web")
    ecr.set_repository_policy(
        repositoryName="legacy-web", policyText=json.dumps(PUBLIC_PULL_POLICY)
    )


def build_inspector(client: ClientFor, region: str, account_id: str) -> None:
    """Amazon Inspector scanning EC2 instances and ECR images in the region."""
    client("inspector2", region).enable(resourceTypes=["EC2", "ECR"], accountIds=[account_id])
