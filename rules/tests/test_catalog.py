"""The catalog loads cleanly, rejects bad rules one by one, and reloads edits."""

import os

import pytest

from rules.loading import load_catalog
from rules.tests.conftest import replace_in

CORE_RULES = {
    "EC2_SG_SSH_OPEN",
    "EC2_IMDSV2_REQUIRED",
    "EC2_EBS_ENCRYPTION",
    "EC2_EBS_DEFAULT_ENCRYPTION",
    "COMMON_S3_ENCRYPTION",
    "EKS_PUBLIC_ENDPOINT_NO_CIDR",
    "EKS_CONTROL_PLANE_LOGGING",
    "EKS_VERSION_DRIFT_CLUSTER",
    "IAM_ROOT_MFA",
}


def test_shipped_catalog_has_no_errors_and_the_core_rules():
    catalog = load_catalog()
    assert catalog.errors == ()
    assert {rule.id for rule in catalog.rules} >= CORE_RULES


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("severity: high\n", "severity: urgent\n", "severity"),
        (
            "evaluator: security_group_ports_open_to_world",
            "evaluator: nope",
            "evaluation.evaluator",
        ),
        ("params: {ports: [22]}", "params: {ports: 22}", "evaluation.params.ports"),
        ("params: {ports: [22]}", "params: {port: [22]}", "evaluation.params.port"),
        (
            "    title: Security group allows SSH",
            "    colour: red\n    title: Security group allows SSH",
            "colour",
        ),
        (
            "    compliance:\n"
            "      cis_aws_foundations:\n"
            '        - {version: "5.0.0", sections: ["5.3", "5.4"]}\n'
            '        - {version: "3.0.0", sections: ["5.2", "5.3"]}\n'
            '      security_hub: ["EC2.13", "EC2.53", "EC2.54"]\n',
            "",
            "compliance",
        ),
        (
            'sections: ["5.2", "5.3"]',
            "sections: []",
            "compliance.cis_aws_foundations[1].sections",
        ),
        (
            '{version: "5.0.0", sections: ["5.3", "5.4"]}',
            '{version: "3.0.0", sections: ["5.2"]}',
            "compliance.cis_aws_foundations[1].version",
        ),
    ],
)
def test_bad_rule_names_file_rule_and_field_and_spares_the_rest(catalog_copy, old, new, field):
    replace_in(catalog_copy / "ec2_network.yaml", old, new)
    catalog = load_catalog(catalog_copy)
    assert len(catalog.errors) == 1
    assert catalog.errors[0].startswith(f"ec2_network.yaml: rule EC2_SG_SSH_OPEN: field '{field}'")
    ids = {rule.id for rule in catalog.rules}
    assert "EC2_SG_SSH_OPEN" not in ids
    assert CORE_RULES - {"EC2_SG_SSH_OPEN"} <= ids


def test_duplicate_rule_id_is_rejected(catalog_copy):
    replace_in(catalog_copy / "storage.yaml", "id: EC2_EBS_ENCRYPTION", "id: EC2_SG_SSH_OPEN")
    catalog = load_catalog(catalog_copy)
    assert any("field 'id': duplicate" in error for error in catalog.errors)


def test_broken_yaml_file_leaves_other_files_loaded(catalog_copy):
    (catalog_copy / "eks.yaml").write_text("rules: [unclosed\n")
    catalog = load_catalog(catalog_copy)
    assert catalog.errors[0].startswith("eks.yaml: not valid YAML")
    assert "EC2_SG_SSH_OPEN" in {rule.id for rule in catalog.rules}


def test_edited_file_is_picked_up_without_restart(catalog_copy):
    path = catalog_copy / "ec2_network.yaml"
    before = load_catalog(catalog_copy)
    assert {r.id: r.severity for r in before.rules}["EC2_SG_SSH_OPEN"] == "high"
    replace_in(path, "severity: high\n", "severity: critical\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    after = load_catalog(catalog_copy)
    assert {r.id: r.severity for r in after.rules}["EC2_SG_SSH_OPEN"] == "critical"


def test_same_size_edit_with_the_mtime_kept_is_picked_up(catalog_copy):
    path = catalog_copy / "ec2_network.yaml"
    before = load_catalog(catalog_copy)
    assert {r.id: r.severity for r in before.rules}["EC2_SG_SSH_OPEN"] == "high"
    stat = path.stat()
    # "high" and "info" have the same length, and the mtime is put back as a deploy tool might.
    replace_in(path, "severity: high\n", "severity: info\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    after = load_catalog(catalog_copy)
    assert {r.id: r.severity for r in after.rules}["EC2_SG_SSH_OPEN"] == "info"
