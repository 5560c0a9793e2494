"""The Rules page: every catalog rule as this installation runs it, for any signed-in user."""

import pytest
from django.urls import reverse

from rules.loading import load_catalog
from rules.models import RuleSetting
from rules.selectors import rule_catalog_list
from securescope.severity import Severity
from testing.factories import create_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_client(client):
    client.force_login(create_member(username="vera", group="viewer"))
    return client


def setting(rule_id: str, **overrides) -> RuleSetting:
    rule = next(rule for rule in load_catalog().rules if rule.id == rule_id)
    return RuleSetting.objects.create(
        rule_id=rule.id,
        title=rule.title,
        service=rule.service,
        resource_type=rule.resource_type,
        catalog_severity=rule.severity,
        **overrides,
    )


def searched(entry) -> str:
    """What the search box reads: the id, title, rationale and resource type."""
    rule = entry.rule
    return f"{rule.id} {rule.title} {rule.rationale} {rule.resource_type}".lower()


def listed(response) -> list[str]:
    return [entry.rule.id for entry, _ in response.context["rows"]]


def test_every_rule_is_listed_most_severe_first_with_what_it_shows(viewer_client):
    response = viewer_client.get(reverse("rules:list"))

    catalog = load_catalog().rules
    assert sorted(listed(response)) == sorted(rule.id for rule in catalog)
    ranks = [Severity.rank(entry.severity) for entry, _ in response.context["rows"]]
    assert ranks == sorted(ranks)
    page = response.content.decode()
    rule = next(rule for rule in catalog if rule.id == "EC2_SG_SSH_OPEN")
    assert rule.rationale.split(".")[0] in page
    assert "describe-security-group-rules" in page  # the command line remediation
    assert "CIS AWS Foundations Benchmark: v5.0.0 5.3, 5.4; v3.0.0 5.2, 5.3" in page
    assert "AWS Security Hub controls: EC2.13, EC2.53, EC2.54" in page
    assert reverse("rules:list") in viewer_client.get(reverse("home")).content.decode()


def test_the_effective_severity_and_the_state_come_from_the_installations_settings(
    viewer_client,
):
    setting("EC2_SG_SSH_OPEN", severity_override="critical")
    setting("EC2_IMDSV2_REQUIRED", enabled=False)

    page = viewer_client.get(reverse("rules:list")).content.decode()
    entries = {entry.rule.id: entry for entry in rule_catalog_list()}

    assert entries["EC2_SG_SSH_OPEN"].severity == "critical"
    assert "severity set to critical here; the catalog says high" in page
    assert not entries["EC2_IMDSV2_REQUIRED"].enabled
    assert entries["EC2_EBS_ENCRYPTION"].enabled, "a rule never synced is on, as scans run it"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("severity=critical", lambda e: e.severity == "critical"),
        ("service=eks", lambda e: e.rule.service == "eks"),
        ("framework=cis_eks", lambda e: "cis_eks" in e.rule.compliance),
        ("framework=unmapped", lambda e: "unmapped" in e.rule.compliance),
        ("state=disabled", lambda e: not e.enabled),
        ("q=imdsv2", lambda e: "imdsv2" in searched(e)),
        ("q=SNAPSHOT+public", lambda e: "snapshot" in searched(e) and "public" in searched(e)),
    ],
)
def test_each_filter_narrows_the_list(viewer_client, query, expected):
    setting("EC2_IMDSV2_REQUIRED", enabled=False)
    every = rule_catalog_list()

    response = viewer_client.get(f"{reverse('rules:list')}?{query}")

    wanted = [entry.rule.id for entry in every if expected(entry)]
    assert wanted, "the catalog has rules of each kind the filters name"
    assert sorted(listed(response)) == sorted(wanted)


def test_an_unknown_filter_value_is_ignored_rather_than_an_error(viewer_client):
    response = viewer_client.get(f"{reverse('rules:list')}?severity=catastrophic")
    assert response.status_code == 200
    assert len(listed(response)) == len(load_catalog().rules)


def test_the_page_reads_the_settings_in_one_query(viewer_client, django_assert_num_queries):
    setting("EC2_SG_SSH_OPEN", severity_override="critical")
    # Session, user, the rule settings, and the user's and groups' permissions for the nav.
    with django_assert_num_queries(5):
        viewer_client.get(reverse("rules:list"))
