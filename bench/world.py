"""Build a simulated AWS account on a moto server, deterministically, at a chosen scale.

    .venv/bin/python bench/world.py --endpoint http://127.0.0.1:5055 --scale 1 --regions 3

Scale 1 per region: 20 security groups (every fourth open to SSH from anywhere), 20 instances
(every third still allowing IMDSv1), 20 extra volumes (every other one unencrypted) and 2 EKS
clusters (one public without CIDR restriction and without logs, one private with all logs).
Only loopback endpoints are accepted: benchmarks never touch a real account.
"""

import argparse
import sys
from urllib.parse import urlparse

import boto3

REGIONS = ["us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-southeast-2", "ca-central-1"]
LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
PER_SCALE = {"security_groups": 20, "instances": 20, "volumes": 20, "clusters": 2}


def build_region(endpoint: str, region: str, scale: int) -> dict[str, int]:
    ec2 = boto3.client("ec2", region_name=region, endpoint_url=endpoint)
    eks = boto3.client("eks", region_name=region, endpoint_url=endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=zone)
    subnet_id = subnet["Subnet"]["SubnetId"]
    counts = {name: per * scale for name, per in PER_SCALE.items()}
    for index in range(counts["security_groups"]):
        group = ec2.create_security_group(
            GroupName=f"bench-{index}", Description="bench", VpcId=vpc
        )["GroupId"]
        source = "0.0.0.0/0" if index % 4 == 0 else "10.20.0.0/16"
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [{"CidrIp": source}],
                }
            ],
        )
    image = ec2.register_image(Name="bench-base", RootDeviceName="/dev/xvda")["ImageId"]
    for index in range(counts["instances"]):
        tokens = "optional" if index % 3 == 0 else "required"
        ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            SubnetId=subnet_id,
            MetadataOptions={"HttpTokens": tokens, "HttpEndpoint": "enabled"},
        )
    for index in range(counts["volumes"]):
        ec2.create_volume(Size=8, AvailabilityZone=zone, Encrypted=index % 2 == 1)
    for index in range(counts["clusters"]):
        private = index % 2 == 1
        eks.create_cluster(
            name=f"bench-{index}",
            roleArn="arn:aws:iam::123456789012:role/eks",
            resourcesVpcConfig={
                "subnetIds": [subnet_id],
                "endpointPublicAccess": not private,
                "endpointPrivateAccess": private,
            },
            logging={"clusterLogging": [{"types": LOG_TYPES, "enabled": private}]},
        )
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="moto server URL on a loopback address")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--regions", type=int, default=3, choices=range(1, len(REGIONS) + 1))
    args = parser.parse_args()
    host = urlparse(args.endpoint).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        parser.error("the endpoint must be a loopback address")
    regions = REGIONS[: args.regions]
    total = 0
    for region in regions:
        counts = build_region(args.endpoint, region, args.scale)
        total += sum(counts.values())
        print(f"{region}: {counts}")
    print(
        f"world: scale {args.scale}, {len(regions)} regions ({','.join(regions)}), "
        f"{total} resources created"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
