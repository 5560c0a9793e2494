"""The organization pages: heat map worst first, trends, drill-down, exports; mutes subtracted."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from securescope.privacy import account_hash, account_label
from testing.factories import (
    create_finding,
    create_mute,
    create_organization_run,
    create_scan,
    create_user,
)

pytestmark = pytest.mark.django_db

QUIET = {"critical": 0, "high": 0, "medium": 1, "low": 0, "info": 0}
LOUD = {"critical": 2, "high": 3, "medium": 0, "low": 0, "info": 0}
HIGH_ONLY = {"critical": 0, "high": 4, "medium": 0, "low": 0, "info": 0}


def account_scan(run, account_id: str, counts: dict[str, int], **overrides):
    return create_scan(
        account_hash=account_hash(account_id),
        account_label=account_label(account_id),
        severity_counts=counts,
        organization_run=run,
        **overrides,
    )


@pytest.fixture
def run():
    run = create_organization_run(
        not_assumed=[{"account": "****7777", "reason": "These keys may not assume that role."}]
    )
    account_scan(run, "111111111111", QUIET)
    account_scan(run, "222222222222", LOUD)
    account_scan(run, "333333333333", HIGH_ONLY)
    return run


@pytest.fixture
def viewer(client):
    user = create_user(can_scan=False)
    client.force_login(user)
    return user


def page(client, run) -> str:
    response = client.get(reverse("organizations:detail", args=[run.id]))
    assert response.status_code == 200
    return response.content.decode()


def test_heat_map_lists_the_worst_accounts_first_with_drill_down_links(client, viewer, run):
    html = page(client, run)
    table = html.split('class="heatmap"')[1].split("</table>")[0]
    assert table.index("****2222") < table.index("****3333") < table.index("****1111")
    loud = run.scans.get(account_label="****2222")
    assert reverse("scan_pages:detail", args=[loud.id]) in table
    assert f"?scan={loud.id}&amp;status=FAIL&amp;severity=critical" in table
    assert 'class="heat heat-4"' in table, "the most critical account is the darkest cell"
    assert "****7777" in html
    assert "may not assume that role" in html
    for account_id in ("111111111111", "222222222222", "333333333333"):
        assert account_id not in html


def test_trend_shows_each_accounts_earlier_complete_scans(client, viewer, run):
    quiet = run.scans.get(account_label="****1111")
    earlier = create_scan(
        account_hash=quiet.account_hash,
        account_label=quiet.account_label,
        severity_counts=LOUD,
        created_at=timezone.now() - timedelta(days=1),
    )
    create_scan(
        account_hash=quiet.account_hash,
        account_label=quiet.account_label,
        status="failed",
        created_at=timezone.now() - timedelta(hours=12),
    )
    html = page(client, run)
    trends = html.split('id="trends-title"')[1]
    quiet_trend = trends.split("****1111")[1].split("</svg>")[0]
    assert f"?scan={earlier.id}&amp;status=FAIL" in quiet_trend
    assert "last 2 complete scans" in trends.split("****1111")[1]


def test_counts_leave_out_what_the_accounts_mutes_cover(client, viewer, run):
    loud = run.scans.get(account_label="****2222")
    create_finding(loud, rule_id="EC2_SG_SSH_OPEN", severity="critical", resource_hash="c" * 64)
    create_finding(loud, rule_id="EC2_SG_SSH_OPEN", severity="critical", resource_hash="d" * 64)
    create_mute(
        account_hash=loud.account_hash,
        account_label=loud.account_label,
        rule_id="EC2_SG_SSH_OPEN",
        owner=viewer,
    )
    table = page(client, run).split('class="heatmap"')[1].split("</table>")[0]
    assert table.index("****3333") < table.index("****2222"), "no critical left once muted"
    document = json.loads(
        client.get(reverse("organizations:export", args=[run.id, "json"])).content
    )
    loud_record = next(a for a in document["accounts"] if a["account"] == "****2222")
    assert loud_record["failing_by_severity"]["critical"] == 0
    assert loud_record["muted_failing"] == 2


def test_page_reads_the_same_number_of_queries_for_more_accounts(client, viewer, run):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page(client, run)
        return len(captured)

    def add_accounts(account_ids: tuple[str, ...]) -> None:
        """Accounts with a mute each and an earlier scan for the trend."""
        for account_id in account_ids:
            scan = account_scan(run, account_id, LOUD)
            create_mute(
                account_hash=scan.account_hash,
                account_label=scan.account_label,
                rule_id="EC2_SG_SSH_OPEN",
                owner=viewer,
            )
            create_scan(
                account_hash=scan.account_hash,
                account_label=scan.account_label,
                created_at=timezone.now() - timedelta(days=1),
            )

    add_accounts(("444444444444", "555555555555", "666666666666"))
    first = queries()
    add_accounts(("777777777777", "888888888888", "999999999999"))
    assert queries() == first


def test_exports_are_deterministic_and_list_the_accounts_not_assumed(client, viewer, run):
    url = reverse("organizations:export", args=[run.id, "csv"])
    first, second = client.get(url), client.get(url)
    assert first.content == second.content
    assert first["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(first.content.decode())))
    assert [row["account"] for row in rows] == ["****2222", "****3333", "****1111", "****7777"]
    assert rows[0]["critical"] == "2"
    assert rows[0]["high"] == "3"
    assert rows[-1]["not_assumed"] == "These keys may not assume that role."
    document = json.loads(
        client.get(reverse("organizations:export", args=[run.id, "json"])).content
    )
    assert document["organization_run"]["id"] == str(run.id)
    assert [a["account"] for a in document["not_assumed"]] == ["****7777"]
    assert client.get(reverse("organizations:export", args=[run.id, "md"])).status_code == 404


def test_list_links_each_run(client, viewer, run):
    response = client.get(reverse("organizations:list"))
    html = response.content.decode()
    assert reverse("organizations:detail", args=[run.id]) in html
    assert "<td>3</td>" in html


def test_list_says_which_runs_are_still_starting_or_failed_to_start(client, viewer, run):
    create_organization_run(status="starting", members_done=3, members_total=20)
    create_organization_run(
        status="failed", error="The organization's accounts could not be listed."
    )
    html = client.get(reverse("organizations:list")).content.decode()
    assert "<td>Starting 3 of 20</td>" in html
    assert (
        '<span class="result FAIL">Failed to start</span> '
        "The organization&#x27;s accounts could not be listed." in html
    )
    assert "<td>Started</td>" in html


def test_a_scan_of_the_run_links_back_to_it(client, viewer, run):
    scan = run.scans.first()
    html = client.get(reverse("scan_pages:detail", args=[scan.id])).content.decode()
    assert reverse("organizations:detail", args=[run.id]) in html


def test_pages_need_a_login(client, run):
    response = client.get(reverse("organizations:detail", args=[run.id]))
    assert response.status_code == 302
    assert client.get(reverse("organizations:export", args=[run.id, "csv"])).status_code == 302


def test_staff_read_a_run_in_the_admin_and_may_not_change_it(client, run):
    client.force_login(create_user(username="admin", is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:scans_organizationrun_change", args=[run.id]))
    assert page.status_code == 200
    assert "****7777" in page.content.decode()
    assert client.get(reverse("admin:scans_organizationrun_add")).status_code == 403
