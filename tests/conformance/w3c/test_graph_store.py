"""The W3C SPARQL 1.1 Graph Store HTTP Protocol tests against a live `zkg serve` of their
own (with a write token and a source), the store reset (DROP ALL, through SPARQL Update)
before each test, as the manifest asks."""

from __future__ import annotations

import pytest
import requests

from tests.support.w3c_gsp_runner import load_tests, run
from tests.support.w3c_runner import w3c_dir

TESTS = load_tests(w3c_dir() / "graph-store-protocol" / "manifest.ttl")


def test_the_manifests_are_the_ones_expected():
    assert len(TESTS) == 14
    assert sum("DirectGraphIdentification" in t.requires for t in TESTS) == 5


@pytest.mark.parametrize("test", TESTS, ids=lambda t: t.id)
def test_graph_store_protocol(test, gsp_server):
    reset = requests.post(
        gsp_server.sparql,
        data="DROP ALL",
        timeout=60,
        headers={**gsp_server.write_headers, "Content-Type": "application/sparql-update"},
    )
    assert reset.status_code == 200, reset.text
    problems = run(test, gsp_server.url + "graph-store", gsp_server.write_headers)
    assert not problems, f"{test.id} ({test.name}):\n" + "\n".join(problems)
