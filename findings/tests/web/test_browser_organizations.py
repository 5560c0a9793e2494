"""The organization pages in headless Chromium: from the list to the heat map, a cell's
drill-down to the account's failing findings, and no sideways scroll on a phone."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from findings.tests.browser import PASSWORD, shoot, wait
from findings.tests.web.test_browser_edges import (
    PHONE,
    STICKING_OUT,
    csp_refusals,
    sideways_overflow,
    sign_in,
)
from scans.models import Scan
from securescope.privacy import account_hash, account_label
from testing.factories import create_finding, create_organization_run, create_scan, create_user

pytestmark = pytest.mark.django_db(transaction=True)

COUNTS = {
    "111111111111": {"critical": 0, "high": 1, "medium": 2, "low": 0, "info": 0},
    "222222222222": {"critical": 3, "high": 12, "medium": 40, "low": 7, "info": 1},
    "333333333333": {"critical": 1, "high": 0, "medium": 0, "low": 0, "info": 0},
}


@pytest.fixture
def world():
    run = create_organization_run(
        not_assumed=[
            {
                "account": "****4444",
                "reason": "These keys may not assume that role (check its trust policy and "
                "the external id). (AccessDenied)",
            }
        ]
    )
    scans = {}
    for account_id, counts in COUNTS.items():
        scans[account_id] = create_scan(
            account_hash=account_hash(account_id),
            account_label=account_label(account_id),
            severity_counts=counts,
            organization_run=run,
        )
    create_finding(scans["222222222222"], severity="critical", rule_id="EC2_SG_SSH_OPEN")
    user = create_user(username="olga")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return {"run": run, "scans": scans}


def test_list_to_heat_map_to_an_accounts_failing_findings(browser, live_site, world):
    sign_in(browser, live_site)
    browser.find_element(By.LINK_TEXT, "Organizations").click()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "main table")))
    shoot(browser, "organizations-list")
    browser.find_element(By.CSS_SELECTOR, "main table tbody a").click()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.heatmap")))
    shoot(browser, "organization-heat-map")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.heatmap tbody th")
    assert [row.text for row in rows] == ["****2222", "****3333", "****1111"]
    darkest = browser.find_element(By.CSS_SELECTOR, "table.heatmap tbody tr td.heat-4 a")
    assert darkest.text == "3"
    assert "****4444" in browser.find_element(By.CSS_SELECTOR, "table.not-assumed").text
    assert csp_refusals(browser) == []
    darkest.click()
    wait(browser).until(ec.url_contains("/findings/"))
    worst = world["scans"]["222222222222"]
    assert f"scan={worst.id}" in browser.current_url
    assert "severity=critical" in browser.current_url
    shoot(browser, "organization-drill-down")
    browser.back()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.heatmap")))
    browser.find_element(By.LINK_TEXT, "****3333").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "scan-status")))
    assert f"/scans/{world['scans']['333333333333'].id}/" in browser.current_url


def test_organization_pages_do_not_scroll_sideways_at_phone_width(browser, live_site, world):
    browser.set_window_size(*PHONE)
    sign_in(browser, live_site)
    for name, path in (
        ("organizations", "/organizations/"),
        ("organization", f"/organizations/{world['run'].id}/"),
    ):
        browser.get(f"{live_site}{path}")
        wait(browser).until(ec.presence_of_element_located((By.ID, "content")))
        shoot(browser, f"phone-{name}")
        assert sideways_overflow(browser) <= 0, browser.execute_script(STICKING_OUT)


def test_the_page_follows_the_scans_until_the_last_one_ends(browser, live_site, world):
    running = world["scans"]["111111111111"]
    Scan.objects.filter(id=running.id).update(status=Scan.Status.RUNNING, severity_counts={})
    sign_in(browser, live_site)
    browser.get(f"{live_site}/organizations/{world['run'].id}/")
    notice = browser.find_element(By.CSS_SELECTOR, "p.notice[hx-trigger]")
    assert "still being scanned" in notice.text
    Scan.objects.filter(id=running.id).update(
        status=Scan.Status.SUCCEEDED, severity_counts=COUNTS["111111111111"]
    )
    wait(browser).until(ec.staleness_of(notice))
    assert not browser.find_elements(By.CSS_SELECTOR, "p.notice[hx-trigger]")
    medium = browser.find_elements(By.CSS_SELECTOR, "table.heatmap tbody tr")[2]
    assert medium.find_element(By.CSS_SELECTOR, "th").text == "****1111"
    assert "Succeeded" in medium.text
