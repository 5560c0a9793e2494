"""Numbers a team can trust: the three counting bugs of issue 14.

1. A cancelled (or partial, or failed) scan became the account's latest: the overview dropped
   to zero, the findings page opened on it, its diff called everything resolved and the next
   good scan called it all new.
2. A rule switched off in the admin showed its failures as resolved in the diff, and nothing
   said the pass rate and benchmarks now left it out.
3. Mutes were not subtracted from the counts: tiles, JSON `failing_by_severity`, the Markdown
   summary and the trend said 7 critical while the list showed 6.
"""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from findings.diff import export_diff_markdown, scan_diff
from findings.exports import EXPORTERS
from findings.selectors import finding_list
from scans.models import Scan, ScanRegion
from testing.factories import (
    close_scan,
    create_finding,
    create_mute,
    create_scan,
    create_scan_region,
    create_user,
)

pytestmark = pytest.mark.django_db

CRITICAL = {"rule_id": "IAM_ROOT_MFA", "severity": "critical", "title": "Root user has no MFA"}


def days_ago(days: float):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def user(client):
    user = create_user()
    client.force_login(user)
    return user


@pytest.fixture
def good_then_cancelled():
    """A succeeded scan with two failing findings, then a cancelled one that stored none."""
    good = create_scan(created_at=days_ago(2), finished_at=days_ago(2))
    create_scan_region(good, status=ScanRegion.Status.SUCCEEDED)
    create_finding(good, resource_hash="1" * 64)
    create_finding(good, resource_hash="2" * 64)
    close_scan(good)
    cancelled = create_scan(
        status=Scan.Status.CANCELLED,
        created_at=days_ago(1),
        finished_at=days_ago(1),
        error="Cancelled by olga.",
    )
    create_scan_region(cancelled, status=ScanRegion.Status.CANCELLED, error="Cancelled.")
    close_scan(cancelled)
    return good, cancelled


def test_a_cancelled_scan_never_becomes_the_latest(client, user, good_then_cancelled):
    good, cancelled = good_then_cancelled
    (account,) = client.get(reverse("home")).context["accounts"]
    assert account.scan == good
    assert dict(account.failing)["high"] == 2, "not 0: the cancelled scan found nothing"
    assert account.incomplete == cancelled, "the card says a newer scan did not complete"
    assert client.get(reverse("findings:list")).context["scan"] == good


def test_the_next_good_scan_is_compared_with_the_last_good_one(client, user, good_then_cancelled):
    later = create_scan(finished_at=timezone.now())
    create_finding(later, resource_hash="1" * 64)
    create_finding(later, resource_hash="2" * 64)
    close_scan(later)
    assert finding_list(scan=later, change="new").count() == 0, "not 2 new"
    (account,) = client.get(reverse("home")).context["accounts"]
    assert account.scan == later
    assert account.new_failing == 0
    assert [count for _, count in account.trend] == [2, 2], "cancelled scans stay off the trend"


def test_a_diff_against_a_cancelled_scan_resolves_nothing_it_did_not_look_at(
    client, user, good_then_cancelled
):
    good, cancelled = good_then_cancelled
    diff = scan_diff(base=good, head=cancelled)
    assert diff.findings["resolved"].count() == 0, "not 2 resolved"
    (region,) = diff.not_compared()
    assert (region.kind, region.name, region.base_failing) == ("region", "us-east-1", 2)
    assert region.reason.startswith("cancelled in the scan of")
    page = client.get(reverse("findings:diff", args=[cancelled.id]), {"base": good.id})
    assert b"not compared: cancelled in the scan of" in page.content


def test_a_cancelled_scan_can_be_opened_and_says_what_is_missing(client, user, good_then_cancelled):
    _, cancelled = good_then_cancelled
    listed = client.get(reverse("scans:list")).content.decode()
    assert reverse("scan_pages:detail", args=[cancelled.id]) in listed
    for url in (
        reverse("scan_pages:detail", args=[cancelled.id]),
        f"{reverse('findings:list')}?scan={cancelled.id}",
    ):
        content = client.get(url).content.decode()
        assert "This scan is cancelled: part of the account is missing" in content
        assert "us-east-1: cancelled, Cancelled." in content


@pytest.fixture
def rule_switched_off():
    """SSH open fails on three groups; then an admin switches the rule off."""
    before = create_scan(created_at=days_ago(1), finished_at=days_ago(1))
    for index in range(3):
        create_finding(before, resource_hash=f"{index:064x}")
    create_finding(before, **CRITICAL, resource_hash="c" * 64, region="global")
    close_scan(before)
    after = create_scan(finished_at=timezone.now(), rule_settings={"disabled": ["EC2_SG_SSH_OPEN"]})
    create_finding(after, **CRITICAL, resource_hash="c" * 64, region="global")
    close_scan(after)
    return before, after


def test_a_disabled_rule_is_not_compared_rather_than_resolved(client, user, rule_switched_off):
    before, after = rule_switched_off
    diff = scan_diff(base=before, head=after)
    assert diff.findings["resolved"].count() == 0, "not 3 resolved"
    (rule,) = diff.not_compared()
    assert (rule.kind, rule.name, rule.base_failing, rule.head_failing) == (
        "rule",
        "EC2_SG_SSH_OPEN",
        3,
        0,
    )
    page = client.get(reverse("findings:diff", args=[after.id]))
    assert b"not compared: disabled in the scan of" in page.content
    report = "".join(export_diff_markdown(diff))
    assert "## Not compared (1)" in report
    assert "| EC2_SG_SSH_OPEN | disabled in the scan of" in report
    assert "- Resolved: 0" in report


def test_a_rule_whose_severity_was_overridden_is_not_compared(rule_switched_off):
    before, _ = rule_switched_off
    later = create_scan(
        finished_at=timezone.now(), rule_settings={"severity_overrides": {"IAM_ROOT_MFA": "low"}}
    )
    diff = scan_diff(base=before, head=later)
    assert diff.comparison.rules["IAM_ROOT_MFA"] == "severity overridden in one of the scans"
    assert "IAM_ROOT_MFA" not in {f.rule_id for f in diff.findings["resolved"]}


def test_the_pages_say_how_many_rules_were_off(client, user, rule_switched_off):
    _, after = rule_switched_off
    overview = client.get(reverse("home")).content.decode()
    assert "1 rule off in this scan: not evaluated, left out of the pass rate" in overview
    (account,) = client.get(reverse("home")).context["accounts"]
    assert account.pass_rate == 0, "over the rules the scan evaluated: one, failing"
    compliance = client.get(reverse("scan_pages:compliance", args=[after.id])).content
    assert b"1 rule off in this scan: " in compliance
    assert b"Requirements only they map are not evaluated." in compliance


@pytest.fixture
def one_of_seven_muted():
    """Seven failing criticals, one of them muted."""
    before = create_scan(created_at=days_ago(1), finished_at=days_ago(1))
    for index in range(7):
        create_finding(before, **CRITICAL, resource_hash=f"{index:064x}", region="global")
    close_scan(before)
    scan = create_scan(finished_at=timezone.now())
    findings = [
        create_finding(scan, **CRITICAL, resource_hash=f"{index:064x}", region="global")
        for index in range(7)
    ]
    close_scan(scan)
    create_mute(
        account_hash=scan.account_hash,
        account_label=scan.account_label,
        rule_id=findings[0].rule_id,
        fingerprint=findings[0].fingerprint,
        owner=create_user(username="owner"),
    )
    return scan


def test_mutes_are_subtracted_from_the_overview(client, user, one_of_seven_muted):
    response = client.get(reverse("home"))
    (account,) = response.context["accounts"]
    assert dict(account.failing)["critical"] == 6
    assert account.muted == [("critical", 1)]
    assert [count for _, count in account.trend] == [6, 6]
    assert [(rule.rule_id, rule.failing) for rule in account.top_rules] == [("IAM_ROOT_MFA", 6)]
    tile = '<span class="number">1</span> muted, not counted (critical 1)'
    assert tile in response.content.decode()


def test_mutes_are_subtracted_from_the_exports_summaries(one_of_seven_muted):
    scan = one_of_seven_muted
    findings = finding_list(scan=scan)
    document = json.loads("".join(EXPORTERS["json"](scan, findings)))
    assert document["scan"]["failing_by_severity"]["critical"] == 6
    assert document["scan"]["muted_failing_by_severity"]["critical"] == 1
    assert len(document["findings"]) == 6
    report = "".join(EXPORTERS["md"](scan, findings))
    assert (
        "- Failing findings: 6 (critical 6, high 0, medium 0, low 0, info 0); "
        "muted, not counted: 1 (critical 1)\n"
    ) in report


def test_mutes_are_subtracted_from_the_scan_page_and_the_list(client, user, one_of_seven_muted):
    scan = one_of_seven_muted
    content = client.get(reverse("scan_pages:detail", args=[scan.id])).content.decode()
    assert '<span class="sev critical">critical 6</span>' in content
    assert "1 muted, not counted" in content
    page = client.get(reverse("findings:list"), {"scan": scan.id})
    assert page.context["count"] == 6
    assert [group.failing for group in page.context["groups"]] == [6]


def test_a_running_scan_has_no_counts_to_take_mutes_from():
    scan = create_scan(status=Scan.Status.RUNNING)
    finding = create_finding(scan, **CRITICAL, region="global")
    create_mute(
        account_hash=scan.account_hash,
        account_label=scan.account_label,
        rule_id=finding.rule_id,
        owner=create_user(username="owner"),
    )
    document = json.loads("".join(EXPORTERS["json"](scan, finding_list(scan=scan))))
    assert document["scan"]["failing_by_severity"] == {}
    assert "muted_failing_by_severity" not in document["scan"]
