"""/docs in a real browser: Debian's headless Chromium, driven over WebDriver by Debian's chromedriver
(built from the same source, so the two always match). Where they are not installed the test is
skipped, unless NOTES_SYNC_REQUIRE_CHROMIUM is set (CI sets it: there a skip would hide a failure).
The last screenshot of the page is saved to .pytest_cache/d/swagger-ui/docs.png."""

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from tests.e2e.conftest import Client

STEP_SECONDS = 10
# Headless, and nothing of Chromium's own talks to Google's hosts (none is reachable here).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # runs as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1600",
]
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# What goes over the network (Chromium's own chrome:// pages and data: URLs do not).
NETWORK_SCHEMES = {"http", "https", "ws", "wss"}


@pytest.fixture
def browser(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[webdriver.Chrome]:
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        missing = " and ".join(
            name for name, path in [("chromium", chromium), ("chromedriver", chromedriver)] if not path
        )
        reason = f"no {missing} on PATH: apt-get install chromium chromium-driver (Debian's packages)"
        if os.environ.get("NOTES_SYNC_REQUIRE_CHROMIUM"):
            pytest.fail(reason)
        pytest.skip(reason)
    screenshot = Path(request.config.cache.mkdir("swagger-ui"), "docs.png")
    print(f"screenshot: {screenshot}")
    options = Options()
    options.binary_location = chromium
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    # Every request the page makes, read from Chromium's DevTools network events.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    # A Service with the driver's path: Selenium Manager (which would download a driver) never runs.
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(STEP_SECONDS)
    yield driver
    driver.save_screenshot(screenshot)
    driver.quit()


def _requested_urls(browser: webdriver.Chrome) -> list[str]:
    """Every URL the browser requested, its own pages' included."""
    events = [json.loads(entry["message"])["message"] for entry in browser.get_log("performance")]
    return [event["params"]["request"]["url"] for event in events if event["method"] == "Network.requestWillBeSent"]


def test_swagger_ui_renders_every_operation_and_tries_one_out_with_a_token(
    browser: webdriver.Chrome, client: Client
) -> None:
    # Given a signed-in user and the operations the document declares
    user = client.sign_up_and_in()
    document = client.request("GET", "/v1/openapi.json").json()
    declared = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item if method in HTTP_METHODS
    }
    wait = WebDriverWait(browser, STEP_SECONDS, poll_frequency=0.1)

    # When /docs is opened
    browser.get(f"{client.base_url}/docs")
    wait.until(
        expected_conditions.any_of(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".opblock")),
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".version-pragma")),
        )
    )

    # Then the document rendered, with every operation
    assert not browser.find_elements(By.CSS_SELECTOR, ".version-pragma"), "Unable to render this definition"
    assert not browser.find_elements(By.CSS_SELECTOR, ".errors-wrapper")
    shown = {
        (
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text,
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path"),
        )
        for block in browser.find_elements(By.CSS_SELECTOR, ".opblock")
    }
    assert shown == declared

    # When the user authorizes with the access token, then tries GET /v1/account out
    browser.find_element(By.CSS_SELECTOR, ".auth-wrapper button.authorize").click()
    dialog = wait.until(expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, ".modal-ux")))
    dialog.find_element(By.CSS_SELECTOR, "input[aria-label='auth-bearer-value']").click()
    # Pasted in one input event, as a person pastes it: typing a 1 kB token key by key takes seconds.
    browser.execute_cdp_cmd("Input.insertText", {"text": user["access_token"]})
    dialog.find_element(By.CSS_SELECTOR, "button.modal-btn.auth[type='submit']").click()
    wait.until(expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, ".modal-ux"), "Authorized"))
    dialog.find_element(By.CSS_SELECTOR, "button.btn-done").click()
    operation = browser.find_element(By.XPATH, "//div[contains(@class, 'opblock-get')][.//*[@data-path='/v1/account']]")
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    wait.until(lambda _: operation.find_element(By.CSS_SELECTOR, "button.try-out__btn")).click()
    wait.until(lambda _: operation.find_element(By.CSS_SELECTOR, "button.execute")).click()
    status = wait.until(
        lambda _: operation.find_element(By.CSS_SELECTOR, ".live-responses-table .response .response-col_status")
    )

    # Then the page shows the API's 200 with the user's own account, and nothing left this machine
    assert status.text == "200"
    assert user["email"] in operation.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text
    fetched = [url for url in _requested_urls(browser) if urlsplit(url).scheme in NETWORK_SCHEMES]
    assert f"{client.base_url}/v1/account" in fetched
    assert [url for url in fetched if not url.startswith(f"{client.base_url}/")] == []
