"""Triage first: the findings page opens on failing, unmuted findings grouped by rule, most
severe first; a rule unfolds into its findings; a flat list and a resource view are one click
away; ticked findings, rules and resources are muted or exported together."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from findings.models import Finding, Mute
from findings.selectors import finding_list
from findings.triage import cursor_encode
from securescope.models import AuditEvent
from testing.factories import close_scan, create_finding, create_member, create_scan

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
GROUP = "AWS::EC2::SecurityGroup"
# One world-open security group fails three rules; the root account one.
OPEN_GROUP = "a" * 64


@pytest.fixture
def operator(client):
    user = create_member(username="olga", group="operator")
    client.force_login(user)
    return user


@pytest.fixture
def scan():
    scan = create_scan(finished_at=timezone.now())
    # A medium rule fails most often; the critical one only once.
    for index in range(5):
        create_finding(
            scan,
            rule_id="EC2_EBS_ENCRYPTION",
            title="EBS volume is not encrypted",
            severity="medium",
            resource_type="AWS::EC2::Volume",
            resource_hash=f"{index:064x}",
        )
    create_finding(
        scan,
        rule_id="EC2_EBS_ENCRYPTION",
        title="EBS volume is not encrypted",
        severity="medium",
        status="PASS",
        resource_type="AWS::EC2::Volume",
        resource_hash="e" * 64,
    )
    for rule_id in ("EC2_SG_SSH_OPEN", "EC2_SG_RDP_OPEN", "EC2_SG_ALL_OPEN"):
        create_finding(scan, rule_id=rule_id, resource_hash=OPEN_GROUP, resource_type=GROUP)
    create_finding(scan, rule_id="EC2_SG_SSH_OPEN", status="PASS", resource_hash="b" * 64)
    create_finding(
        scan,
        rule_id="IAM_ROOT_MFA",
        title="Root user has no MFA",
        severity="critical",
        region="global",
        resource_type="AWS::IAM::AccountSummary",
        resource_hash="c" * 64,
    )
    return close_scan(scan)


def page(client, scan, **params):
    return client.get(reverse("findings:list"), {"scan": scan.id, **params}, headers=HX)


def test_findings_open_grouped_by_rule_failing_most_severe_first(client, operator, scan):
    response = page(client, scan)
    groups = response.context["groups"]
    assert [group.rule_id for group in groups] == [
        "IAM_ROOT_MFA",
        "EC2_SG_ALL_OPEN",
        "EC2_SG_RDP_OPEN",
        "EC2_SG_SSH_OPEN",
        "EC2_EBS_ENCRYPTION",
    ]
    ssh = groups[3]
    assert (ssh.failing, ssh.passing) == (1, 1)
    assert (groups[4].failing, groups[4].passing) == (5, 1)
    assert response.context["count"] == 9, "failing findings only"
    assert b'<option value="FAIL" selected>' in response.content


def test_a_rule_unfolds_into_its_findings_under_the_filters(client, operator, scan):
    url = reverse("findings:rule", args=[scan.id, "EC2_EBS_ENCRYPTION"])
    response = client.get(url, headers=HX)
    assert b"<html" not in response.content
    assert {f.resource_hash for f in response.context["rows"]} == {
        f"{index:064x}" for index in range(5)
    }, "failing ones: the page's default"
    everything = client.get(url, {"status": ""}, headers=HX)
    assert len(everything.context["rows"]) == 6
    assert b"view=flat&amp;rule=EC2_EBS_ENCRYPTION" in response.content


def test_the_flat_list_is_one_click_away_and_sorted_by_severity(client, operator, scan):
    grouped = page(client, scan).content.decode()
    assert "view=flat" in grouped
    flat = page(client, scan, view="flat")
    severities = [finding.severity for finding in flat.context["page"]]
    assert severities[0] == "critical"
    assert severities[-1] == "medium"
    assert len(severities) == 9


def test_the_resource_view_is_one_row_per_resource_with_every_rule_it_fails(client, operator, scan):
    response = page(client, scan, view="resources")
    resources = response.context["resources"]
    assert (resources[0].resource_hash, resources[0].worst) == ("c" * 64, "critical")
    group = resources[1]
    assert (group.resource_hash, group.resource_type, group.count) == (OPEN_GROUP, GROUP, 3)
    assert {f.rule_id for f in group.findings} == {
        "EC2_SG_SSH_OPEN",
        "EC2_SG_RDP_OPEN",
        "EC2_SG_ALL_OPEN",
    }
    assert len(resources) == 2 + 5, "seven resources fail, the open group once"


def test_top_failing_rules_order_by_severity_then_count(client, operator, scan):
    (account,) = client.get(reverse("home")).context["accounts"]
    assert [rule.rule_id for rule in account.top_rules][:2] == ["IAM_ROOT_MFA", "EC2_SG_ALL_OPEN"]
    assert account.top_rules[-1].rule_id == "EC2_EBS_ENCRYPTION", "most often, least severe"


def test_title_search_is_answered_through_the_rule_ids(client, operator, scan):
    response = page(client, scan, view="flat", q="root user")
    assert [f.rule_id for f in response.context["page"]] == ["IAM_ROOT_MFA"]
    assert response.context["count"] == 1
    for view in ("flat", "resources", "rules"):
        nothing = page(client, scan, view=view, q="no such title")
        assert nothing.status_code == 200
        assert nothing.context["count"] == 0


@pytest.fixture
def many():
    scan = create_scan(finished_at=timezone.now())
    Finding.objects.bulk_create(
        Finding(
            scan=scan,
            rule_id=f"RULE_{index % 7}",
            title=f"Rule {index % 7}",
            service="ec2",
            severity=["critical", "high", "medium", "low"][index % 4],
            status=["FAIL", "PASS", "FAIL"][index % 3],
            region="us-east-1",
            resource_type=GROUP,
            resource_hash=f"{index:064x}",
            fingerprint=f"{index:064x}",
        )
        for index in range(350)
    )
    return close_scan(scan)


@pytest.mark.parametrize("sort", ["severity", "-severity", "rule", "-region"])
def test_keyset_pages_walk_forward_and_back_as_an_offset_would(client, operator, many, sort):
    expected = [f.id for f in finding_list(scan=many, status="FAIL", sort=sort)]
    seen, response = [], page(client, many, view="flat", sort=sort)
    pages = [response]
    while True:
        seen.extend(f.id for f in response.context["page"])
        cursor = response.context["page"].next_cursor
        if not cursor:
            break
        number = response.context["page"].number + 1
        response = page(client, many, view="flat", sort=sort, after=cursor, page=number)
        pages.append(response)
    assert seen == expected
    last = pages[-1].context["page"]
    back = page(client, many, view="flat", sort=sort, before=last.previous_cursor, page=2)
    assert [f.id for f in back.context["page"]] == expected[100:200]
    assert back.context["page"].previous_cursor
    assert back.context["page"].next_cursor


def test_a_cursor_that_is_not_one_shows_the_first_page(client, operator, many):
    first = [f.id for f in page(client, many, view="flat").context["page"]]
    for bogus in ("%%%", cursor_encode(["critical"]), cursor_encode([True, 1, 2, 3, 4, 5])):
        response = page(client, many, view="flat", after=bogus)
        assert response.status_code == 200
        assert [f.id for f in response.context["page"]] == first


def mute_fields(owner, **overrides):
    return {
        "mute-scope": "finding",
        "mute-justification": "Bastion hosts, reviewed by security",
        "mute-owner": owner.pk,
        "mute-expires_on": (timezone.now() + timedelta(days=30)).date().isoformat(),
        **overrides,
    }


def select(client, scan, data, query="status=FAIL&view=rules"):
    url = reverse("findings:selection", args=[scan.id]) + f"?{query}"
    return client.post(url, {"next": reverse("findings:list"), **data})


def test_bulk_mute_of_ticked_findings_rules_and_resources(client, operator, scan):
    volume = scan.findings.get(resource_hash=f"{0:064x}")
    response = select(
        client,
        scan,
        {
            "action": "mute",
            "finding": [volume.id],
            "rule": ["IAM_ROOT_MFA"],
            "resource": [f"{OPEN_GROUP}|{GROUP}|us-east-1"],
            **mute_fields(operator),
        },
    )
    assert response.status_code == 302
    mutes = Mute.objects.order_by("rule_id")
    assert len(mutes) == 5, "one finding, one rule's finding, the group's three"
    assert {mute.justification for mute in mutes} == {"Bastion hosts, reviewed by security"}
    assert {mute.owner for mute in mutes} == {operator}
    assert all(mute.fingerprint for mute in mutes), "these findings only"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.MUTE_CREATED).count() == 5
    assert page(client, scan).context["count"] == 9 - 5


def test_bulk_mute_of_whole_rules(client, operator, scan):
    select(
        client,
        scan,
        {
            "action": "mute",
            "rule": ["EC2_EBS_ENCRYPTION"],
            **mute_fields(operator, **{"mute-scope": "rule"}),
        },
    )
    (mute,) = Mute.objects.all()
    assert (mute.rule_id, mute.fingerprint) == ("EC2_EBS_ENCRYPTION", "")


@pytest.mark.parametrize(
    "overrides",
    [
        {"mute-justification": ""},
        {"mute-expires_on": (timezone.now() - timedelta(days=1)).date().isoformat()},
        {"mute-owner": ""},
    ],
)
def test_bulk_mute_keeps_the_rules_of_a_single_mute(client, operator, scan, overrides):
    response = select(
        client,
        scan,
        {"action": "mute", "rule": ["IAM_ROOT_MFA"], **mute_fields(operator, **overrides)},
    )
    assert response.status_code == 302
    assert not Mute.objects.exists()


def test_a_viewer_cannot_bulk_mute_but_can_export(client, scan):
    viewer = create_member(username="vera", group="viewer")
    client.force_login(viewer)
    denied = select(
        client, scan, {"action": "mute", "rule": ["IAM_ROOT_MFA"], **mute_fields(viewer)}
    )
    assert denied.status_code == 403
    assert b"Mute selected" not in page(client, scan).content
    exported = select(client, scan, {"action": "export-csv", "rule": ["IAM_ROOT_MFA"]})
    assert exported.status_code == 200


def test_bulk_export_holds_exactly_the_selection(client, operator, scan):
    response = select(
        client,
        scan,
        {"action": "export-csv", "resource": [f"{OPEN_GROUP}|{GROUP}|us-east-1"]},
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["rule_id"] for row in rows) == [
        "EC2_SG_ALL_OPEN",
        "EC2_SG_RDP_OPEN",
        "EC2_SG_SSH_OPEN",
    ]
    assert "selection.csv" in response["Content-Disposition"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT_DOWNLOADED)
    assert event.detail["selection"] is True


def test_an_empty_or_forged_selection_does_nothing(client, operator, scan):
    assert select(client, scan, {"action": "export-csv"}).status_code == 302
    forged = select(client, scan, {"action": "mute", "rule": ["x'; drop"], **mute_fields(operator)})
    assert forged.status_code == 302
    assert not Mute.objects.exists()


@pytest.mark.parametrize(
    ("params", "queries"),
    [
        # session, user, scan, mutes, permissions (2), mute owners; the closed scan's tallies
        # were read by the request before
        ({}, 7),
        # ... and one page of findings
        ({"view": "flat"}, 8),
        ({"view": "flat", "q": "rule 3"}, 8),
        ({"view": "flat", "change": "new"}, 10),
        # ... resources, then their findings
        ({"view": "resources"}, 9),
    ],
)
def test_the_lists_run_a_fixed_number_of_queries(
    client, operator, many, params, queries, django_assert_num_queries
):
    page(client, many, **params)
    with django_assert_num_queries(queries):
        page(client, many, **params)
    create_scan(account_hash=many.account_hash)  # growing neither with findings nor scans
    Finding.objects.filter(scan=many, status="PASS").update(status="FAIL")
    with django_assert_num_queries(queries):
        page(client, many, **params)


def test_a_rule_unfolds_in_a_fixed_number_of_queries(
    client, operator, many, django_assert_num_queries
):
    # session, user, its permissions and its groups' (reading needs view_findings), scan,
    # mutes, the rule's findings
    with django_assert_num_queries(7):
        client.get(reverse("findings:rule", args=[many.id, "RULE_1"]), headers=HX)
