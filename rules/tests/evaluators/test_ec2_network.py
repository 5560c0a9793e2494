"""Network ACL rules and the VPC's default ACL: Security Hub EC2.21 leaves it out of the
admin-port check, and so does VPC_NACL_ADMIN_PORTS_OPEN; the all-traffic rule still reports it."""

from rules.engine import evaluate
from rules.loading import load_catalog
from rules.schema import Catalog
from rules.tests.cases.ec2_network import DEFAULT_ACL
from securescope.resources import Resource

RULES = {rule.id: rule for rule in load_catalog().rules}


def _evaluations(rule_id: str, data: dict) -> list:
    resource = Resource(
        "AWS::EC2::NetworkAcl",
        "arn:aws:ec2:eu-west-1:123456789012:network-acl/acl-0a1b2c3d4e5f60718",
        "eu-west-1",
        data,
    )
    return list(evaluate(Catalog(rules=(RULES[rule_id],), errors=()), [resource]))


def test_the_default_acl_is_not_judged_for_admin_ports():
    assert _evaluations("VPC_NACL_ADMIN_PORTS_OPEN", DEFAULT_ACL) == []


def test_the_same_entries_on_a_custom_acl_fail():
    (evaluation,) = _evaluations("VPC_NACL_ADMIN_PORTS_OPEN", {**DEFAULT_ACL, "IsDefault": False})
    assert evaluation.result.status == "FAIL"


def test_the_all_traffic_rule_still_reports_the_default_acl():
    (evaluation,) = _evaluations("VPC_NACL_ALL_PORTS_OPEN", DEFAULT_ACL)
    assert (evaluation.result.status, evaluation.result.evidence["is_default"]) == ("FAIL", True)
