"""An account on moto built link by link towards an exposure path, so that a test can leave
any one link out (rules/tests/exposure, scans/tests/lifecycle)."""

import json
from typing import Any

import boto3

ACCOUNT = "123456789012"
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
BENIGN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::logs"}],
}


class Account:
    """A VPC with one subnet, built link by link so that each test can leave one out."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.ec2 = boto3.client("ec2", region_name=region)
        self.iam = boto3.client("iam", region_name=region)
        self.vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnet = self.ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.0.1.0/24")["Subnet"][
            "SubnetId"
        ]
        self.table = self.ec2.create_route_table(VpcId=self.vpc)["RouteTable"]["RouteTableId"]
        self.ec2.associate_route_table(RouteTableId=self.table, SubnetId=self.subnet)
        self.image = self.ec2.register_image(Name="base", RootDeviceName="/dev/xvda")["ImageId"]

    def internet_route(self) -> None:
        gateway = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=self.vpc)
        self.ec2.create_route(
            RouteTableId=self.table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway
        )

    def nat_route(self) -> None:
        allocation = self.ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = self.ec2.create_nat_gateway(SubnetId=self.subnet, AllocationId=allocation)
        self.ec2.create_route(
            RouteTableId=self.table,
            DestinationCidrBlock="0.0.0.0/0",
            NatGatewayId=nat["NatGateway"]["NatGatewayId"],
        )

    def group(self, name: str, *ports: int) -> str:
        group = self.ec2.create_security_group(GroupName=name, Description=name, VpcId=self.vpc)
        for port in ports:
            self.ec2.authorize_security_group_ingress(
                GroupId=group["GroupId"],
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": port,
                        "ToPort": port,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                    }
                ],
            )
        return group["GroupId"]

    def deny_in_acl(self, port: int) -> None:
        acl = self.ec2.create_network_acl(VpcId=self.vpc)["NetworkAcl"]["NetworkAclId"]
        for number, action, ports in ((10, "deny", (port, port)), (20, "allow", (0, 65535))):
            self.ec2.create_network_acl_entry(
                NetworkAclId=acl,
                RuleNumber=number,
                Protocol="6",
                RuleAction=action,
                Egress=False,
                CidrBlock="0.0.0.0/0",
                PortRange={"From": ports[0], "To": ports[1]},
            )
        current = self.ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [self.subnet]}]
        )["NetworkAcls"][0]
        (association,) = [a for a in current["Associations"] if a["SubnetId"] == self.subnet]
        self.ec2.replace_network_acl_association(
            AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl
        )

    def profile(self, name: str, policy: dict) -> str:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
        self.iam.put_role_policy(
            RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(policy)
        )
        profile = self.iam.create_instance_profile(InstanceProfileName=name)["InstanceProfile"]
        self.iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
        return profile["Arn"]

    def instance(
        self,
        *,
        groups: list[str],
        profile: str | None,
        public: bool = True,
        tokens: str = "optional",
    ) -> str:
        params: dict[str, Any] = {
            "ImageId": self.image,
            "MinCount": 1,
            "MaxCount": 1,
            "NetworkInterfaces": [
                {
                    "DeviceIndex": 0,
                    "SubnetId": self.subnet,
                    "Groups": groups,
                    "AssociatePublicIpAddress": public,
                }
            ],
            "MetadataOptions": {"HttpTokens": tokens, "HttpEndpoint": "enabled"},
        }
        if profile:
            params["IamInstanceProfile"] = {"Arn": profile}
        instance = self.ec2.run_instances(**params)["Instances"][0]
        return f"arn:aws:ec2:{self.region}:{ACCOUNT}:instance/{instance['InstanceId']}"
