"""A few hostile inputs against a real ``zkg serve`` (waitress, the managed Oxigraph engine):
the security headers are on its responses, and deeply nested queries and malformed headers
get 4xx without taking the server or its engine down."""

from __future__ import annotations

import pytest
import requests
from live_server import LiveServer, zkg_load
from zkg_testing import FIXTURE_PROJECT, TEST_BASE


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("hardening-live") / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE, graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    live = LiveServer(data, base_iri=TEST_BASE, options=("--query-timeout", "2", "--threads", "2", "--workers", "1"))
    yield live
    live.stop()


def _alive(server) -> None:
    response = requests.get(server.url + "sparql", params={"query": "ASK { }"}, timeout=30)
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["", "sparql?query=ASK%7B%7D", "id/alice", "page/id/alice", "search?q=a", "no/such/thing"])
def test_live_responses_have_the_security_headers(server, path):
    response = requests.get(server.url + path, timeout=30, allow_redirects=False)
    assert response.status_code < 500
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] and response.headers["Referrer-Policy"]


@pytest.mark.parametrize("depth", [300, 5000, 50_000])
def test_live_deeply_nested_queries_are_refused_and_the_server_lives(server, depth):
    query = "SELECT * WHERE " + "{" * depth + "?s ?p ?o" + "}" * depth
    response = requests.post(server.url + "sparql", data=query.encode(), timeout=60,
                             headers={"Content-Type": "application/sparql-query"})
    assert response.status_code in (400, 413), response.text[:300]
    _alive(server)


@pytest.mark.parametrize("accept", ["*/*;q=banana", ";;;", "x" * 4000, "text/html, " * 300])
def test_live_malformed_accept_headers(server, accept):
    response = requests.get(server.url + "sparql", params={"query": "ASK {}"}, headers={"Accept": accept}, timeout=30)
    assert response.status_code < 500
    _alive(server)
