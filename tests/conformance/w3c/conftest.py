"""The W3C suites run against live `zkg serve` processes of their own, loaded by `zkg load`:

- ``w3c_server``: the protocol's query tests, its store preloaded with the graphs the
  protocol manifest names (ut:graphData, named by rdfs:label); read only;
- ``w3c_update_server``: the protocol's 14 update tests (they clear the store), same data;
- ``gsp_server``: the Graph Store Protocol tests (the store is reset before each test).

Writes need a token and a source (zkg.web.curation.writes): each writable server gets a write
token made in its data directory, and the runners send it with a ``ZKG-Source`` naming the
W3C test suite, as any client configured for zkg would.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.live_server import LiveServer, zkg_load
from tests.support.w3c_runner import graph_data_trig, load_manifest, w3c_dir
from tests.support.zkg_testing import TEST_BASE

W3C_SOURCE = "https://github.com/w3c/rdf-tests/tree/main/sparql/sparql11"


def _server(root: Path, *, with_protocol_data: bool) -> LiveServer:
    (root / "graph").mkdir()
    (root / "ontology").mkdir()
    if with_protocol_data:
        tests = load_manifest(w3c_dir() / "protocol" / "manifest.ttl")
        (root / "graph" / "w3c-protocol.trig").write_text(graph_data_trig(tests), encoding="utf-8")
    data = root / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE, graph_dir=root / "graph", ontology_dir=root / "ontology")
    return LiveServer(data, base_iri=TEST_BASE, options=("--threads", "4"))


def write_headers(data_dir: Path) -> dict[str, str]:
    """A new write token of the server's data directory, as request headers with the source."""
    from zkg.curation import tokens

    token = tokens.create(data_dir, "w3c-test-suite", scope=tokens.WRITE)
    return {"Authorization": f"Bearer {token}", "ZKG-Source": W3C_SOURCE}


@pytest.fixture(scope="session")
def w3c_server(tmp_path_factory):
    server = _server(tmp_path_factory.mktemp("w3c"), with_protocol_data=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def w3c_update_server(tmp_path_factory):
    server = _server(tmp_path_factory.mktemp("w3c-update"), with_protocol_data=True)
    server.write_headers = write_headers(server.data_dir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def gsp_server(tmp_path_factory):
    server = _server(tmp_path_factory.mktemp("w3c-gsp"), with_protocol_data=False)
    server.write_headers = write_headers(server.data_dir)
    yield server
    server.stop()
