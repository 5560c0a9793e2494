"""Each seed rule: a FAIL case and a PASS case on crafted API data (boto3 response shapes)."""

import pytest

from rules.engine import load_catalog
from rules.evaluators import REGISTRY
from scans.inventory import Resource


def run_rule(rule_id: str, resource_type: str, data: dict):
    rule = next(rule for rule in load_catalog().rules if rule.id == rule_id)
    assert rule.resource_type == resource_type
    resource = Resource(
        type=resource_type,
        arn="arn:aws:ec2:us-east-1:123456789012:x/y",
        region="us-east-1",
        data=data,
    )
    return REGISTRY[rule.evaluator](resource, params=rule.params)


def ingress(protocol="tcp", from_port=22, to_port=22, v4=(), v6=()):
    return {
        "IpProtocol": protocol,
        "FromPort": from_port,
        "ToPort": to_port,
        "IpRanges": [{"CidrIp": cidr} for cidr in v4],
        "Ipv6Ranges": [{"CidrIpv6": cidr} for cidr in v6],
    }


SG = "AWS::EC2::SecurityGroup"


@pytest.mark.parametrize(
    ("permission", "status"),
    [
        (ingress(v4=["0.0.0.0/0"]), "FAIL"),
        (ingress(v6=["::/0"]), "FAIL"),
        (ingress(from_port=0, to_port=1024, v4=["0.0.0.0/0"]), "FAIL"),
        (ingress(protocol="-1", from_port=None, to_port=None, v4=["0.0.0.0/0"]), "FAIL"),
        (ingress(v4=["10.0.0.0/8"]), "PASS"),
        (ingress(from_port=443, to_port=443, v4=["0.0.0.0/0"]), "PASS"),
        (ingress(protocol="icmp", from_port=-1, to_port=-1, v4=["0.0.0.0/0"]), "PASS"),
    ],
)
def test_ssh_open_to_world(permission, status):
    result = run_rule("EC2_SG_SSH_OPEN", SG, {"IpPermissions": [permission]})
    assert result.status == status


def test_ssh_open_evidence_names_port_and_world_source_only():
    permission = ingress(v4=["0.0.0.0/0", "203.0.113.7/32"])
    result = run_rule(
        "EC2_SG_SSH_OPEN", SG, {"GroupId": "sg-0123456789abcdef0", "IpPermissions": [permission]}
    )
    assert result.evidence["open_ports"] == [22]
    assert result.evidence["ingress_rules"][0]["sources"] == ["0.0.0.0/0"]
    assert "203.0.113.7" not in str(result.evidence)
    assert "sg-" not in str(result.evidence)


INSTANCE = "AWS::EC2::Instance"


@pytest.mark.parametrize(
    ("options", "status"),
    [
        ({"HttpTokens": "optional", "HttpEndpoint": "enabled"}, "FAIL"),
        ({}, "FAIL"),
        ({"HttpTokens": "required", "HttpEndpoint": "enabled"}, "PASS"),
        ({"HttpTokens": "optional", "HttpEndpoint": "disabled"}, "PASS"),
    ],
)
def test_imdsv2_required(options, status):
    assert run_rule("EC2_IMDSV2_REQUIRED", INSTANCE, {"MetadataOptions": options}).status == status


@pytest.mark.parametrize(("encrypted", "status"), [(False, "FAIL"), (True, "PASS")])
def test_volume_encryption(encrypted, status):
    data = {"Encrypted": encrypted, "Attachments": [], "VolumeType": "gp3"}
    result = run_rule("EC2_EBS_ENCRYPTION", "AWS::EC2::Volume", data)
    assert result.status == status
    assert result.evidence == {"encrypted": encrypted, "attached": False, "volume_type": "gp3"}


@pytest.mark.parametrize(("enabled", "status"), [(False, "FAIL"), (True, "PASS")])
def test_ebs_default_encryption(enabled, status):
    data = {"EbsEncryptionByDefault": enabled, "SseType": "sse-ebs"}
    result = run_rule("EC2_EBS_DEFAULT_ENCRYPTION", "AWS::EC2::EbsDefaultEncryption", data)
    assert result.status == status


CLUSTER = "AWS::EKS::Cluster"


@pytest.mark.parametrize(
    ("vpc_config", "status"),
    [
        ({"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}, "FAIL"),
        ({"endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.0/24", "::/0"]}, "FAIL"),
        # The API's default when publicAccessCidrs is absent is the whole internet.
        ({"endpointPublicAccess": True}, "FAIL"),
        ({"endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.0/24"]}, "PASS"),
        ({"endpointPublicAccess": False, "endpointPrivateAccess": True}, "PASS"),
    ],
)
def test_eks_public_endpoint(vpc_config, status):
    result = run_rule("EKS_PUBLIC_ENDPOINT_NO_CIDR", CLUSTER, {"resourcesVpcConfig": vpc_config})
    assert result.status == status
    assert "198.51.100" not in str(result.evidence)


ALL_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


@pytest.mark.parametrize(
    ("cluster_logging", "status", "missing"),
    [
        ([{"types": ALL_TYPES, "enabled": False}], "FAIL", ALL_TYPES),
        # moto and EKS list enabled and disabled groups: the enabled set is the union.
        (
            [
                {"types": ["api", "audit"], "enabled": False},
                {"types": ["authenticator", "controllerManager", "scheduler"], "enabled": True},
            ],
            "FAIL",
            ["api", "audit"],
        ),
        ([], "FAIL", sorted(ALL_TYPES)),
        (
            [
                {"types": ["scheduler"], "enabled": False},
                {"types": ALL_TYPES, "enabled": True},
            ],
            "PASS",
            [],
        ),
    ],
)
def test_eks_control_plane_logging(cluster_logging, status, missing):
    data = {"logging": {"clusterLogging": cluster_logging}}
    result = run_rule("EKS_CONTROL_PLANE_LOGGING", CLUSTER, data)
    assert result.status == status
    assert result.evidence["missing_types"] == sorted(missing)


@pytest.mark.parametrize(("mfa", "status"), [(0, "FAIL"), (1, "PASS")])
def test_root_mfa(mfa, status):
    data = {"SummaryMap": {"AccountMFAEnabled": mfa, "AccountAccessKeysPresent": 0}}
    assert run_rule("IAM_ROOT_MFA", "AWS::IAM::AccountSummary", data).status == status
