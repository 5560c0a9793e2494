"""The demo account: a small company's AWS account on an in-process moto server on 127.0.0.1.

A demo scan runs through exactly the same pipeline as a real one; only the endpoint differs. The
account is built deterministically: open and tight security groups, instances with mixed IMDS
settings, encrypted and unencrypted volumes, public and private snapshots, EKS clusters with a
public endpoint, an old version and missing logs, S3 buckets with and without encryption, IAM
users without MFA and a single-region trail. bench/world.py builds it at a larger scale.
"""

import json
import os
import threading
import urllib.request
from urllib.parse import urlsplit

import boto3

from scans.collection.aws import AwsCredentials

# moto would otherwise seed ~1,300 public AMIs per region whose snapshots look like the account's.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

DEMO_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
# moto's account: known before its server is up, so a demo scan is labelled from the start.
DEMO_ACCOUNT_ID = "123456789012"
DEMO_ACCESS_KEY_ID = "AKIADEMOACCTEXAMPLE0"
# Only the moto server accepts these; they open nothing anywhere else.
DEMO_SECRET_ACCESS_KEY = "DemoSecretKeyForTheMotoAccountOnly000000"  # noqa: S105
LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
PER_SCALE = {"security_groups": 8, "instances": 12, "volumes": 6, "snapshots": 4, "clusters": 2}


def demo_credentials(endpoint_url: str) -> AwsCredentials:
    return AwsCredentials(DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, endpoint_url=endpoint_url)


def _require_loopback(endpoint: str) -> None:
    host = urlsplit(endpoint).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        raise ValueError("the demo account lives on a loopback address only")


def _client(service: str, endpoint: str, region: str = "us-east-1"):
    _require_loopback(endpoint)
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=DEMO_ACCESS_KEY_ID,
        aws_secret_access_key=DEMO_SECRET_ACCESS_KEY,
    )


def build_region(endpoint: str, region: str, scale: int = 1) -> dict[str, int]:
    """One region of the company: returns how many of each kind were created."""
    ec2 = _client("ec2", endpoint, region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    # A /20: room for the instances of bench/world.py's larger scales (a /24 holds about 250).
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/20", AvailabilityZone=zone)
    subnet_id = subnet["Subnet"]["SubnetId"]
    counts = {name: per * scale for name, per in PER_SCALE.items()}
    # Ports opened to the world, in turn: SSH, HTTPS, PostgreSQL, RDP, everything, and an office.
    exposures = [
        (22, "0.0.0.0/0"),
        (443, "0.0.0.0/0"),
        (5432, "0.0.0.0/0"),
        (3389, "::/0"),
        (-1, "0.0.0.0/0"),
        (22, "10.20.0.0/16"),
        (8080, "10.20.0.0/16"),
        (443, "10.20.0.0/16"),
    ]
    for index in range(counts["security_groups"]):
        group = ec2.create_security_group(
            GroupName=f"app-{index}", Description="application tier", VpcId=vpc
        )["GroupId"]
        port, source = exposures[index % len(exposures)]
        permission = (
            {"IpProtocol": "-1"}
            if port == -1
            else {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
        )
        key = "Ipv6Ranges" if ":" in source else "IpRanges"
        permission[key] = [{"CidrIpv6" if ":" in source else "CidrIp": source}]
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[permission])
    image = ec2.register_image(Name="company-base", RootDeviceName="/dev/xvda")["ImageId"]
    for index in range(counts["instances"]):
        ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            SubnetId=subnet_id,
            Monitoring={"Enabled": index % 4 == 0},
            MetadataOptions={
                "HttpTokens": "optional" if index % 3 == 0 else "required",
                "HttpEndpoint": "enabled",
                "HttpPutResponseHopLimit": 2 if index % 5 == 0 else 1,
            },
        )
    volumes = [
        ec2.create_volume(Size=20, AvailabilityZone=zone, Encrypted=index % 2 == 1)["VolumeId"]
        for index in range(counts["volumes"])
    ]
    for index in range(counts["snapshots"]):
        snapshot = ec2.create_snapshot(VolumeId=volumes[index % len(volumes)])["SnapshotId"]
        if index % 4 == 0:
            ec2.modify_snapshot_attribute(
                SnapshotId=snapshot,
                Attribute="createVolumePermission",
                OperationType="add",
                GroupNames=["all"],
            )
    if region == DEMO_REGIONS[0]:
        ec2.enable_ebs_encryption_by_default()
    _build_launch_settings(endpoint, region, image, zone)
    eks = _client("eks", endpoint, region)
    for index in range(counts["clusters"]):
        private = index % 2 == 1
        eks.create_cluster(
            name=f"platform-{index}",
            version="1.31" if private else "1.28",
            roleArn="arn:aws:iam::123456789012:role/eks",
            resourcesVpcConfig={
                "subnetIds": [subnet_id],
                "endpointPublicAccess": not private,
                "endpointPrivateAccess": private,
            },
            logging={"clusterLogging": [{"types": LOG_TYPES, "enabled": private}]},
        )
    return counts


def _build_launch_settings(endpoint: str, region: str, image: str, zone: str) -> None:
    """A legacy launch template and launch configuration (IMDSv1, hop limit above 1, public
    IPs, an unencrypted volume) beside hardened ones; one group still on a launch
    configuration, one on a template. No group launches anything (capacity 0)."""
    ec2 = _client("ec2", endpoint, region)
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
    autoscaling = _client("autoscaling", endpoint, region)
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


def build_global(endpoint: str) -> None:
    """Account-wide parts: IAM users, a weak password policy, buckets, a single-region trail."""
    iam = _client("iam", endpoint)
    iam.update_account_password_policy(MinimumPasswordLength=8)
    for name in ("alice", "bob", "ci-deployer"):
        iam.create_user(UserName=name)
        if name != "ci-deployer":
            iam.create_login_profile(UserName=name, Password="Demo-password-1")  # noqa: S106
        else:
            iam.create_access_key(UserName=name)
    s3 = _client("s3", endpoint)
    s3.create_bucket(Bucket="company-logs")
    s3.create_bucket(Bucket="company-reports")
    s3.put_bucket_encryption(
        Bucket="company-reports",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    s3.put_public_access_block(
        Bucket="company-reports",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    _build_exposed_buckets(s3)
    _build_trails(endpoint, s3)


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


def _build_exposed_buckets(s3) -> None:
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


def _build_trails(endpoint: str, s3) -> None:
    """The old single-region trail logs to a bucket anyone can read; the audit trail covers
    every region with a private, access-logged bucket, CloudWatch Logs and S3 write data
    events, but records no management events."""
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
    logs = _client("logs", endpoint)
    logs.create_log_group(logGroupName="company-audit-trail")
    log_group = logs.describe_log_groups(logGroupNamePrefix="company-audit-trail")["logGroups"][0]
    cloudtrail = _client("cloudtrail", endpoint)
    cloudtrail.create_trail(Name="company-trail", S3BucketName="company-logs")
    cloudtrail.create_trail(
        Name="company-audit",
        S3BucketName="company-audit-logs",
        IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=log_group["arn"],
        CloudWatchLogsRoleArn=f"arn:aws:iam::{DEMO_ACCOUNT_ID}:role/cloudtrail-to-logs",
    )
    cloudtrail.put_event_selectors(
        TrailName="company-audit",
        EventSelectors=[
            {
                "ReadWriteType": "WriteOnly",
                "IncludeManagementEvents": False,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            }
        ],
    )
    cloudtrail.start_logging(Name="company-audit")


def seed_account(endpoint: str, *, regions: list[str] = DEMO_REGIONS, scale: int = 1) -> int:
    """Build the whole account; returns the number of regional resources created."""
    created = sum(sum(build_region(endpoint, region, scale).values()) for region in regions)
    build_global(endpoint)
    return created


def reset_moto_server(endpoint: str) -> None:
    """Empty a moto server's account: moto keeps one state per process, whoever started it."""
    _require_loopback(endpoint)
    reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310
    urllib.request.urlopen(reset).close()  # noqa: S310


class _DemoServer:
    """One seeded moto server per process, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server = None
        self.endpoint = ""

    def start(self, port: int = 0) -> str:
        from moto.server import ThreadedMotoServer

        with self._lock:
            if self._server is None:
                server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
                server.start()
                host, bound_port = server.get_host_and_port()
                self.endpoint = f"http://{host}:{bound_port}"
                reset_moto_server(self.endpoint)
                seed_account(self.endpoint)
                self._server = server
            return self.endpoint

    def stop(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.stop()
                self._server = None
                self.endpoint = ""


demo_server = _DemoServer()
