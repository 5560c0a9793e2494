"""The compliance page and the charts in headless Chromium: per-requirement scores, jump links,
the level filter, chart parts that land on their findings, and phone-width pages that never
scroll sideways."""

from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select

from findings.selectors import finding_counts
from findings.services import finding_tallies_store
from findings.tests.browser import shoot, wait
from findings.tests.web.test_browser_edges import PHONE, STICKING_OUT, sideways_overflow, sign_in
from testing.factories import create_finding, create_member, create_scan, create_scan_region

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

ROOT_MFA = {"cis_aws_foundations": {"version": "3.0.0", "sections": ["1.5"]}}
IMDS = {"cis_aws_foundations": {"version": "3.0.0", "sections": ["5.6"]}}


def close(scan):
    scan.finding_counts = finding_counts(scan_id=scan.id)
    scan.save(update_fields=["finding_counts"])
    finding_tallies_store(scan_id=scan.id)


@pytest.fixture
def scanned():
    """Two closed scans; in the latest, root MFA passes and one instance of six lacks IMDSv2."""
    now = timezone.now()
    earlier = create_scan(
        created_at=now - timedelta(days=1),
        finished_at=now - timedelta(days=1),
        severity_counts={"high": 1},
    )
    create_finding(earlier, rule_id="IAM_ROOT_MFA", severity="critical", compliance=ROOT_MFA)
    scan = create_scan(finished_at=now, severity_counts={"high": 1}, regions=["eu-west-1"])
    create_scan_region(
        scan,
        region="eu-west-1",
        status="succeeded",
        started_at=now - timedelta(seconds=40),
        finished_at=now,
    )
    create_finding(
        scan, rule_id="IAM_ROOT_MFA", severity="critical", status="PASS", compliance=ROOT_MFA
    )
    for index in range(6):
        create_finding(
            scan,
            rule_id="EC2_IMDSV2_REQUIRED",
            title="Instance does not require IMDSv2",
            region="eu-west-1",
            resource_type="AWS::EC2::Instance",
            status="FAIL" if index == 0 else "PASS",
            resource_hash=f"{index:064x}",
            compliance=IMDS,
        )
    for each in (earlier, scan):
        close(each)
    create_member(username="olga", group="operator")
    return scan


def test_compliance_page_scores_requirements_and_drills_down(browser, live_site, scanned):
    sign_in(browser, live_site)
    browser.get(f"{live_site}/scans/{scanned.id}/compliance/")
    section = wait(browser).until(
        ec.presence_of_element_located((By.ID, "cis_aws_foundations-3-0-0"))
    )
    shoot(browser, "compliance-01-page")
    assert section.find_element(By.CSS_SELECTOR, ".score").text == "50 %"
    assert (
        "1 of 2 requirements pass"
        in section.find_element(By.CSS_SELECTOR, ".requirement-summary").text
    )
    assert "Secondary, resource-weighted: 86 %" in section.text, "6 of 7 findings pass"
    rows = {
        row.find_element(By.CSS_SELECTOR, "td strong").text: row
        for row in section.find_elements(By.CSS_SELECTOR, "tr.requirement")
    }
    assert "Ensure MFA is enabled for the 'root' user account" in rows["1.5"].text
    assert rows["1.5"].get_attribute("class") == "requirement PASS"
    assert "1 failing" in rows["5.6"].text
    assert rows["5.6"].get_attribute("class") == "requirement FAIL"
    assert "manual" in rows["1.1"].text

    # A framework's jump link brings its card to the top of the window.
    browser.find_element(By.CSS_SELECTOR, "nav.jump a[href='#cis_aws_foundations-3-0-0']").click()
    wait(browser).until(lambda driver: driver.current_url.endswith("#cis_aws_foundations-3-0-0"))
    top = "return document.getElementById('cis_aws_foundations-3-0-0').getBoundingClientRect().top"
    assert browser.execute_script(top) < 50

    # The failing part of the Networking bar lands on the failing finding, not the scan page.
    fail_part = section.find_element(
        By.CSS_SELECTOR, "svg.chart a[aria-label^='5 Networking'][aria-label$='fail']"
    )
    browser.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", fail_part
    )
    wait(browser).until(ec.url_contains("/findings/?"))
    assert "rule=EC2_IMDSV2_REQUIRED" in browser.current_url
    assert "status=FAIL" in browser.current_url
    wait(browser).until(ec.presence_of_element_located((By.ID, "content")))
    shoot(browser, "compliance-02-drill-down")
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.findings")))
    listed = browser.find_elements(By.CSS_SELECTOR, "table.findings tbody tr")
    assert len(listed) == 1, "the one failing instance"


def test_level_filter_keeps_level_two_requirements(browser, live_site, scanned):
    sign_in(browser, live_site)
    browser.get(f"{live_site}/scans/{scanned.id}/compliance/")
    Select(browser.find_element(By.NAME, "level")).select_by_value("2")
    browser.find_element(By.CSS_SELECTOR, ".compliance-filter button").click()
    wait(browser).until(ec.url_contains("level=2"))
    section = browser.find_element(By.ID, "cis_aws_foundations-3-0-0")
    levels = {
        row.text
        for row in section.find_elements(By.CSS_SELECTOR, "tr.requirement td:first-child .hint")
    }
    assert levels == {"(Level 2)"}
    shoot(browser, "compliance-03-level-2")


def test_overview_charts_link_to_their_findings(browser, live_site, scanned):
    sign_in(browser, live_site)
    browser.get(f"{live_site}/")
    tile = wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".benchmark-tile")))
    shoot(browser, "charts-00-overview")
    assert "requirements pass" in tile.text
    trend = browser.find_element(By.CSS_SELECTOR, "svg.trend-chart")
    assert len(trend.find_elements(By.CSS_SELECTOR, "text.date")) == 2, "one dated column per scan"
    bar = browser.find_element(By.CSS_SELECTOR, "svg.chart a[aria-label^='high']")
    browser.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", bar
    )
    wait(browser).until(ec.url_contains("severity=high"))
    assert "status=FAIL" in browser.current_url
    shoot(browser, "charts-01-severity-drill-down")


def test_chart_pages_fit_a_phone(browser, live_site, scanned):
    browser.set_window_size(*PHONE)
    sign_in(browser, live_site)
    too_wide = {}
    for name, path in {
        "overview": "/",
        "scan": f"/scans/{scanned.id}/",
        "compliance": f"/scans/{scanned.id}/compliance/",
        "changes": f"/findings/scan/{scanned.id}/diff/",
    }.items():
        browser.get(f"{live_site}{path}")
        wait(browser).until(ec.presence_of_element_located((By.ID, "content")))
        charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
        assert charts or name == "changes", f"no chart on the {name} page"
        for chart in charts:
            assert chart.rect["x"] + chart.rect["width"] <= PHONE[0], f"a chart overflows {name}"
        shoot(browser, f"phone-charts-{name}")
        # Against the width inside the vertical scrollbar: a page as wide as the window still
        # scrolls sideways by the scrollbar's width.
        inside = (
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if sideways_overflow(browser) > 0 or browser.execute_script(inside) > 0:
            too_wide[name] = browser.execute_script(STICKING_OUT)
    assert too_wide == {}
