"""Evidence holds normalized facts only: what failed, never which resource or network."""

from rules.engine import evaluate
from rules.loading import load_catalog
from rules.schema import Catalog
from securescope.resources import Resource

RULES = {rule.id: rule for rule in load_catalog().rules}


def evidence(rule_id: str, data: dict, *, not_collected: str | None = None) -> dict:
    rule = RULES[rule_id]
    resource = Resource(
        type=rule.resource_type,
        arn="arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123456789abcdef0",
        region="eu-west-1",
        data=data,
        not_collected=not_collected,
    )
    (evaluation,) = evaluate(Catalog(rules=(rule,), errors=()), [resource])
    return evaluation.result.evidence


def test_ssh_open_names_port_and_world_source_only():
    group = {
        "GroupId": "sg-0123456789abcdef0",
        "GroupName": "payments-admin",
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "203.0.113.7/32"}],
            }
        ],
    }
    found = evidence("EC2_SG_SSH_OPEN", group)
    assert found["open_ports"] == [22]
    assert found["ingress_rules"][0]["sources"] == ["0.0.0.0/0"]
    for identifier in ("203.0.113.7", "sg-", "payments"):
        assert identifier not in str(found)


def test_volume_evidence_is_flags_and_type():
    found = evidence(
        "EC2_EBS_ENCRYPTION",
        {
            "VolumeId": "vol-0123456789abcdef0",
            "Encrypted": False,
            "Attachments": [],
            "VolumeType": "gp3",
        },
    )
    assert found == {"encrypted": False, "attached": False, "volume_type": "gp3"}


def test_eks_endpoint_evidence_counts_customer_cidrs_without_naming_them():
    found = evidence(
        "EKS_PUBLIC_ENDPOINT_NO_CIDR",
        {
            "name": "payments",
            "resourcesVpcConfig": {
                "endpointPublicAccess": True,
                "publicAccessCidrs": ["198.51.100.0/24", "0.0.0.0/0"],
            },
        },
    )
    assert found["world_cidrs"] == ["0.0.0.0/0"]
    assert found["restricted_cidr_count"] == 1
    assert "198.51.100" not in str(found)
    assert "payments" not in str(found)


def test_not_collected_types_are_not_evaluated_with_the_reason():
    found = evidence("EC2_SG_SSH_OPEN", {}, not_collected="missing permission: x:Y")
    assert found == {"reason": "missing permission: x:Y"}
