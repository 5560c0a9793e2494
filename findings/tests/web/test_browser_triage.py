"""Triage and true numbers in real headless Chromium: a rule unfolds and folds, the flat list
and the resource view are one click away, ticked findings are muted together, a partial scan
says what it lacks, and a diff names the rule it did not compare.

The scans are written straight into the database; the browser and the live site come from the
findings tests' conftest.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from findings.models import Mute
from findings.tests.browser import PASSWORD, shoot, wait
from scans.models import Scan, ScanRegion
from testing.factories import (
    close_scan,
    create_finding,
    create_member,
    create_scan,
    create_scan_region,
)

pytestmark = pytest.mark.django_db(transaction=True)

GROUP = "AWS::EC2::SecurityGroup"
OPEN_GROUP = "a" * 64


@pytest.fixture
def site(live_site):
    create_member(username="olga", group="operator")
    return live_site


@pytest.fixture
def scans():
    """Yesterday's scan, today's with SSH checks switched off, and a partial one after it."""
    yesterday = timezone.now() - timedelta(days=1)
    before = create_scan(created_at=yesterday, finished_at=yesterday)
    create_finding(before, rule_id="EC2_SG_SSH_OPEN", resource_hash=OPEN_GROUP, resource_type=GROUP)
    close_scan(before)
    scan = create_scan(finished_at=timezone.now(), rule_settings={"disabled": ["EC2_SG_SSH_OPEN"]})
    for rule_id in ("EC2_SG_RDP_OPEN", "EC2_SG_ALL_OPEN"):
        create_finding(scan, rule_id=rule_id, resource_hash=OPEN_GROUP, resource_type=GROUP)
    for index in range(3):
        create_finding(
            scan,
            rule_id="EC2_EBS_ENCRYPTION",
            title="EBS volume is not encrypted",
            severity="medium",
            resource_type="AWS::EC2::Volume",
            resource_hash=f"{index:064x}",
        )
    close_scan(scan)
    partial = create_scan(
        status=Scan.Status.PARTIAL, created_at=timezone.now() + timedelta(minutes=1)
    )
    create_scan_region(partial, status=ScanRegion.Status.SUCCEEDED)
    create_scan_region(
        partial, region="eu-west-1", status=ScanRegion.Status.FAILED, error="Throttled by AWS."
    )
    close_scan(partial)
    return before, scan, partial


def sign_in(driver, site: str) -> None:
    driver.get(f"{site}/login/")
    driver.find_element(By.NAME, "username").send_keys("olga")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, "nav[aria-label=Main]")))


def test_grouped_view_unfolds_then_flat_and_resource_views(browser, site, scans):
    _, scan, _ = scans
    sign_in(browser, site)
    browser.get(f"{site}{reverse('findings:list')}")
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.rule-groups")))
    rules = [
        row.get_attribute("data-rule")
        for row in browser.find_elements(By.CSS_SELECTOR, "tbody.rule-group")
    ]
    assert rules == ["EC2_SG_ALL_OPEN", "EC2_SG_RDP_OPEN", "EC2_EBS_ENCRYPTION"]
    assert browser.find_element(By.CSS_SELECTOR, "h1 small").text.startswith(scan.account_label)

    toggle = browser.find_element(By.CSS_SELECTOR, "tbody[data-rule=EC2_EBS_ENCRYPTION] .expand")
    toggle.click()
    rows = "#rows-EC2_EBS_ENCRYPTION table.nested tbody tr"
    wait(browser).until(lambda driver: len(driver.find_elements(By.CSS_SELECTOR, rows)) == 3)
    assert toggle.get_attribute("aria-expanded") == "true"
    shoot(browser, "triage-01-rule-unfolded")
    toggle.click()
    wait(browser).until(ec.invisibility_of_element_located((By.ID, "rows-EC2_EBS_ENCRYPTION")))

    browser.find_element(By.CSS_SELECTOR, "a[data-view=flat]").click()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.findings")))
    wait(browser).until(ec.url_contains("view=flat"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.findings tbody tr")) == 5
    shoot(browser, "triage-02-flat")

    browser.find_element(By.CSS_SELECTOR, "a[data-view=resources]").click()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.resources")))
    group = browser.find_element(By.CSS_SELECTOR, f"tr.resource[data-resource='{OPEN_GROUP}']")
    assert group.find_element(By.CSS_SELECTOR, "td.number").text == "2"
    assert len(group.find_elements(By.CSS_SELECTOR, ".resource-rules li")) == 2
    shoot(browser, "triage-03-resources")


def test_bulk_mute_of_ticked_findings(browser, site, scans):
    _, scan, _ = scans
    sign_in(browser, site)
    browser.get(f"{site}{reverse('findings:list')}?scan={scan.id}&view=flat")
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.findings")))
    boxes = browser.find_elements(By.CSS_SELECTOR, "table.findings input[name=finding]")
    for box in boxes[:2]:
        box.click()
    browser.find_element(By.CSS_SELECTOR, ".bulk-mute summary").click()
    browser.find_element(By.NAME, "mute-justification").send_keys("Test accounts, reviewed")
    expiry = browser.find_element(By.NAME, "mute-expires_on")
    future = (timezone.now() + timedelta(days=30)).date().isoformat()
    browser.execute_script("arguments[0].value = arguments[1]", expiry, future)
    shoot(browser, "triage-04-bulk-mute")
    browser.find_element(By.CSS_SELECTOR, "button[name=action][value=mute]").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".message"), "Muted 2"))
    assert Mute.objects.count() == 2
    count = browser.find_element(By.CSS_SELECTOR, "p.count").text
    assert count.startswith("3 findings")
    assert "2 muted, not counted" in count
    shoot(browser, "triage-05-muted")


def test_partial_scan_banner_and_a_diff_that_names_the_disabled_rule(browser, site, scans):
    before, scan, partial = scans
    sign_in(browser, site)
    browser.get(f"{site}{reverse('scan_pages:detail', args=[partial.id])}")
    banner = wait(browser).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".notice.incomplete"))
    )
    assert "This scan is partial: part of the account is missing" in banner.text
    assert "eu-west-1: failed, Throttled by AWS." in banner.text
    shoot(browser, "triage-06-partial-banner")

    browser.get(f"{site}{reverse('home')}")
    note = wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".incomplete")))
    assert "Partial" in note.text
    assert "1 rule off in this scan" in browser.find_element(By.CSS_SELECTOR, ".disabled-note").text

    browser.get(f"{site}{reverse('findings:diff', args=[scan.id])}?base={before.id}")
    table = wait(browser).until(ec.presence_of_element_located((By.ID, "not-compared")))
    assert "EC2_SG_SSH_OPEN" in table.text
    assert "not compared: disabled in the scan of" in table.text
    resolved = browser.find_element(By.CSS_SELECTOR, ".tile.change-resolved .number").text
    assert resolved == "0"
    shoot(browser, "triage-07-not-compared")
