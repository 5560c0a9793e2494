"""The Exposure page in headless Chromium: from the overview's tile to a path's chain and the
findings it is built from, and the region filter swapping the list in place."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select

from findings.tests.browser import PASSWORD, shoot, wait
from testing.factories import create_finding, create_scan, create_user

pytestmark = pytest.mark.django_db(transaction=True)

INSTANCE = "1" * 64
GROUP = "2" * 64


@pytest.fixture
def world():
    scan = create_scan(regions=["us-east-1", "eu-west-1"])
    group = create_finding(scan, resource_hash=GROUP)
    for region, rule_id, severity in (
        ("us-east-1", "EXPOSURE_ADMIN_PORT_POWERFUL_INSTANCE", "critical"),
        ("eu-west-1", "EXPOSURE_REACHABLE_INSTANCE_ROLE_IMDSV1", "high"),
    ):
        create_finding(
            scan,
            rule_id=rule_id,
            title=f"{rule_id} path",
            service="exposure",
            severity=severity,
            region=region,
            resource_type="Exposure::Instance",
            resource_hash=INSTANCE,
            evidence={
                "chain": [
                    {"step": "route", "kind": "internet_gateway"},
                    {"step": "instance", "reachable_ports": [22], "imds_v1": True},
                ],
                "built_from": [
                    {
                        "rule": "EC2_SG_SSH_OPEN",
                        "resource_type": "AWS::EC2::SecurityGroup",
                        "resource": GROUP,
                        "region": "us-east-1",
                    }
                ],
            },
            compliance={"unmapped": "a combination"},
        )
    user = create_user(username="olga")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return {"scan": scan, "group": group}


def sign_in(browser, site: str) -> None:
    browser.get(f"{site}/login/")
    browser.find_element(By.NAME, "username").send_keys("olga")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "nav[aria-label=Main]")))


def test_overview_tile_opens_the_paths_and_a_chain_links_its_findings(browser, live_site, world):
    sign_in(browser, live_site)
    tile = browser.find_element(By.CSS_SELECTOR, "a.exposure-tile")
    words = " ".join(tile.text.split())
    assert words == "1 resource reachable from the internet with admin credentials"
    tile.click()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "details.exposure-path")))
    paths = browser.find_elements(By.CSS_SELECTOR, "details.exposure-path")
    assert [p.get_attribute("data-rule") for p in paths] == [
        "EXPOSURE_ADMIN_PORT_POWERFUL_INSTANCE",
        "EXPOSURE_REACHABLE_INSTANCE_ROLE_IMDSV1",
    ]
    chain = paths[0].find_element(By.CSS_SELECTOR, "ol.chain")
    assert not chain.is_displayed()
    paths[0].find_element(By.TAG_NAME, "summary").click()
    wait(browser).until(ec.visibility_of(chain))
    assert "internet_gateway" in chain.text
    shoot(browser, "exposure-01-chain")
    paths[0].find_element(By.LINK_TEXT, "EC2_SG_SSH_OPEN").click()
    wait(browser).until(ec.url_contains(f"/findings/{world['group'].id}/"))


def test_region_filter_swaps_the_list_in_place(browser, live_site, world):
    sign_in(browser, live_site)
    browser.get(f"{live_site}/findings/exposure/")
    browser.execute_script("window.unchanged = true")
    Select(browser.find_element(By.NAME, "region")).select_by_value("eu-west-1")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait(browser).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, "details.exposure-path")) == 1
    )
    (path,) = browser.find_elements(By.CSS_SELECTOR, "details.exposure-path")
    assert path.get_attribute("data-rule") == "EXPOSURE_REACHABLE_INSTANCE_ROLE_IMDSV1"
    # HTMX swapped the list: the page itself was not reloaded.
    assert browser.execute_script("return window.unchanged") is True
    assert "region=eu-west-1" in browser.current_url
    shoot(browser, "exposure-02-filtered")
