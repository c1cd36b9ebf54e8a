"""Fixtures of the web tests: the app on an in-memory store, and one live ``zkg serve``.

- ``web_store``: an in-memory store loaded from the fixture project (small, stable);
- ``app`` / ``client``: ``create_app`` on it with a small row limit, Flask's test client;
- ``cur``: a writable app on a fresh store, with a write and a read token
  (tests/curation_testing.py), for the curation tests;
- ``live_server``: a real ``zkg serve`` subprocess, shared by the whole session, on a free
  loopback port, on a data directory made by ``zkg load`` from the project's real graph/,
  with a 1 s time limit and a row limit of 100 (so both can be tested cheaply).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: live_server, zkg_testing

from curation_testing import make_curation  # noqa: E402
from live_server import LiveServer, zkg_load  # noqa: E402
from web_testing import APP_ROW_LIMIT, LIVE_MAX_REQUEST_BYTES, LIVE_QUERY_TIMEOUT, LIVE_ROW_LIMIT  # noqa: E402
from zkg_testing import FIXTURE_PROJECT, TEST_BASE  # noqa: E402

from zkg.base.settings import Settings  # noqa: E402
from zkg.store.local import Store  # noqa: E402


@pytest.fixture(scope="session")
def web_store() -> Store:
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    return store


@pytest.fixture
def web_settings(tmp_path) -> Settings:
    return Settings.from_env(environ={}, base_iri=TEST_BASE, data=tmp_path / "unused",
                             row_limit=APP_ROW_LIMIT, max_request_bytes=20_000)


@pytest.fixture
def app(web_settings, web_store):
    from zkg.web import create_app

    return create_app({"ZKG_SETTINGS": web_settings, "ZKG_STORE": web_store, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("live") / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE)
    server = LiveServer(data, base_iri=TEST_BASE, options=(
        "--query-timeout", str(LIVE_QUERY_TIMEOUT), "--row-limit", str(LIVE_ROW_LIMIT),
        "--max-request-bytes", str(LIVE_MAX_REQUEST_BYTES), "--threads", "4"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def linked_data_server(tmp_path_factory):
    """A live ``zkg serve`` whose base IRI is its own URL, so that every IRI in its data
    dereferences on it (the linked-data walk and browser tests follow them). Loaded by
    ``zkg load`` from the project's real graph/."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # a port free now
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}/"
    data = tmp_path_factory.mktemp("linked-data") / "zkg-data"
    zkg_load(data, base_iri=base)
    server = LiveServer(data, base_iri=base, options=("--port", str(port), "--threads", "8"))
    assert server.url == base, f"zkg serve answers at {server.url}, not at its base IRI {base}"
    yield server
    server.stop()


@pytest.fixture
def cur(tmp_path):
    return make_curation(tmp_path)

