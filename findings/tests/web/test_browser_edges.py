"""The edges a new user hits, in headless Chromium: a phone-width screen, selects driven by the
keyboard, copy buttons, the region picker, the Rules page, error pages, the demo account."""

from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select

from findings.tests.browser import PASSWORD, shoot, wait
from rules.models import RuleSetting
from scans.web.forms import REGIONS_ENABLED_BY_DEFAULT
from testing.factories import create_finding, create_member, create_mute, create_scan

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = (390, 844)
LONG_EVIDENCE = {
    "open_ports": list(range(20, 60)),
    "sources": ["0.0.0.0/0", "::/0"],
    "note": "x" * 120,
}


@pytest.fixture
def world():
    """Two finished scans of one account, with findings, a mute and a rule overridden."""
    earlier = create_scan(created_at=timezone.now() - timedelta(days=1), finished_at=timezone.now())
    scan = create_scan(finished_at=timezone.now(), severity_counts={"high": 2}, finding_counts={})
    create_finding(earlier)
    finding = create_finding(scan, evidence=LONG_EVIDENCE)
    create_finding(scan, resource_hash="c" * 64, rule_id="EC2_IMDSV2_REQUIRED", title="IMDSv2")
    create_finding(scan, resource_hash="d" * 64, status="PASS")
    operator = create_member(username="olga", group="operator")
    create_mute(
        account_hash=scan.account_hash,
        account_label=scan.account_label,
        rule_id=finding.rule_id,
        owner=operator,
        fingerprint=finding.fingerprint,
        justification="Bastion kept open for the migration weekend " * 3,
    )
    RuleSetting.objects.create(
        rule_id="EC2_SG_SSH_OPEN",
        title="Security group allows SSH (22) from the whole internet",
        service="ec2",
        resource_type="AWS::EC2::SecurityGroup",
        catalog_severity="high",
        severity_override="critical",
    )
    RuleSetting.objects.create(
        rule_id="EC2_IMDSV2_REQUIRED",
        title="Instance does not require IMDSv2",
        service="ec2",
        resource_type="AWS::EC2::Instance",
        catalog_severity="high",
        enabled=False,
    )
    return {"scan": scan, "finding": finding}


def sign_in(browser, site: str, username: str = "olga") -> None:
    browser.get(f"{site}/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "nav[aria-label=Main]")))


def sideways_overflow(browser) -> int:
    """How many CSS pixels the page is wider than the window (0 or less: no sideways scroll)."""
    return browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")


def csp_refusals(browser) -> list[str]:
    """What the Content-Security-Policy refused since the last call, as the console says."""
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]


# The innermost elements that reach past the window's right edge (outside any box that scrolls
# on its own, as wide tables do), to name in a failure.
STICKING_OUT = """
const edge = document.documentElement.clientWidth;
const out = e => e.getBoundingClientRect().right > edge + 1;
const scrollsInside = e => {
  for (let box = e.parentElement; box && box !== document.body; box = box.parentElement) {
    if (getComputedStyle(box).overflowX !== "visible") return true;
  }
  return false;
};
return [...document.querySelectorAll("body *")]
  .filter(e => out(e) && !scrollsInside(e) && ![...e.children].some(out))
  .slice(0, 5)
  .map(e => `${e.tagName}.${[...e.classList].join(".")} ${e.textContent.trim().slice(0, 30)}`);
"""


def test_no_page_scrolls_sideways_at_phone_width(browser, live_site, world):
    browser.set_window_size(*PHONE)
    browser.get(f"{live_site}/login/")
    assert browser.execute_script("return window.innerWidth") <= PHONE[0]
    assert sideways_overflow(browser) <= 0, "the sign-in page is wider than a phone"
    shoot(browser, "phone-00-sign-in")
    sign_in(browser, live_site)
    scan, finding = world["scan"], world["finding"]
    pages = {
        "overview": "/",
        "scans": "/scans/",
        "new-scan": "/scans/new/",
        "scan": f"/scans/{scan.id}/",
        "findings": "/findings/",
        "finding": f"/findings/{finding.id}/",
        "mutes": "/findings/mutes/",
        "compliance": f"/scans/{scan.id}/compliance/",
        "changes": f"/findings/scan/{scan.id}/diff/",
        "rules": "/rules/",
        "not-found": "/no-such-page/",
    }
    too_wide = {}
    for number, (name, path) in enumerate(pages.items(), start=1):
        browser.get(f"{live_site}{path}")
        wait(browser).until(ec.presence_of_element_located((By.ID, "content")))
        # Every rule's card open: remediation commands are the longest lines.
        browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
        nav = browser.find_element(By.CSS_SELECTOR, "nav[aria-label=Main]")
        assert nav.rect["x"] + nav.rect["width"] <= PHONE[0], f"the nav overflows on {name}"
        shoot(browser, f"phone-{number:02}-{name}")
        if sideways_overflow(browser) > 0:
            too_wide[name] = browser.execute_script(STICKING_OUT)
    assert too_wide == {}, f"pages wider than a phone, and what sticks out: {too_wide}"
    assert csp_refusals(browser) == [], "the styles and scripts all come from static files"


# Counts the forms submitted and the htmx requests sent from now on, in this document.
COUNT_SUBMITS = """
window.submits = 0;
document.addEventListener("submit", () => window.submits++, true);
document.body.addEventListener("htmx:beforeRequest", () => window.submits++);
"""


def submits(browser) -> int:
    return browser.execute_script("return window.submits")


@pytest.mark.parametrize(
    ("path", "select", "button"),
    [
        ("/findings/", "#severity-floor", ".severity-floor button"),
        ("/findings/", "#scan-picker", ".scan-picker button"),
        ("/findings/", "form.filters select[name=status]", "form.filters button[type=submit]"),
        ("/scans/", "form.filters select[name=status]", "form.filters button[type=submit]"),
        ("/rules/", "form.filters select[name=severity]", "form.filters button[type=submit]"),
    ],
)
def test_an_arrow_key_on_a_select_moves_the_choice_and_submits_nothing(
    browser, live_site, world, path, select, button
):
    sign_in(browser, live_site)
    browser.get(f"{live_site}{path}")
    browser.execute_script(COUNT_SUBMITS)
    field = browser.find_element(By.CSS_SELECTOR, select)
    options = Select(field).options
    last = options[-1].is_selected()
    before = field.get_attribute("value")

    field.send_keys(Keys.ARROW_UP if last else Keys.ARROW_DOWN)

    assert field.get_attribute("value") != before, "the key moved the choice"
    assert submits(browser) == 0, "a single arrow key submitted the form"
    browser.find_element(By.CSS_SELECTOR, button).click()
    wait(browser).until(lambda _: browser.execute_script("return window.submits !== 0"))


def test_a_severity_box_still_filters_at_once(browser, live_site, world):
    sign_in(browser, live_site)
    browser.get(f"{live_site}/findings/?muted=include")
    browser.execute_script(COUNT_SUBMITS)

    browser.find_element(By.CSS_SELECTOR, "form.filters input[name=severity][value=high]").click()

    wait(browser).until(ec.url_contains("severity=high"))
    assert submits(browser) > 0, "htmx swapped the table in; the page stayed"


def clipboard(browser) -> str:
    return browser.execute_async_script(
        "navigator.clipboard.readText().then(arguments[0], e => arguments[0](String(e)))"
    )


def test_code_blocks_wrap_and_copy_buttons_copy_them_whole(browser, live_site, world):
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": live_site, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    browser.set_window_size(*PHONE)
    sign_in(browser, live_site)
    browser.get(f"{live_site}/findings/{world['finding'].id}/")
    # The curated remediation, rendered from Markdown: its command is a code block.
    command = browser.find_element(By.CSS_SELECTOR, "#advice .advice pre")
    assert browser.execute_script(
        "return arguments[0].scrollWidth <= arguments[0].clientWidth", command
    ), "the command wraps inside its block"

    command.find_element(By.XPATH, "following-sibling::button[1]").click()

    wait(browser).until(lambda _: clipboard(browser) == command.text.strip())
    button = command.find_element(By.XPATH, "following-sibling::button[1]")
    assert button.text == "Copied"
    shoot(browser, "copy-01-command")
    # A hash shown whole copies whole; in the findings table, shown short, it still does.
    browser.find_element(By.CSS_SELECTOR, "code.hash + button.copy").click()
    wait(browser).until(lambda _: clipboard(browser) == world["finding"].resource_hash)
    # The world's finding is its one mute; the flat list shows its hash (rules show none).
    browser.get(f"{live_site}/findings/?muted=only&view=flat&status=")
    cell = browser.find_element(By.CSS_SELECTOR, "table.findings td.hash")
    assert cell.find_element(By.TAG_NAME, "code").text.endswith("…")
    cell.find_element(By.CSS_SELECTOR, "button.copy").click()
    wait(browser).until(lambda _: clipboard(browser) == world["finding"].resource_hash)


def ticked(browser) -> set[str]:
    boxes = browser.find_elements(By.CSS_SELECTOR, "input[name=regions]")
    return {box.get_attribute("value") for box in boxes if box.is_selected()}


def test_region_picker_and_what_a_form_error_keeps(browser, live_site, world):
    sign_in(browser, live_site)
    browser.get(f"{live_site}/scans/new/")
    every = {b.get_attribute("value") for b in browser.find_elements(By.NAME, "regions")}
    tools = browser.find_element(By.CSS_SELECTOR, ".region-tools")
    assert tools.is_displayed(), "the script shows the buttons"

    tools.find_element(By.CSS_SELECTOR, "[data-pick=all]").click()
    assert ticked(browser) == every
    tools.find_element(By.CSS_SELECTOR, "[data-pick=default]").click()
    assert ticked(browser) == REGIONS_ENABLED_BY_DEFAULT & every
    assert "af-south-1" in every - ticked(browser), "an opt-in region"
    tools.find_element(By.CSS_SELECTOR, "[data-pick=none]").click()
    assert ticked(browser) == set()
    shoot(browser, "new-scan-01-picker")

    # Temporary keys without their session token: a form error, nothing sent to AWS.
    browser.find_element(By.NAME, "access_key_id").send_keys("ASIAIOSFODNN7EXAMPLE")
    browser.find_element(By.NAME, "secret_access_key").send_keys("s" * 36 + "KEY0")
    role = "arn:aws:iam::123456789012:role/SecureScopeAudit"
    browser.find_element(By.NAME, "role_arn").send_keys(role)
    browser.find_element(By.NAME, "external_id").send_keys("Partner-42")
    for region in ("eu-west-1", "ap-southeast-2"):
        browser.find_element(By.CSS_SELECTOR, f"input[name=regions][value={region}]").click()
    browser.find_element(By.CSS_SELECTOR, "main form[method=post] button[type=submit]").click()

    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".errorlist")))
    assert "need their session token" in browser.page_source
    assert browser.find_element(By.NAME, "role_arn").get_attribute("value") == role
    assert browser.find_element(By.NAME, "external_id").get_attribute("value") == "Partner-42"
    assert ticked(browser) == {"eu-west-1", "ap-southeast-2"}
    for secret in ("access_key_id", "secret_access_key", "session_token"):
        assert browser.find_element(By.NAME, secret).get_attribute("value") == ""
    shoot(browser, "new-scan-02-error-keeps-the-choices")


def test_rules_page_lists_the_catalog_and_filters_it(browser, live_site, world):
    sign_in(browser, live_site)
    browser.find_element(By.LINK_TEXT, "Rules").click()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "details.rule")))
    every = len(browser.find_elements(By.CSS_SELECTOR, "details.rule"))
    shoot(browser, "rules-01-all")

    Select(browser.find_element(By.NAME, "severity")).select_by_value("critical")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait(browser).until(ec.url_contains("severity=critical"))
    badges = browser.find_elements(By.CSS_SELECTOR, "details.rule summary .sev")
    assert 0 < len(badges) < every
    assert {badge.text for badge in badges} == {"critical"}
    overridden = browser.find_element(By.ID, "EC2_SG_SSH_OPEN")
    assert "the catalog says high" in overridden.text

    Select(browser.find_element(By.NAME, "severity")).select_by_value("")
    Select(browser.find_element(By.NAME, "state")).select_by_value("disabled")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait(browser).until(ec.url_contains("state=disabled"))
    (disabled,) = browser.find_elements(By.CSS_SELECTOR, "details.rule")
    assert disabled.get_attribute("id") == "EC2_IMDSV2_REQUIRED"
    assert "Disabled" in disabled.text

    browser.get(f"{live_site}/rules/?q=snapshot+public&framework=cis_aws_compute")
    found = browser.find_elements(By.CSS_SELECTOR, "details.rule")
    assert found
    assert all("snapshot" in rule.text.lower() for rule in found)
    found[0].find_element(By.TAG_NAME, "summary").click()
    assert found[0].find_element(By.CSS_SELECTOR, "pre.code + button.copy").is_displayed()
    assert "CIS AWS Compute Services Benchmark: v1.0.0" in found[0].text
    shoot(browser, "rules-02-searched-and-opened")


ACCENT = "rgba(31, 94, 255, 1)"  # --accent in securescope.css


def test_error_pages_and_sign_in_wear_the_apps_look_and_its_favicon(browser, live_site, world):
    create_member(username="vera", group="viewer")
    browser.get(f"{live_site}/login/")
    assert browser.find_element(By.CSS_SELECTOR, ".sign-in h1").text == "Sign in to SecureScope"
    icon = browser.find_element(By.CSS_SELECTOR, "link[rel=icon]").get_attribute("href")
    served = browser.execute_async_script(
        "fetch(arguments[0]).then(r => arguments[1]([r.status, r.headers.get('content-type')]))",
        icon,
    )
    assert served == [200, "image/svg+xml"]
    sign_in(browser, live_site, username="vera")
    for path, code in (("/no-such-page/", "404"), ("/scans/new/", "403")):
        browser.get(f"{live_site}{path}")
        number = browser.find_element(By.CSS_SELECTOR, ".error-page .error-code")
        assert number.text == code
        assert number.value_of_css_property("color") == ACCENT, "the stylesheet applies"
        assert browser.find_element(By.CSS_SELECTOR, "nav[aria-label=Main]").is_displayed()
        shoot(browser, f"error-{code}")


DEMO_SECONDS = 120


@pytest.mark.moto
def test_the_demo_account_answers_at_once_and_shows_each_collector_land(
    browser, live_site, held_demo_server, settings
):
    settings.DEMO_MODE = True
    settings.AWS_MAX_ATTEMPTS = 2  # moto answers its unimplemented APIs with retried 500s
    create_member(username="olga", group="operator")
    sign_in(browser, live_site)
    browser.get(f"{live_site}/scans/")
    browser.find_element(By.XPATH, "//button[text()='Scan the demo account']").click()

    # The scan page, while the demo account is still held back from starting.
    starting = wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".starting")))
    assert "Starting the demo account" in starting.text
    shoot(browser, "demo-01-starting")
    held_demo_server.set()
    # A unit shows its count once its collectors are known; one still pending shows none yet.
    wait(browser, DEMO_SECONDS).until(
        lambda page: any(
            "/" in cell.text
            for cell in page.find_elements(By.CSS_SELECTOR, "#progress td.collectors")
        )
    )
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "scan-status"), "Running"))
    shoot(browser, "demo-02-running")
    # Once the scan ends the page reloads with its findings.
    wait(browser, DEMO_SECONDS).until(ec.presence_of_element_located((By.ID, "findings")))
    counts = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "td.collectors")]
    assert counts
    assert all(done == total for done, total in (c.split("/") for c in counts))
    shoot(browser, "demo-03-finished")
