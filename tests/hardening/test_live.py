"""A few hostile inputs against a real ``zkg serve`` (waitress, the managed Oxigraph engine):
the security headers are on its responses, and deeply nested queries and malformed headers
get 4xx without taking the server or its engine down."""

from __future__ import annotations

import pytest
import requests

from tests.support.live_server import LiveServer, wait_answering, zkg_load
from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE
from zkg.curation import tokens


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("hardening-live") / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE, graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    token = tokens.create(data, "hardening-live", scope=tokens.WRITE)
    live = LiveServer(
        data,
        base_iri=TEST_BASE,
        options=("--query-timeout", "2", "--threads", "2", "--workers", "1"),
        env={"ZKG_RATE_LIMIT": "0"},
    )
    live.token = token
    wait_answering(live)
    yield live
    live.stop()


def _alive(server) -> None:
    response = requests.get(server.url + "sparql", params={"query": "ASK { }"}, timeout=30)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path", ["", "sparql?query=ASK%7B%7D", "id/alice", "page/id/alice", "search?q=a", "no/such/thing"]
)
def test_live_responses_have_the_security_headers(server, path):
    response = requests.get(server.url + path, timeout=30, allow_redirects=False)
    assert response.status_code < 500
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] and response.headers["Referrer-Policy"]


@pytest.mark.parametrize("depth", [300, 5000, 50_000])
def test_live_deeply_nested_queries_are_refused_and_the_server_lives(server, depth):
    query = "SELECT * WHERE " + "{" * depth + "?s ?p ?o" + "}" * depth
    response = requests.post(
        server.url + "sparql", data=query.encode(), timeout=60, headers={"Content-Type": "application/sparql-query"}
    )
    assert response.status_code in (400, 413), response.text[:300]
    _alive(server)


# A \\u escape in an IRI (legal: the IRI rule decodes it) made the old lexer stop reading, so
# what followed passed unchecked: 20 KB of brackets after it crashed the engine, and through
# an update (parsed in the worker) a worker.
BYPASS = "?s ?p <http://x/\\u0041'> ."


def _worker_and_engine(server) -> list[int]:
    return sorted([server.pid, *server.engine_pids()])


@pytest.mark.parametrize(
    "body",
    [
        "SELECT * WHERE { " + BYPASS + " " + "{" * 20_000 + "}" * 20_000 + " }",
        "SELECT * WHERE { " + BYPASS + " FILTER(" + "(" * 20_000 + "1" + ")" * 20_000 + ") }",
        "SELECT * WHERE { " + BYPASS + " SERVICE <http://127.0.0.1:9/> {} }",
    ],
    ids=["braces", "parentheses", "service"],
)
def test_live_what_follows_an_escape_in_an_iri_is_still_checked(server, body):
    processes = _worker_and_engine(server)
    response = requests.post(
        server.sparql, data=body.encode(), timeout=60, headers={"Content-Type": "application/sparql-query"}
    )
    assert response.status_code == 400, response.text[:300]
    assert "more than 200 levels" in response.text or "SERVICE" in response.text
    _alive(server)
    assert _worker_and_engine(server) == processes  # nothing crashed or restarted


def test_live_an_update_past_the_limits_is_refused_before_any_parser(server):
    processes = _worker_and_engine(server)
    body = (
        "INSERT DATA { <http://x/\\u0041'> <http://x/p> 'a' } ;\nINSERT { ?s ?p ?o } WHERE { "
        + "{" * 20_000
        + "?s ?p ?o"
        + "}" * 20_000
        + " }"
    )
    response = requests.post(
        server.url + "sparql",
        data=body.encode(),
        timeout=60,
        headers={
            "Content-Type": "application/sparql-update",
            "Authorization": f"Bearer {server.token}",
            "ZKG-Source": "https://example.org/s",
        },
    )
    assert response.status_code == 400 and "more than 200 levels" in response.text, response.text[:300]
    _alive(server)
    assert _worker_and_engine(server) == processes


@pytest.mark.parametrize(
    "query",
    [
        "ASK { FILTER(" + "||".join(["true"] * 12_000) + ") }",
        "ASK { " + " ".join(["OPTIONAL {}"] * 2_000) + " }",
        "ASK { ?s " + "|".join(["<urn:p>"] * 12_000) + " ?o }",
        "ASK { " + " ".join(["{SELECT * {}}"] * 3_000) + " }",
        "ASK { ?s " + "/".join(["^<urn:p>"] * 6_000) + " ?o }",
    ],
    ids=["or-chain", "optional-chain", "alternatives", "subqueries", "inverse-paths"],
)
def test_live_long_chains_are_refused_and_the_engine_lives(server, query):
    processes = _worker_and_engine(server)
    response = requests.post(
        server.sparql, data=query.encode(), timeout=60, headers={"Content-Type": "application/sparql-query"}
    )
    assert response.status_code == 400 and "too complex" in response.text, response.text[:300]
    _alive(server)
    assert _worker_and_engine(server) == processes


@pytest.mark.parametrize("accept", ["*/*;q=banana", ";;;", "x" * 4000, "text/html, " * 300])
def test_live_malformed_accept_headers(server, accept):
    response = requests.get(server.url + "sparql", params={"query": "ASK {}"}, headers={"Accept": accept}, timeout=30)
    assert response.status_code < 500
    _alive(server)
