"""The loader checks every field's content, not only its presence: a bad value disables its rule,
with the file, rule id and field named, and leaves the other rules loaded."""

from datetime import date
from pathlib import Path

import pytest

from rules.loading import load_catalog
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


def drop_in(mapping: str, name: str):
    return lambda rule: rule[mapping].pop(name)


def set_framework(name: str, value):
    """Maps the rule to one version (a single mapping), with `name` set to `value`."""

    def change(rule):
        mapping = {"version": "3.0.0", "sections": ["5.2", "5.3"], name: value}
        rule["compliance"]["cis_aws_foundations"] = mapping

    return change


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("title", set_field("title", "   ")),
        ("title", set_field("title", 42)),
        ("rationale", set_field("rationale", ["not", "text"])),
        ("service", set_field("service", {"name": "ec2"})),
        ("rationale", set_field("rationale", "word " * 161)),
        ("remediation", set_field("remediation", "aws ec2 revoke-security-group-ingress")),
        ("remediation.cli", set_in("remediation", "cli", " ")),
        ("remediation.console", set_in("remediation", "console", 7)),
        # Every rule says what its fix can break and how to prove nothing did, in one section
        # each that fits the finding page.
        ("remediation.summary", drop_in("remediation", "summary")),
        ("remediation.blast_radius", drop_in("remediation", "blast_radius")),
        ("remediation.regression_testing", drop_in("remediation", "regression_testing")),
        ("remediation.blast_radius", set_in("remediation", "blast_radius", "  ")),
        ("remediation.regression_testing", set_in("remediation", "regression_testing", [])),
        ("remediation.blast_radius", set_in("remediation", "blast_radius", "word " * 161)),
        ("remediation.regression_testing", set_in("remediation", "regression_testing", "x" * 801)),
        ("remediation.summary", set_in("remediation", "summary", "Revoke it.\nThen check.")),
        ("remediation.summary", set_in("remediation", "summary", "Revoke the rule. " * 9)),
        ("remediation.notes", set_in("remediation", "notes", "See the console.")),
        # The CLI block holds commands only.
        (
            "remediation.cli",
            set_in(
                "remediation", "cli", "Revoke the rule with aws ec2 revoke-security-group-ingress"
            ),
        ),
        (
            "remediation.cli",
            set_in("remediation", "cli", "aws ec2 describe-security-groups\nthen revoke the rule"),
        ),
        ("remediation.cli", set_in("remediation", "cli", "aws ec2 describe-vpcs --query 'Vpcs[")),
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
        # Versions and sections are checked against the framework registry's data.
        ("compliance.cis_aws_foundations.version", set_framework("version", "4.0.0")),
        ("compliance.cis_aws_foundations.sections", set_framework("sections", ["5.2", "5.99"])),
        # 5.7 is a requirement of v5.0.0, not of the v3.0.0 the rule maps.
        ("compliance.cis_aws_foundations.sections", set_framework("sections", ["5.7"])),
        ("compliance.cis_aws_foundations.level", set_framework("level", 1)),
        ("compliance.security_hub", set_in("compliance", "security_hub", ["EC2.13", 53])),
        ("compliance.security_hub", set_in("compliance", "security_hub", "EC2.13")),
        ("compliance.nist", set_in("compliance", "nist", ["AC-3"])),
        ("evaluation.params", set_in("evaluation", "params", [22])),
        # A list is no evaluator name (and cannot be looked up as one).
        ("evaluation.evaluator", set_in("evaluation", "evaluator", ["security_group"])),
    ],
)
def test_bad_field_value_disables_only_its_rule(catalog_copy, field, change):
    edit_rule(catalog_copy / "ec2_network.yaml", RULE, change)
    assert_rejected(catalog_copy, "ec2_network.yaml", RULE, field)


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


def test_an_unknown_version_or_section_is_named_in_the_error(catalog_copy):
    edit_rule(catalog_copy / "ec2_network.yaml", RULE, set_framework("sections", ["5.99"]))
    (error,) = load_catalog(catalog_copy).errors
    assert error.endswith("5.99 is not a requirement of CIS AWS Foundations Benchmark v3.0.0")


def test_a_mapping_to_any_known_version_is_accepted(catalog_copy):
    # v5.0.0 numbers the SSH items 5.3 and 5.4; the registry knows that version too.
    edit_rule(
        catalog_copy / "ec2_network.yaml",
        RULE,
        set_in("compliance", "cis_aws_foundations", {"version": "5.0.0", "sections": ["5.3"]}),
    )
    assert load_catalog(catalog_copy).errors == ()


def test_unmapped_reason_alone_is_a_valid_compliance_entry():
    rule = {rule.id: rule for rule in load_catalog().rules}[UNMAPPED_RULE]
    assert set(rule.compliance) == {"unmapped"}
    assert "Prowler" in rule.compliance["unmapped"]


def set_param(name: str, value):
    def change(rule):
        # A fresh params mapping: YAML anchors share one between rules (the EKS calendar).
        rule["evaluation"]["params"] = {**rule["evaluation"]["params"], name: value}

    return change


def set_calendar_entry(version, window):
    def change(rule):
        versions = {**rule["evaluation"]["params"]["versions"], version: window}
        rule["evaluation"]["params"] = {**rule["evaluation"]["params"], "versions": versions}

    return change


WINDOW = {"end_of_standard_support": "2027-03-27", "end_of_extended_support": "2028-03-27"}


@pytest.mark.parametrize(
    ("source", "rule_id", "name", "value"),
    [
        ("ec2_network.yaml", "EC2_SG_SSH_OPEN", "ports", ["ssh"]),
        ("ec2_network.yaml", "EC2_SG_SSH_OPEN", "ports", [70000]),
        ("ec2_network.yaml", "EC2_SG_SSH_OPEN", "ports", [-1]),
        ("ec2_network.yaml", "EC2_SG_SSH_OPEN", "ports", [True]),
        ("ec2_network.yaml", "EC2_SG_SSH_OPEN", "ports", []),
        ("ec2_network.yaml", "EC2_SG_ADMIN_PORTS_IPV4", "protocols", ["tcp", "icmp"]),
        ("ec2_network.yaml", "EC2_SG_ADMIN_PORTS_IPV4", "protocols", ["TCP"]),
        ("ec2_network.yaml", "EC2_SG_ADMIN_PORTS_IPV4", "ipv4", "yes"),
        ("ec2_network.yaml", "EC2_SG_UNAUTHORIZED_PORTS", "allowed_udp_ports", ["53"]),
        ("ec2_network.yaml", "VPC_NACL_ADMIN_PORTS_OPEN", "protocols", ["6"]),
        ("ec2_network.yaml", "VPC_FLOW_LOGS", "traffic_types", ["all"]),
        ("ec2_instances.yaml", "EC2_IMDS_HOP_LIMIT", "max_hop_limit", 0),
        ("ec2_instances.yaml", "EC2_IMDS_HOP_LIMIT", "max_hop_limit", 65),
        ("ec2_instances.yaml", "EC2_STOPPED_TOO_LONG", "allowed_days", -5),
        ("ec2_instances.yaml", "EC2_PATCH_SCAN_STALE", "max_days", True),
        ("eks.yaml", "EKS_CONTROL_PLANE_LOGGING", "required_types", ["api", "audits"]),
        ("eks.yaml", "EKS_ENDPOINT_PUBLIC_ENABLED", "endpoint", "both"),
        ("eks.yaml", "EKS_VERSION_DRIFT_CLUSTER", "checked", "27/11/2026"),
        ("eks.yaml", "EKS_VERSION_DRIFT_CLUSTER", "checked", "2026-11-31"),
        ("eks.yaml", "EKS_VERSION_DRIFT_CLUSTER", "checked", "20261127"),
        ("eks.yaml", "EKS_VERSION_DRIFT_CLUSTER", "versions", {}),
        ("eks.yaml", "EKS_VERSION_EOS_SOON", "days", -1),
        ("eks.yaml", "EKS_NODEGROUP_VERSION_SKEW", "max_minor_skew", -1),
        ("eks.yaml", "EKS_NODEGROUP_AL2_AMI", "forbidden_prefixes", [" "]),
        ("eks.yaml", "EKS_NODEGROUP_SSH_OPEN", "allow_with_source_groups", "true"),
        ("iam.yaml", "IAM_PASSWORD_MIN_LENGTH", "field", "MaxPasswordAge"),
        ("iam.yaml", "IAM_PASSWORD_MIN_LENGTH", "minimum", 0),
        ("iam.yaml", "IAM_CREDENTIALS_UNUSED_45D", "days", 0),
        ("iam.yaml", "EC2_INSTANCE_ROLE_PRIVESC", "actions", ["iam:PassRole", "PassRole"]),
        ("storage.yaml", "EC2_EBS_SNAPSHOT_PUBLIC", "permissions_field", "Permissions"),
        ("storage.yaml", "KMS_KEY_PENDING_DELETION", "states", ["Deleted"]),
        ("storage.yaml", "EC2_EBS_VOLUME_UNATTACHED", "max_days", "30"),
        ("account.yaml", "S3_VERSIONING", "field", "status"),
        ("account.yaml", "CLOUDTRAIL_LOG_VALIDATION", "field", "LogValidation"),
        ("account.yaml", "CONFIG_RECORDER_ALL_REGIONS", "require_all_supported", "true"),
    ],
)
def test_bad_param_value_disables_only_its_rule(catalog_copy, source, rule_id, name, value):
    edit_rule(catalog_copy / source, rule_id, set_param(name, value))
    assert_rejected(catalog_copy, source, rule_id, f"evaluation.params.{name}")


@pytest.mark.parametrize(
    ("version", "window", "problem"),
    [
        # Unquoted in YAML, 1.30 is the number 1.3.
        (1.3, WINDOW, "must be a quoted"),
        ("1.35.2", WINDOW, "must be a quoted"),
        ("1.35", {"end_of_standard_support": "2027-03-27"}, "needs exactly"),
        ("1.35", {**WINDOW, "notes": "third-party"}, "needs exactly"),
        ("1.35", {**WINDOW, "end_of_standard_support": "2027-13-01"}, "ISO date"),
        ("1.35", {**WINDOW, "end_of_extended_support": "soon"}, "ISO date"),
        (
            "1.35",
            {"end_of_standard_support": "2028-03-27", "end_of_extended_support": "2027-03-27"},
            "must be before end_of_extended_support",
        ),
        (
            "1.35",
            {"end_of_standard_support": "2027-03-27", "end_of_extended_support": "2027-03-27"},
            "must be before end_of_extended_support",
        ),
    ],
)
def test_bad_eks_support_calendar_disables_only_its_rule(catalog_copy, version, window, problem):
    rule_id = "EKS_VERSION_DRIFT_CLUSTER"
    edit_rule(catalog_copy / "eks.yaml", rule_id, set_calendar_entry(version, window))
    assert_rejected(catalog_copy, "eks.yaml", rule_id, "evaluation.params.versions")
    assert problem in load_catalog(catalog_copy).errors[0]


def test_unquoted_calendar_dates_are_read_as_dates(catalog_copy):
    rule_id = "EKS_VERSION_DRIFT_CLUSTER"
    window = {
        "end_of_standard_support": date(2027, 3, 27),
        "end_of_extended_support": date(2028, 3, 27),
    }
    edit_rule(catalog_copy / "eks.yaml", rule_id, set_calendar_entry("1.35", window))
    assert "end_of_standard_support: 2027-03-27" in (catalog_copy / "eks.yaml").read_text()
    catalog = load_catalog(catalog_copy)
    assert catalog.errors == ()
    rule = {rule.id: rule for rule in catalog.rules}[rule_id]
    assert rule.params["versions"]["1.35"] == window
