"""Saved accounts in headless Chromium: an operator adds one and presses Test connection, on a
desktop window and at phone width."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select

from findings.tests.browser import shoot, wait
from findings.tests.web.test_browser_edges import PHONE, csp_refusals, sideways_overflow, sign_in
from scans.models import SavedAccount
from testing.factories import MEMBER_ROLE_ARN, create_member

pytestmark = pytest.mark.django_db(transaction=True)


def add_account(browser, site: str) -> None:
    browser.get(f"{site}/scans/accounts/")
    browser.find_element(By.LINK_TEXT, "Add an account").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "save-account")))
    browser.find_element(By.NAME, "label").send_keys("Payments production")
    browser.find_element(By.NAME, "role_arn").send_keys(MEMBER_ROLE_ARN)
    browser.find_element(By.NAME, "external_id").send_keys("Partner-External-42")
    Select(browser.find_element(By.NAME, "schedule")).select_by_value("interval")
    browser.find_element(By.NAME, "every_hours").send_keys("6")
    browser.find_element(By.CSS_SELECTOR, "input[name=regions][value=eu-west-1]").click()
    browser.find_element(By.ID, "save-account").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "test-connection")))


def press_test_connection(browser) -> str:
    browser.find_element(By.ID, "test-connection").click()
    return wait(browser).until(ec.presence_of_element_located((By.ID, "connection-result"))).text


@pytest.mark.parametrize("window", [(1400, 1000), PHONE], ids=["desktop", "phone"])
def test_an_operator_adds_an_account_and_tests_its_connection(
    browser, live_site, aws, ambient_base_identity, window
):
    create_member(username="olga", group="operator")
    browser.set_window_size(*window)
    sign_in(browser, live_site)
    add_account(browser, live_site)
    account = SavedAccount.objects.get()
    assert account.every_hours == 6
    assert account.regions == ["eu-west-1"]
    assert "every 6 h" in browser.find_element(By.ID, "content").text
    result = press_test_connection(browser)
    shoot(browser, f"account-connection-{window[0]}")
    assert "Connected" in result
    assert "****3333" in result
    page = browser.page_source
    for value in ("111122223333", "Partner-External-42", "SecureScopeAudit"):
        assert value not in page
    assert sideways_overflow(browser) <= 0, "the account page is wider than the window"
    browser.get(f"{live_site}/scans/accounts/")
    assert sideways_overflow(browser) <= 0, "the accounts list is wider than the window"
    assert csp_refusals(browser) == []


def test_a_refused_connection_is_a_message_not_a_traceback(browser, live_site, aws):
    create_member(username="olga", group="operator")
    sign_in(browser, live_site)
    add_account(browser, live_site)
    result = press_test_connection(browser)
    assert "SCANNER_BASE_IDENTITY=ambient" in result
    assert "Traceback" not in browser.page_source
