"""The EKS support calendar in the catalog is data an operator edits: keep its shape sound."""

from datetime import date

from rules.loading import load_catalog

RULES = {rule.id: rule for rule in load_catalog().rules}


def test_calendar_is_dated_and_complete():
    params = RULES["EKS_VERSION_DRIFT_CLUSTER"].params
    assert date.fromisoformat(params["checked"])
    versions = params["versions"]
    assert len(versions) >= 5
    for version, dates in versions.items():
        major, minor = version.split(".")
        assert major.isdigit(), version
        assert minor.isdigit(), version
        standard = date.fromisoformat(dates["end_of_standard_support"])
        extended = date.fromisoformat(dates["end_of_extended_support"])
        assert standard < extended, version


def test_both_version_rules_read_the_same_calendar():
    drift = RULES["EKS_VERSION_DRIFT_CLUSTER"].params
    soon = RULES["EKS_VERSION_EOS_SOON"].params
    assert soon["versions"] == drift["versions"]
    assert soon["checked"] == drift["checked"]
