"""A scan judged per requirement: PASS, FAIL, NOT_EVALUATED and MANUAL, and the score."""

import json

import pytest
from django.urls import reverse

from findings.compliance import RequirementStatus
from findings.scan_scores import compliance_scores
from rules.loading import load_catalog
from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start, scan_wait
from securescope.frameworks import get_framework, version_mappings
from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, seed_region
from testing.factories import close_scan, create_finding, create_mute, create_scan, create_user

pytestmark = pytest.mark.django_db

V3 = "3.0.0"
V5 = "5.0.0"


def cis(*sections: str, version: str = V3) -> dict:
    return {"cis_aws_foundations": {"version": version, "sections": list(sections)}}


def finding(scan, rule_id: str, status: str, index: int, **overrides):
    return create_finding(
        scan,
        rule_id=rule_id,
        status=status,
        resource_hash=f"{index:064x}",
        compliance=overrides.pop("compliance", None) or _catalog_mapping(rule_id),
        **overrides,
    )


def _catalog_mapping(rule_id: str) -> dict:
    return next(rule.compliance for rule in load_catalog().rules if rule.id == rule_id)


def foundations(scan, version: str = V3, **options):
    scores = compliance_scores(scan=scan, **options)
    return next(
        s for s in scores if (s.framework_id, s.version) == ("cis_aws_foundations", version)
    )


def requirement(score, requirement_id: str):
    return next(r for r in score.requirements if r.id == requirement_id)


@pytest.fixture
def scan():
    """Root MFA passes; IMDSv2 fails on one instance of fifty; the password policy was denied."""
    scan = create_scan()
    finding(scan, "IAM_ROOT_MFA", "PASS", 0, severity="critical")
    for index in range(1, 50):
        finding(scan, "EC2_IMDSV2_REQUIRED", "PASS", index)
    finding(scan, "EC2_IMDSV2_REQUIRED", "FAIL", 50)
    finding(
        scan,
        "IAM_PASSWORD_MIN_LENGTH",
        "NOT_EVALUATED",
        51,
        evidence={"reason": "permission denied: iam:GetAccountPasswordPolicy"},
    )
    return scan


@pytest.mark.parametrize("tallied", [False, True], ids=["counted-live", "stored-tallies"])
def test_each_requirement_status(scan, tallied):
    if tallied:
        close_scan(scan)
    score = foundations(scan)

    root_mfa = requirement(score, "1.5")
    assert root_mfa.status == RequirementStatus.PASS
    assert root_mfa.title == "Ensure MFA is enabled for the 'root' user account"
    imds = requirement(score, "5.6")
    assert imds.status == RequirementStatus.FAIL, "one failing resource among 49 passing fails"
    assert (imds.failing, imds.passing) == (1, 49)
    denied = requirement(score, "1.8")
    assert denied.status == RequirementStatus.NOT_EVALUATED
    assert denied.reason == "1 finding not evaluated"
    no_resource = requirement(score, "3.1")
    assert (no_resource.status, no_resource.reason) == (
        RequirementStatus.NOT_EVALUATED,
        "no resource its rules check",
    )
    contacts = requirement(score, "1.1")
    assert (contacts.status, contacts.rule_ids) == (RequirementStatus.MANUAL, [])


def test_manual_is_the_framework_data_less_the_mapped_requirements(scan):
    score = foundations(scan)
    mapped = {
        section
        for rule in load_catalog().rules
        for version, sections in version_mappings(rule.compliance.get("cis_aws_foundations"))
        if version == V3
        for section in sections
    }
    listed = set(get_framework("cis_aws_foundations").versions[V3].requirements)
    assert score.manual == len(listed - mapped)
    assert {r.id for r in score.requirements if r.status == "MANUAL"} == listed - mapped


def test_score_counts_requirements_not_resources(scan):
    score = foundations(scan)
    assert (score.passed, score.failed) == (1, 1)
    assert score.percent == 50, "root MFA weighs what fifty instances weigh: one requirement each"
    assert score.summary == (
        f"1 of 2 requirements pass; {score.not_evaluated} not evaluated; {score.manual} manual"
    )
    by_status = (score.passed, score.failed, score.not_evaluated, score.manual)
    assert len(score.requirements) == sum(by_status)
    # The resource-weighted share stays as the secondary figure: 50 of 51 findings pass.
    assert score.findings.percent == 98


def test_a_requirement_whose_only_rule_is_disabled_is_not_evaluated(scan):
    scan.rule_settings = {"disabled": ["IAM_ROOT_MFA"]}
    scan.save(update_fields=["rule_settings"])
    scan.findings.filter(rule_id="IAM_ROOT_MFA").delete()

    score = foundations(scan)

    root_mfa = requirement(score, "1.5")
    assert (root_mfa.status, root_mfa.reason) == (
        RequirementStatus.NOT_EVALUATED,
        "rule off in this scan",
    )
    assert (score.passed, score.failed, score.percent) == (0, 1, 0)


def test_a_muted_failure_still_fails_its_requirement(scan):
    create_mute(
        account_hash=scan.account_hash,
        account_label=scan.account_label,
        rule_id="EC2_IMDSV2_REQUIRED",
        owner=create_user(),
    )
    assert requirement(foundations(scan), "5.6").status == RequirementStatus.FAIL


def test_requirements_below_the_severity_floor_are_not_evaluated(scan):
    score = foundations(scan, severities=["critical"])
    assert requirement(score, "1.5").status == RequirementStatus.PASS
    imds = requirement(score, "5.6")
    assert imds.status == RequirementStatus.NOT_EVALUATED
    assert imds.reason == "below the severity floor"


def test_level_filter_keeps_the_requirements_of_that_cis_level(scan):
    level_one = foundations(scan, level=1)
    assert {r.level for r in level_one.requirements} == {1}
    assert requirement(level_one, "1.5").status == RequirementStatus.PASS
    level_two = foundations(scan, level=2)
    assert {r.level for r in level_two.requirements} == {2}
    everything = foundations(scan)
    assert len(level_one.requirements) + len(level_two.requirements) == len(everything.requirements)
    eks = next(s for s in compliance_scores(scan=scan, level=1) if s.framework_id == "cis_eks")
    assert not eks.has_levels, "CIS EKS data carries no levels: the filter leaves it whole"
    assert len(eks.requirements) == len(get_framework("cis_eks").versions["1.8.0"].requirements)


def test_sections_carry_their_titles_in_benchmark_order(scan):
    score = foundations(scan)
    assert [(s.number, s.title) for s in score.sections] == [
        ("1", "Identity and Access Management"),
        ("2", "Storage"),
        ("3", "Logging"),
        ("4", "Monitoring"),
        ("5", "Networking"),
    ]
    networking = score.sections[-1]
    assert networking.failed == 1
    assert "EC2_IMDSV2_REQUIRED" in networking.rule_ids


def test_security_hub_controls_are_requirements_without_data(scan):
    create_finding(
        scan, rule_id="EC2_SG_SSH_OPEN", status="FAIL", compliance={"security_hub": ["EC2.53"]}
    )
    hub = next(s for s in compliance_scores(scan=scan) if s.framework_id == "security_hub")
    assert requirement(hub, "EC2.53").status == RequirementStatus.FAIL
    assert hub.manual == 0, "no requirement list to derive manual ones from"
    (ec2,) = [section for section in hub.sections if section.number == "EC2"]
    assert "EC2.53" in [r.id for r in ec2.requirements], "controls group by service"


def test_the_secondary_figure_keeps_the_resource_weighted_tallies(scan):
    section = next(s for s in foundations(scan).findings.sections if s.name == "5.6")
    assert (section.passed, section.failed, section.percent) == (49, 1, 98)


def test_compliance_page_shows_requirements_with_titles_and_drill_down_links(client, scan):
    client.force_login(create_user())
    page = client.get(reverse("scan_pages:compliance", args=[scan.id]))
    assert page.status_code == 200
    content = page.content.decode()
    score = foundations(scan)
    assert score.summary in content
    assert "Ensure MFA is enabled for the &#x27;root&#x27; user account" in content
    assert "1 Identity and Access Management" in content
    failing = (
        f"{reverse('findings:list')}?scan={scan.id}&amp;rule=EC2_IMDSV2_REQUIRED"
        "&amp;status=FAIL&amp;view=flat"
    )
    assert f'<a href="{failing}">1 failing</a>' in content
    assert "Secondary, resource-weighted: 98 %" in content
    listed = client.get(failing.replace("&amp;", "&"))
    assert listed.content.count(b"EC2_IMDSV2_REQUIRED") >= 1
    assert listed.context["counts"].total() == 1


def test_compliance_page_filters_by_level(client, scan):
    client.force_login(create_user())
    url = reverse("scan_pages:compliance", args=[scan.id])
    frameworks = client.get(url, {"level": "2"}).context["frameworks"]
    v3 = next(s for s in frameworks if s.version == V3)
    assert {r.level for r in v3.requirements} == {2}
    assert client.get(url, {"level": "7"}).status_code == 200, "an unknown level shows all"


def test_compliance_page_query_count_is_fixed(client, scan, django_assert_max_num_queries):
    client.force_login(create_user())
    close_scan(scan)
    with django_assert_max_num_queries(7):
        client.get(reverse("scan_pages:compliance", args=[scan.id]))


def test_compliance_page_honours_the_severity_floor(client, scan):
    client.force_login(create_user())
    url = reverse("scan_pages:compliance", args=[scan.id])
    before = next(s for s in client.get(url).context["frameworks"] if s.version == V3)
    assert (before.passed, before.failed) == (1, 1)
    client.post(reverse("findings:severity"), {"severity_floor": "critical"})
    floored = next(s for s in client.get(url).context["frameworks"] if s.version == V3)
    assert (floored.passed, floored.failed) == (1, 0)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_compliance_page_of_a_real_moto_scan_scores_requirements(client, aws):
    seed_region("eu-west-1")
    scan = scan_start(
        credentials=AwsCredentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY),
        regions=["eu-west-1"],
    )
    scan = scan_wait(scan_id=scan.id, timeout=90)
    client.force_login(create_user())

    page = client.get(reverse("scan_pages:compliance", args=[scan.id]))

    assert page.status_code == 200
    frameworks = page.context["frameworks"]
    for count in ("passed", "failed", "not_evaluated", "manual"):
        assert sum(getattr(score, count) for score in frameworks) > 0, count
    content = page.content.decode()
    for score in frameworks:
        assert score.summary in content


def test_every_surface_shows_the_same_score(client, scan):
    close_scan(scan)
    # The overview shows each benchmark's newest version; the catalog maps v5.0.0 beside v3.0.0.
    score = foundations(scan, version=V5)
    client.force_login(create_user())
    overview = client.get(reverse("home")).content.decode()
    compliance_page = client.get(reverse("scan_pages:compliance", args=[scan.id])).content.decode()
    exports = {
        name: b"".join(
            client.get(reverse("findings:export", args=[scan.id, name])).streaming_content
        ).decode()
        for name in ("json", "md", "html")
    }
    headline = f"{score.percent} %"
    assert f'{headline}</span> {score.label} <span class="hint">{score.summary}</span>' in overview
    assert score.summary in compliance_page
    assert f"- {score.label}: {headline} ({score.summary})" in exports["md"]
    assert (
        f'<td>{score.label}</td><td class="num">{headline}</td><td>{score.summary}</td>'
        in exports["html"]
    )
    exported = next(
        f
        for f in json.loads(exports["json"])["scan"]["compliance"]
        if (f["framework"], f["version"]) == ("cis_aws_foundations", V5)
    )
    assert (exported["score_percent"], exported["summary"]) == (score.percent, score.summary)


def test_a_rule_mapped_to_two_versions_is_scored_in_both():
    scan = create_scan()
    finding(
        scan,
        "EC2_SG_SSH_OPEN",
        "FAIL",
        0,
        compliance={
            "cis_aws_foundations": [
                {"version": V5, "sections": ["5.3"]},
                {"version": V3, "sections": ["5.2"]},
            ]
        },
    )
    scores = {
        score.version: score
        for score in compliance_scores(scan=scan)
        if score.framework_id == "cis_aws_foundations"
    }
    assert set(scores) == {V3, V5}
    assert requirement(scores[V3], "5.2").status == RequirementStatus.FAIL
    assert requirement(scores[V5], "5.3").status == RequirementStatus.FAIL
