"""The loader checks every field's content, not only its presence: a bad value disables its rule,
with the file, rule id and field named, and leaves the other rules loaded."""

from pathlib import Path

import pytest

from rules.engine import load_catalog
from rules.tests.conftest import edit_rule

RULE = "EC2_SG_SSH_OPEN"


def assert_rejected(directory: Path, source: str, rule_id: str, field: str) -> None:
    catalog = load_catalog(directory)
    assert len(catalog.errors) == 1, catalog.errors
    assert catalog.errors[0].startswith(f"{source}: rule {rule_id}: field '{field}'")
    ids = {rule.id for rule in catalog.rules}
    assert rule_id not in ids
    assert len(ids) == len(load_catalog().rules) - 1, "only the bad rule is left out"


def set_field(name: str, value):
    return lambda rule: rule.update({name: value})


def set_in(mapping: str, name: str, value):
    return lambda rule: rule[mapping].update({name: value})


def set_framework(name: str, value):
    return lambda rule: rule["compliance"]["cis_aws_foundations"].update({name: value})


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("title", set_field("title", "   ")),
        ("title", set_field("title", 42)),
        ("rationale", set_field("rationale", ["not", "text"])),
        ("service", set_field("service", {"name": "ec2"})),
        ("remediation.cli", set_in("remediation", "cli", " ")),
        ("remediation.console", set_in("remediation", "console", 7)),
        ("references", set_field("references", "https://docs.aws.amazon.com/")),
        ("references[0]", set_field("references", ["http://docs.aws.amazon.com/ec2/"])),
        ("references[1]", set_field("references", ["https://docs.aws.amazon.com/", "docs"])),
        ("references[0]", set_field("references", ["https:///no-host"])),
        ("references[0]", set_field("references", ["https://docs.aws.amazon.com/a b"])),
        # Unquoted, YAML would read section 5.10 as the number 5.1.
        ("compliance.cis_aws_foundations.sections", set_framework("sections", [5.2])),
        ("compliance.cis_aws_foundations.sections", set_framework("sections", ["5.2", ""])),
        ("compliance.cis_aws_foundations.sections", set_framework("sections", "5.2")),
        ("compliance.cis_aws_foundations.version", set_framework("version", 3.0)),
        ("compliance.cis_aws_foundations.level", set_framework("level", 1)),
        ("compliance.security_hub", set_in("compliance", "security_hub", ["EC2.13", 53])),
        ("compliance.security_hub", set_in("compliance", "security_hub", "EC2.13")),
        ("compliance.nist", set_in("compliance", "nist", ["AC-3"])),
        ("evaluation.params", set_in("evaluation", "params", [22])),
    ],
)
def test_bad_field_value_disables_only_its_rule(catalog_copy, field, change):
    edit_rule(catalog_copy / "ec2.yaml", RULE, change)
    assert_rejected(catalog_copy, "ec2.yaml", RULE, field)


UNMAPPED_RULE = "ORGANIZATIONS_ALL_FEATURES"


@pytest.mark.parametrize(
    ("field", "compliance"),
    [
        # Neither a framework mapping nor the reason there is none.
        ("compliance", {}),
        ("compliance.security_hub", {"security_hub": []}),
        ("compliance.unmapped", {"unmapped": "  "}),
        ("compliance.unmapped", {"unmapped": ["no", "mapping"]}),
        ("compliance.unmapped", {"unmapped": "none found", "security_hub": ["IAM.1"]}),
    ],
)
def test_rule_without_a_mapping_must_say_why(catalog_copy, field, compliance):
    edit_rule(catalog_copy / "account.yaml", UNMAPPED_RULE, set_field("compliance", compliance))
    assert_rejected(catalog_copy, "account.yaml", UNMAPPED_RULE, field)


def test_unmapped_reason_alone_is_a_valid_compliance_entry():
    rule = {rule.id: rule for rule in load_catalog().rules}[UNMAPPED_RULE]
    assert set(rule.compliance) == {"unmapped"}
    assert "Prowler" in rule.compliance["unmapped"]
