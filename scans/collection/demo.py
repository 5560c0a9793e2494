"""The demo account: a small company's AWS account on an in-process moto server on 127.0.0.1.

A demo scan runs through exactly the same pipeline as a real one; only the endpoint differs. The
account is built deterministically: open and tight security groups, instances with mixed IMDS
settings, encrypted and unencrypted volumes, public and private snapshots, EKS clusters with a
public endpoint, an old version and missing logs, S3 buckets with and without encryption, IAM
users without MFA and a single-region trail. bench/world.py builds it at a larger scale.
"""

import logging
import os
import threading
import urllib.request
from urllib.parse import urlsplit

import boto3

from scans.collection import demo_exposure, demo_plants
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


def _client_factory(endpoint: str) -> demo_plants.ClientFor:
    return lambda service, region: _client(service, endpoint, region)


def _replace_default_vpc(ec2) -> None:
    """moto builds a region's default VPC when its backend is reset, before a seed for its random
    ids can apply (getmoto/moto#6592): one drawn from the seeded generator takes its place, so
    two seeded demo accounts hash to the same resources."""
    default = [{"Name": "is-default", "Values": ["true"]}]
    stale_acls = []
    for vpc in ec2.describe_vpcs(Filters=default)["Vpcs"]:
        in_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
        for subnet in ec2.describe_subnets(Filters=in_vpc)["Subnets"]:
            ec2.delete_subnet(SubnetId=subnet["SubnetId"])
        stale_acls += ec2.describe_network_acls(Filters=in_vpc)["NetworkAcls"]
        ec2.delete_vpc(VpcId=vpc["VpcId"])
    new_vpc = ec2.create_default_vpc()["Vpc"]["VpcId"]
    # AWS deletes a VPC's network ACL with it; moto keeps it, still associated with the deleted
    # subnets, and refuses to delete it until those associations move elsewhere.
    new_acl = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [new_vpc]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"][0]["NetworkAclId"]
    for acl in stale_acls:
        for association in acl["Associations"]:
            ec2.replace_network_acl_association(
                AssociationId=association["NetworkAclAssociationId"], NetworkAclId=new_acl
            )
        ec2.delete_network_acl(NetworkAclId=acl["NetworkAclId"])


def build_region(
    endpoint: str, region: str, scale: int = 1, *, node_roles: dict[str, str] | None = None
) -> dict[str, int]:
    """One region of the company: returns how many of each kind were created. Node groups
    are added when the account's node roles (`demo_plants.build_node_roles`) are given."""
    client = _client_factory(endpoint)
    ec2 = _client("ec2", endpoint, region)
    _replace_default_vpc(ec2)
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
        zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
        demo_exposure.build_exposure_paths(client, region, image, zones[:2])
        demo_plants.build_guardduty(client, region)
        demo_plants.build_inspector(client, region, DEMO_ACCOUNT_ID)
    demo_plants.build_ecr(client, region)
    demo_plants.build_launch_settings(client, region, image, zone)
    eks = _client("eks", endpoint, region)
    clusters = []
    for index in range(counts["clusters"]):
        private = index % 2 == 1
        clusters.append(f"platform-{index}")
        # Public clusters log the API only: audit logging is off.
        logging = (
            [{"types": LOG_TYPES, "enabled": True}]
            if private
            else [
                {"types": ["api"], "enabled": True},
                {"types": LOG_TYPES[1:], "enabled": False},
            ]
        )
        eks.create_cluster(
            name=f"platform-{index}",
            version="1.31" if private else "1.28",
            roleArn="arn:aws:iam::123456789012:role/eks",
            resourcesVpcConfig={
                "subnetIds": [subnet_id],
                "endpointPublicAccess": not private,
                "endpointPrivateAccess": private,
            },
            logging={"clusterLogging": logging},
        )
    if node_roles and clusters:
        demo_plants.build_eks_nodes(
            client,
            region,
            vpc=vpc,
            private_subnet=subnet_id,
            clusters=clusters,
            node_roles=node_roles,
        )
    return counts


def build_global(endpoint: str) -> None:
    """Account-wide parts: IAM users and a group, a weak password policy, buckets, trails."""
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
    demo_plants.build_identity(iam)
    demo_plants.build_exposed_buckets(s3)
    demo_plants.build_trails(_client_factory(endpoint), s3, DEMO_ACCOUNT_ID)


def seed_account(endpoint: str, *, regions: list[str] = DEMO_REGIONS, scale: int = 1) -> int:
    """Build the whole account; returns the number of regional resources created."""
    node_roles = demo_plants.build_node_roles(_client_factory(endpoint))
    created = sum(
        sum(build_region(endpoint, region, scale, node_roles=node_roles).values())
        for region in regions
    )
    build_global(endpoint)
    if DEMO_REGIONS[0] in regions:
        demo_exposure.build_interface_paths(_client_factory(endpoint), DEMO_REGIONS[0])
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
                # Each API moto lacks answers with a traceback logged by werkzeug; scans meet
                # them on purpose (they are reported as not evaluated), and a console or pipe
                # that nobody drains would fill up and stall the server.
                logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
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
