"""A standalone account is not judged by ORGANIZATIONS_ALL_FEATURES: no finding, not a FAIL."""

from rules.engine import evaluate
from rules.loading import load_catalog
from rules.schema import Catalog
from securescope.resources import Resource


def test_an_account_outside_any_organization_has_no_finding():
    (rule,) = [rule for rule in load_catalog().rules if rule.id == "ORGANIZATIONS_ALL_FEATURES"]
    resource = Resource(
        "AWS::Organizations::Organization",
        "arn:aws:organizations::123456789012:organization/none",
        "global",
        {"InOrganization": False},
    )
    assert list(evaluate(Catalog(rules=(rule,), errors=()), [resource])) == []
