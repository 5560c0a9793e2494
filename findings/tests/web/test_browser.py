"""The dashboard in real headless Chromium (Debian's chromium + chromedriver, via Selenium).

Sign in, start a scan of a moto account served on 127.0.0.1, watch its progress complete, set
the global severity floor and see it hold across pages, open a finding, export.
"""

import csv
import io

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select

from findings.tests.browser import PASSWORD, shoot, wait
from securescope.models import AuditEvent
from testing.aws import TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, seed_region
from testing.factories import create_member

pytestmark = pytest.mark.django_db(transaction=True)

REGION = "eu-west-1"
SCAN_SECONDS = 120


@pytest.fixture
def site(live_site, moto_endpoint):
    seed_region(REGION)
    create_member(username="olga", group="operator")
    return live_site


def severities_listed(driver) -> set[str]:
    cells = driver.find_elements(By.CSS_SELECTOR, "table.findings tbody td:nth-child(3) .sev")
    return {cell.text for cell in cells}


def open_flat_list(driver) -> None:
    """The findings page opens grouped by rule; its flat list is one click away."""
    driver.find_element(By.LINK_TEXT, "Findings").click()
    wait(driver).until(ec.element_to_be_clickable((By.CSS_SELECTOR, "a[data-view=flat]"))).click()
    wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.findings")))


def test_sign_in_scan_filter_open_and_export(browser, site):
    browser.get(f"{site}/login/")
    browser.find_element(By.NAME, "username").send_keys("olga")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    shoot(browser, "01-sign-in")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "nav[aria-label=Main]")))
    shoot(browser, "02-overview-empty")

    browser.get(f"{site}/scans/new/")
    browser.find_element(By.NAME, "access_key_id").send_keys(TEST_ACCESS_KEY_ID)
    browser.find_element(By.NAME, "secret_access_key").send_keys(TEST_SECRET_ACCESS_KEY)
    browser.find_element(By.CSS_SELECTOR, f"input[name=regions][value={REGION}]").click()
    shoot(browser, "03-new-scan")
    browser.find_element(By.CSS_SELECTOR, "main form[method=post] button[type=submit]").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "progress")))
    shoot(browser, "04-scan-progress")
    # The progress table polls until the scan ends, then HTMX reloads the page with findings.
    wait(browser, SCAN_SECONDS).until(ec.presence_of_element_located((By.ID, "findings")))
    assert browser.find_element(By.CSS_SELECTOR, ".heading .status").text == "Succeeded"
    assert not browser.find_elements(By.CSS_SELECTOR, "#progress[hx-trigger]"), "polling stops"
    shoot(browser, "05-scan-finished")

    Select(browser.find_element(By.ID, "severity-floor")).select_by_value("high")
    browser.find_element(By.CSS_SELECTOR, ".severity-floor button[type=submit]").click()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".floor-note")))
    open_flat_list(browser)
    assert browser.find_element(By.CSS_SELECTOR, ".floor-note .sev").text == "high"
    assert severities_listed(browser)
    assert severities_listed(browser) <= {"critical", "high"}
    shoot(browser, "06-findings-high-and-above")
    browser.find_element(By.LINK_TEXT, "Overview").click()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".account")))
    tiles = {t.text.split()[-1] for t in browser.find_elements(By.CSS_SELECTOR, ".sev-tile")}
    assert tiles == {"critical", "high"}, "the floor holds on the overview"
    shoot(browser, "07-overview")

    open_flat_list(browser)
    browser.find_element(By.CSS_SELECTOR, "table.findings tbody td a").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "advice")))
    assert browser.find_element(By.CSS_SELECTOR, "h1 .sev").text in {"critical", "high"}
    shoot(browser, "08-finding-detail")

    browser.back()
    wait(browser).until(ec.presence_of_element_located((By.LINK_TEXT, "CSV")))
    browser.find_element(By.LINK_TEXT, "CSV").click()
    exported = wait(browser).until(
        lambda _: next((p for p in browser.downloads.glob("*.csv") if p.stat().st_size), None)
    )
    rows = list(csv.DictReader(io.StringIO(exported.read_text())))
    assert rows
    assert {row["severity"] for row in rows} <= {"critical", "high"}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT_DOWNLOADED).exists()
