"""Fake AWS for tests: placeholder keys, moto users with a policy, a seeded region."""

import json

TEST_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"


TEST_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


# The trust policy of a role EC2 instances can wear (an instance profile's role).
EC2_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


AUDITOR_POLICY = """{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*",
  "Action": ["sts:GetCallerIdentity", "sts:AssumeRole", "ec2:Describe*", "ec2:Get*",
             "eks:List*", "eks:Describe*", "iam:Get*", "iam:List*"]}]}"""


ALL_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def create_role_for_auditor(*, external_id: str) -> str:
    """A role in moto that only the `auditor` user (moto_user_keys) may assume, with this
    external id; create it before moto's authentication is switched on. Returns its ARN."""
    import boto3

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:user/auditor"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }
    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="scanner", AssumeRolePolicyDocument=json.dumps(trust))
    return role["Role"]["Arn"]


def moto_user_keys(monkeypatch, *, user_name: str, policy: str) -> dict[str, str]:
    """Real keys of an IAM user with `policy` in moto; moto then checks every request's rights."""
    import boto3
    from moto import settings as moto_settings
    from moto.core.authorization import ActionAuthenticatorMixin

    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName=user_name)
    iam.put_user_policy(UserName=user_name, PolicyName="scan", PolicyDocument=policy)
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
    return {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}


def seed_region(region: str) -> dict[str, str]:
    """One failing and one passing resource for each seed rule; returns their ids by role."""
    import boto3

    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=zone)
    ids = {}
    ids["open_sg"] = ec2.create_security_group(GroupName="ssh-open", Description="open", VpcId=vpc)[
        "GroupId"
    ]
    ec2.authorize_security_group_ingress(
        GroupId=ids["open_sg"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    ids["tight_sg"] = ec2.create_security_group(
        GroupName="ssh-office", Description="tight", VpcId=vpc
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=ids["tight_sg"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "198.51.100.0/24"}],
            }
        ],
    )
    image = ec2.register_image(Name="base-image", RootDeviceName="/dev/xvda")["ImageId"]
    launch = {
        "ImageId": image,
        "MinCount": 1,
        "MaxCount": 1,
        "SubnetId": subnet["Subnet"]["SubnetId"],
    }
    ids["imds_v1"] = ec2.run_instances(
        **launch, MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"}
    )["Instances"][0]["InstanceId"]
    ids["imds_v2"] = ec2.run_instances(
        **launch, MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"}
    )["Instances"][0]["InstanceId"]
    ids["plain_volume"] = ec2.create_volume(Size=8, AvailabilityZone=zone)["VolumeId"]
    ids["encrypted_volume"] = ec2.create_volume(Size=8, AvailabilityZone=zone, Encrypted=True)[
        "VolumeId"
    ]
    eks = boto3.client("eks", region_name=region)
    vpc_config = {"subnetIds": [subnet["Subnet"]["SubnetId"]]}
    role = "arn:aws:iam::123456789012:role/eks"
    eks.create_cluster(name="open-cluster", roleArn=role, resourcesVpcConfig=vpc_config)
    eks.create_cluster(
        name="tight-cluster",
        roleArn=role,
        resourcesVpcConfig={
            **vpc_config,
            "endpointPublicAccess": False,
            "endpointPrivateAccess": True,
        },
        logging={"clusterLogging": [{"types": ALL_LOG_TYPES, "enabled": True}]},
    )
    return ids
