"""The engine profiles (zkg/store/engine_profiles.py): which engine a store is in front of,
and what its profile makes of requests and answers. Against a real Virtuoso:
tests/remote/test_virtuoso.py."""

from __future__ import annotations

import http.server

import pytest

from tests.support.stub_http import serving
from zkg.store import engine_profiles
from zkg.store.engine_profiles import OXIGRAPH, VIRTUOSO
from zkg.store.remote import RemoteStore


class _Answering(http.server.BaseHTTPRequestHandler):
    server_header = "Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu"

    def version_string(self):
        return self.server_header

    def do_GET(self):
        body = b'{"head":{"vars":["__ASK_RETVAL"]},"results":{"bindings":[]}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def engine_url():
    with serving(_Answering) as url:
        yield url + "/sparql"


def test_virtuoso_is_recognised_by_its_server_header(engine_url):
    assert engine_profiles.detect(engine_url, {}) is VIRTUOSO
    assert RemoteStore(engine_url, base_iri="http://zkg.test/").engine is VIRTUOSO


def test_another_engine_or_none_gets_the_standard_protocol(engine_url):
    _Answering.server_header = "oxigraph/0.4"
    try:
        assert engine_profiles.detect(engine_url, {}) is OXIGRAPH
    finally:
        _Answering.server_header = "Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu"
    assert engine_profiles.detect("http://127.0.0.1:9/query", {}, timeout=1) is OXIGRAPH
    given = RemoteStore("http://127.0.0.1:9/query", base_iri="http://zkg.test/", engine=VIRTUOSO)
    assert given.engine is VIRTUOSO  # given: no probe


def test_what_the_profiles_send():
    assert OXIGRAPH.encode("query", "ASK {}", [("union-default-graph", "")]) == (
        [("union-default-graph", "")],
        b"ASK {}",
        "application/sparql-query; charset=utf-8",
    )
    params, body, content_type = VIRTUOSO.encode("update", "DROP ALL", [])
    assert (params, body, content_type) == ([], b"update=DROP+ALL", "application/x-www-form-urlencoded")
    assert VIRTUOSO.accept("SELECT") == VIRTUOSO.accept("ASK") == "application/sparql-results+json"
    assert VIRTUOSO.accept("DESCRIBE") == "application/n-triples"
    assert OXIGRAPH.accept("CONSTRUCT") == OXIGRAPH.accept(None) == VIRTUOSO.accept(None) == engine_profiles.EITHER
