"""Fixtures of the web tests (tests/web/ and its areas): the app on an in-memory store, and
a headless Chromium. The live ``zkg serve`` fixtures are tests/conftest.py's.

- ``web_store``: an in-memory store loaded from the fixture project (small, stable);
- ``app`` / ``client``: ``create_app`` on it with a small row limit, Flask's test client;
- ``cur``: a writable app on a fresh store, with a write and a read token
  (tests/support/curation_testing.py), for the curation tests;
- ``browser`` / ``page``: headless Chromium (tests/support/browser.py), one per test module;
  ``page`` checks its console and network logs after each test.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from tests.support.browser import LOOPBACK_HOSTS, start_chromium
from tests.support.curation_testing import make_curation
from tests.support.web_testing import APP_ROW_LIMIT
from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE
from zkg.base.settings import Settings
from zkg.store.local import Store


@pytest.fixture(scope="session")
def web_store() -> Store:
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    return store


@pytest.fixture
def web_settings(tmp_path) -> Settings:
    return Settings.from_env(
        environ={}, base_iri=TEST_BASE, data=tmp_path / "unused", row_limit=APP_ROW_LIMIT, max_request_bytes=20_000
    )


@pytest.fixture
def app(web_settings, web_store):
    from zkg.web import create_app

    return create_app({"ZKG_SETTINGS": web_settings, "ZKG_STORE": web_store, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cur(tmp_path):
    return make_curation(tmp_path)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser):
    """The browser, with its console and network logs emptied before and checked after."""
    browser.get_log("browser")
    browser.get_log("performance")
    yield browser
    problems = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert problems == [], f"errors in the browser console: {problems}"
    outside = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] != "Network.requestWillBeSent":
            continue
        url = message["params"]["request"]["url"]
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOOPBACK_HOSTS:
            outside.append(url)
    assert outside == [], f"requests left loopback: {outside}"
