"""The coverage tables account for every requirement once: mapped by a rule, or listed in
`rules/coverage.yaml` with its reason; and a candidate left out is not in the catalog."""

import pytest

from rules.loading import load_catalog
from rules.readme_tables import (
    STATUS_LABELS,
    candidates_not_implemented,
    coverage_table,
    coverages,
    requirements_in_scope,
    rules_by_requirement,
)

COVERAGES = coverages()


def test_the_tables_cover_cis_aws_foundations_v5_and_cis_eks():
    assert {(item.framework, item.version) for item in COVERAGES} == {
        ("cis_aws_foundations", "5.0.0"),
        ("cis_eks", "1.8.0"),
    }


@pytest.mark.parametrize("coverage", COVERAGES, ids=lambda item: item.framework)
def test_every_requirement_is_automated_or_explained_never_both(coverage):
    in_scope = requirements_in_scope(coverage)
    mapped = set(rules_by_requirement(coverage)) & set(in_scope)
    explained = set(coverage.not_automated)
    assert explained <= set(in_scope), "reasons for requirements outside the table"
    assert mapped & explained == set(), "a mapped requirement also has a reason"
    assert set(in_scope) - mapped - explained == set(), "requirements with neither"
    for entry in coverage.not_automated.values():
        assert entry["status"] in STATUS_LABELS
        assert entry["reason"].strip()


def test_a_row_names_the_rules_or_the_reason():
    (foundations,) = [item for item in COVERAGES if item.framework == "cis_aws_foundations"]
    table = coverage_table(foundations)
    assert "| 1.3 | Ensure no 'root' user account access key exists | automated | " in table
    assert "`IAM_ROOT_ACCESS_KEYS`" in table
    assert (
        "| 2.2.1 | Ensure that encryption-at-rest is enabled for RDS instances | not applicable"
        in (table)
    )
    assert "not covered" not in table


def test_candidates_left_out_are_not_in_the_catalog():
    rule_ids = {rule.id for rule in load_catalog().rules}
    candidates = candidates_not_implemented()
    assert candidates
    assert set(candidates) & rule_ids == set()
    assert all(reason.strip() for reason in candidates.values())
