"""Headless Chromium (Debian's chromium + chromium-driver) against pytest-django's live server.

A failing test leaves a screenshot and the page HTML in test-artifacts/browser/.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

# The README's screenshots are taken on demand (SCREENSHOTS=1), not in every test run: they
# rewrite committed files.
collect_ignore = [] if os.environ.get("SCREENSHOTS") else ["test_screenshots.py"]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    for path in (browser, driver):
        if not Path(path).exists():
            pytest.fail(f"{path} is missing: scripts/setup.sh test installs chromium-driver")
    return browser, driver


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def browser(request):
    binary, driver_path = chromium_paths()
    profile = tempfile.mkdtemp(prefix="ektor-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(0)
    yield driver
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = request.node.nodeid.replace("/", "_").replace("::", "-")
        driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
        (ARTIFACTS / f"{name}.html").write_text(driver.page_source)
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


class Page:
    """Small conveniences over the driver for admin pages."""

    def __init__(self, driver, base_url: str) -> None:
        self.driver = driver
        self.base_url = base_url

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def wait_for(self, css: str, timeout: float = 10):
        return WebDriverWait(self.driver, timeout).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, css))
        )

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def fill(self, name: str, value: str) -> None:
        field = self.find(f"[name='{name}']")
        field.clear()
        field.send_keys(value)

    def select(self, name: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.find(f"select[name='{name}']")).select_by_value(value)

    def click_through(self, element) -> None:
        """Click what loads a page and wait until that page has replaced this one.

        Without the wait, a wait for something both pages have (a message list, a result list)
        can find the old page's element, which goes stale as soon as it is read.
        """
        old = self.find("html")
        element.click()
        WebDriverWait(self.driver, 10).until(ec.staleness_of(old))

    def submit(self, css: str = "input[type=submit][name=_save]") -> None:
        # Not any submit button: the header's "Log out" is a form button that comes first.
        self.click_through(self.find(css))

    def text(self) -> str:
        return self.find("body").text

    def sign_in(self, username: str, password: str) -> None:
        self.open("/admin/login/")
        self.fill("username", username)
        self.fill("password", password)
        self.find("input[type=submit]").click()
        # The login page has the branding too; only a signed-in page has the user tools.
        self.wait_for("#user-tools")


@pytest.fixture
def page(browser, live_server):
    return Page(browser, live_server.url)
