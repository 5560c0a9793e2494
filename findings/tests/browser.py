"""Helpers of the browser tests: Debian's chromium and chromedriver, driven by Selenium.

A screenshot of each page a test takes goes to var/screenshots/ (gitignored) as an artifact.
Every wait is explicit.
"""

from pathlib import Path

from django.conf import settings
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PASSWORD = "correct horse battery"


def shoot(driver, name: str) -> None:
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def wait(driver, timeout: float = 20) -> WebDriverWait:
    return WebDriverWait(driver, timeout)
