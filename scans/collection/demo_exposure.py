"""What the demo account plants for the exposure paths (rules/catalog/exposure.yaml): in an
"edge" VPC of one region, a full path and a near miss that lacks one link, for each kind.

- Administration port: a bastion with SSH open to the world, an administrator role and IMDSv1
  (full); the same bastion with a read-only role and IMDSv2 required (near miss).
- IMDSv1 with a role: a web server on 443 answering IMDSv1 (full); a worker behind the NAT
  gateway only, with no public address (near miss: no route in).
- Load balancer: an internet-facing balancer forwarding to an app server that answers IMDSv1
  (full); an internal balancer forwarding to another such server (near miss).
- Interface no instance owns: a database's interface with an Elastic IP and PostgreSQL open to
  the world in the public subnet (full); the same interface in the subnet behind the NAT
  gateway (near miss: no internet gateway route). Planted last, once the rest of the account
  exists, so that the resources before them keep their seeded ids.
- EKS (demo.py's clusters): the public cluster runs nodes on the admin role (full); the private
  one does not (near miss).
"""

import json
from typing import Any

from scans.collection.aws import GLOBAL_API_REGION
from scans.collection.demo_plants import NODE_TRUST, ClientFor

EDGE_CIDR = "10.1.0.0/16"
PUBLIC_CIDR = "10.1.0.0/24"
PRIVATE_CIDR = "10.1.2.0/24"
PROFILE_POLICIES = {
    "edge-admin": {"Effect": "Allow", "Action": "*", "Resource": "*"},
    "edge-reader": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::logs"},
}


def _profiles(client: ClientFor) -> dict[str, str]:
    iam = client("iam", GLOBAL_API_REGION)
    arns = {}
    for name, statement in PROFILE_POLICIES.items():
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(NODE_TRUST))
        iam.put_role_policy(
            RoleName=name,
            PolicyName="workload",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
        )
        arns[name] = iam.create_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Arn"]
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return arns


def _world_group(ec2: Any, vpc: str, name: str, port: int) -> str:
    group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": port,
                "ToPort": port,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    return group


def build_exposure_paths(client: ClientFor, region: str, image: str, zones: list[str]) -> None:
    ec2 = client("ec2", region)
    profiles = _profiles(client)
    vpc = ec2.create_vpc(CidrBlock=EDGE_CIDR)["Vpc"]["VpcId"]
    public, second_public, private = (
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (
            (PUBLIC_CIDR, zones[0]),
            ("10.1.1.0/24", zones[-1]),
            (PRIVATE_CIDR, zones[0]),
        )
    )
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    routed = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=routed, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    for subnet in (public, second_public):
        ec2.associate_route_table(RouteTableId=routed, SubnetId=subnet)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=allocation)["NatGateway"]
    behind_nat = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(
        RouteTableId=behind_nat, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat["NatGatewayId"]
    )
    ec2.associate_route_table(RouteTableId=behind_nat, SubnetId=private)
    ssh = _world_group(ec2, vpc, "edge-ssh", 22)
    https = _world_group(ec2, vpc, "edge-https", 443)

    def instance(subnet: str, group: str, profile: str, tokens: str, public_ip: bool) -> str:
        return ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            NetworkInterfaces=[
                {
                    "DeviceIndex": 0,
                    "SubnetId": subnet,
                    "Groups": [group],
                    "AssociatePublicIpAddress": public_ip,
                }
            ],
            IamInstanceProfile={"Arn": profiles[profile]},
            MetadataOptions={"HttpTokens": tokens, "HttpEndpoint": "enabled"},
        )["Instances"][0]["InstanceId"]

    instance(public, ssh, "edge-admin", "optional", True)
    instance(public, ssh, "edge-reader", "required", True)
    instance(public, https, "edge-reader", "optional", True)
    instance(private, ssh, "edge-admin", "optional", False)
    for scheme in ("internet-facing", "internal"):
        target = instance(private, https, "edge-reader", "optional", False)
        _balancer(client, region, scheme, vpc, [public, second_public], https, target)


def _balancer(
    client: ClientFor,
    region: str,
    scheme: str,
    vpc: str,
    subnets: list[str],
    group: str,
    target: str,
) -> None:
    elbv2 = client("elbv2", region)
    name = f"edge-{scheme}"
    balancer = elbv2.create_load_balancer(
        Name=name, Subnets=subnets, SecurityGroups=[group], Scheme=scheme
    )["LoadBalancers"][0]
    target_group = elbv2.create_target_group(
        Name=name, Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance"
    )["TargetGroups"][0]
    elbv2.register_targets(TargetGroupArn=target_group["TargetGroupArn"], Targets=[{"Id": target}])
    elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=443,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group["TargetGroupArn"]}],
    )


def build_interface_paths(client: ClientFor, region: str) -> None:
    """The interface paths, in the edge VPC that build_exposure_paths made in `region`."""
    ec2 = client("ec2", region)
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "cidr-block", "Values": [EDGE_CIDR]}])["Vpcs"]
    database = _world_group(ec2, vpc["VpcId"], "edge-database", 5432)
    for cidr in (PUBLIC_CIDR, PRIVATE_CIDR):
        (subnet,) = ec2.describe_subnets(Filters=[{"Name": "cidr-block", "Values": [cidr]}])[
            "Subnets"
        ]
        interface = ec2.create_network_interface(SubnetId=subnet["SubnetId"], Groups=[database])
        address = ec2.allocate_address(Domain="vpc")["AllocationId"]
        ec2.associate_address(
            AllocationId=address,
            NetworkInterfaceId=interface["NetworkInterface"]["NetworkInterfaceId"],
        )
