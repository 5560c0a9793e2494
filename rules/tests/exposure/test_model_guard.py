"""A model that cannot be built costs the path rules only, reported as not evaluated."""

from rules.engine import evaluate
from rules.exposure.model import NODE_TYPES, exposure_nodes
from rules.loading import load_catalog
from rules.schema import Catalog
from securescope.resources import Resource


def test_unexpected_data_leaves_the_path_rules_not_evaluated_with_the_reason(caplog):
    instance = Resource(
        type="AWS::EC2::Instance",
        arn="arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0",
        region="eu-west-1",
        data={"InstanceId": "i-0123456789abcdef0"},
    )
    # A group without its id: the model cannot index it.
    group = Resource(
        type="AWS::EC2::SecurityGroup",
        arn="arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123456789abcdef0",
        region="eu-west-1",
        data={"GroupName": "web"},
    )
    nodes = exposure_nodes([instance, group])
    assert sorted(node.type for node in nodes) == sorted(NODE_TYPES)
    assert {node.not_collected for node in nodes} == {"exposure model error: KeyError"}
    rules = tuple(rule for rule in load_catalog().rules if rule.resource_type in NODE_TYPES)
    results = list(evaluate(Catalog(rules=rules, errors=()), nodes))
    assert len(results) == len(rules)
    assert {found.result.status for found in results} == {"NOT_EVALUATED"}
    assert "0123456789abcdef0" not in caplog.text


def test_the_global_unit_has_no_nodes():
    user = Resource(type="AWS::IAM::User", arn="arn:aws:iam::123456789012:user/a", region="global")
    assert exposure_nodes([user]) == []
