"""Headless Chromium for the browser tests, driven by Selenium through Debian's ``chromium``
and ``chromium-driver`` (``.ci/run`` installs them; by hand: ``apt-get install chromium
chromium-driver``). A test that needs them fails, it is not skipped, when they are missing.

The fixtures are in tests/web/conftest.py: ``browser`` (one Chromium per test module) and
``page`` (the browser, its console and network logs checked after each test: no console
error, CSP violations included, and no request leaving loopback). Using ``browser`` (or
``page``) is what marks a test ``browser`` (tests/support/markers.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Selenium Manager must never go looking for drivers on the internet, nor send statistics.
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

from selenium import webdriver  # noqa: E402  (after the environment is set for Selenium Manager)
from selenium.webdriver.chrome.service import Service  # noqa: E402

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
WAIT = 30  # seconds for anything the browser does


def _find(*names: str) -> str | None:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def start_chromium(profile: Path) -> webdriver.Chrome:
    """A headless Chromium with its user profile in ``profile``, logging its console and
    network; nothing but loopback resolves in it."""
    chromium = _find("chromium", "chromium-browser", "google-chrome")
    chromedriver = _find("chromedriver")
    if not chromium or not chromedriver:
        pytest.fail("the browser test needs Chromium and its driver: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-default-browser-check",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
        # Belt and braces: nothing but loopback even resolves. (Requests are still logged
        # before resolution, so a page trying to leave loopback is caught by ``page``.)
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(WAIT)
    return driver
