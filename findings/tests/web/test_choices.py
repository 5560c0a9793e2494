"""The findings filter offers the sections of every versioned framework in the registry."""

from dataclasses import replace

import pytest

from findings.web import choices
from findings.web.choices import finding_filter_choices
from findings.web.forms import FindingFilterForm
from rules.loading import load_catalog
from testing.factories import create_scan

pytestmark = pytest.mark.django_db


def test_section_choices_cover_every_benchmark_of_the_catalog_in_registry_order():
    sections = finding_filter_choices(scan=create_scan())["section"]
    frameworks = [value.partition(":")[0] for value in sections]
    # EC2_DETAILED_MONITORING maps CIS AWS Compute 2.6 alone: the filter must reach it.
    assert "cis_aws_compute:2.6" in sections
    assert list(dict.fromkeys(frameworks)) == ["cis_aws_foundations", "cis_eks", "cis_aws_compute"]
    assert "security_hub" not in frameworks, "control ids are no sections"


def test_section_choices_are_labelled_with_the_frameworks_short_label():
    form = FindingFilterForm(choices={"section": ["cis_aws_compute:2.6", "cis_eks:5.4.1"]})
    assert form.fields["section"].choices == [
        ("", "Any section"),
        ("cis_aws_compute:2.6", "CIS Compute 2.6"),
        ("cis_eks:5.4.1", "CIS EKS 5.4.1"),
    ]


def test_the_options_follow_the_catalog_when_it_is_parsed_again(monkeypatch):
    scan = create_scan(regions=["eu-west-1"])
    catalog = load_catalog()
    assert "newservice" not in finding_filter_choices(scan=scan)["service"]
    edited = replace(catalog.rules[0], id="NEW_RULE", service="newservice")
    monkeypatch.setattr(choices, "load_catalog", lambda: replace(catalog, rules=(edited,)))
    options = finding_filter_choices(scan=scan)
    assert options["service"] == ["newservice"]
    assert options["region"] == ["global", "eu-west-1"]
