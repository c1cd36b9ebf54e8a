"""A real `zkg serve` on loopback (the session's live_server): clients researchers use, the
time limit, the row cap, refusals that must not reach the network, CORS and size limits."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, JSONLD, POST, TURTLE, XML, SPARQLWrapper

from tests.support.live_server import ZKG, zkg_env
from tests.support.web_testing import LIVE_MAX_REQUEST_BYTES, LIVE_QUERY_TIMEOUT, LIVE_ROW_LIMIT
from tests.support.zkg_testing import TEST_BASE
from zkg.store.managed_engine import cpu_seconds

ZPARK = "SELECT ?name { ?org schema:name ?name } ORDER BY ?name LIMIT 5"
#: A cross product the engine cannot finish in time.
RUNAWAY = "SELECT * { " + " ".join(f"?a{i} ?b{i} ?c{i} ." for i in range(6)) + " } ORDER BY ?a1 ?c5"


def http(url, *, data=None, headers=None, method=None):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def get(server, query, **params):
    return http(server.sparql + "?" + urllib.parse.urlencode({"query": query, **params}))


# -- clients ---------------------------------------------------------------------------------------


def test_sparqlwrapper_every_query_form(live_server):
    client = SPARQLWrapper(live_server.sparql)
    client.setQuery(ZPARK)
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert len(rows) == 5

    client.setReturnFormat(XML)  # SPARQLWrapper's default format, as a DOM
    assert len(client.query().convert().getElementsByTagName("result")) == 5

    client.setMethod(POST)
    client.setReturnFormat(JSON)
    client.setQuery("ASK { ?s a ?type }")
    assert client.query().convert()["boolean"] is True

    client.setQuery("CONSTRUCT WHERE { ?s schema:name ?n } LIMIT 3")
    for fmt in (TURTLE, XML, JSONLD):
        client.setReturnFormat(fmt)
        converted = client.query().convert()
        graph = converted if isinstance(converted, Graph) else Graph().parse(data=converted, format="turtle")
        assert len(graph) == 3, fmt

    client.setReturnFormat(XML)
    client.setQuery("DESCRIBE ?s WHERE { ?s schema:name ?n } LIMIT 1")
    assert len(client.query().convert()) > 0


def test_rdflib_sparqlstore_every_query_form(live_server):
    # rdflib's default: it accepts SPARQL XML or RDF/XML for every form. (With returnFormat
    # "json" it asks CONSTRUCT for SPARQL JSON too, and gets a 406 listing the graph formats.)
    graph = Graph(SPARQLStore(query_endpoint=live_server.sparql))
    rows = list(graph.query("SELECT ?name { ?org <https://schema.org/name> ?name } LIMIT 5"))
    assert len(rows) == 5
    assert graph.query("ASK { ?s ?p ?o }").askAnswer is True
    constructed = graph.query("CONSTRUCT WHERE { ?s <https://schema.org/name> ?n } LIMIT 4").graph
    assert len(constructed) == 4
    subject = next(iter(constructed))[0]
    described = graph.query(f"DESCRIBE <{subject}>").graph
    assert (subject, None, None) in described
    assert isinstance(subject, URIRef) and str(subject).startswith(TEST_BASE)


# -- the time limit --------------------------------------------------------------------------------


def _settled_engine(server, timeout=15.0) -> int:
    """The engine's pid once exactly one engine runs and answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        engines = server.engine_pids()
        if len(engines) == 1 and get(server, "ASK {}")[0] == 200 and server.engine_pids() == engines:
            return engines[0]
        time.sleep(0.1)
    raise AssertionError(f"no single answering engine: {server.engine_pids()}")


def test_time_limit_answers_503_and_frees_the_cpu(live_server):
    before = _settled_engine(live_server)
    started = time.monotonic()
    status, headers, body = get(live_server, RUNAWAY)
    elapsed = time.monotonic() - started
    assert status == 503, body
    assert f"time limit of {LIVE_QUERY_TIMEOUT} s" in body.decode() and "ZKG_QUERY_TIMEOUT" in body.decode()
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert elapsed < LIVE_QUERY_TIMEOUT + 3, elapsed
    time.sleep(1.0)  # the supervisor's check, and a restart if one is needed
    after = _settled_engine(live_server)
    if after != before:
        assert cpu_seconds(before) == 0.0, "the replaced engine is still running"
    spent = cpu_seconds(after)
    time.sleep(1.0)
    assert cpu_seconds(after) - spent < 0.2, "the engine kept working after the time limit"
    assert get(live_server, ZPARK)[0] == 200


def test_other_queries_survive_a_runaway_one(live_server):
    _settled_engine(live_server)
    statuses: list[int] = []

    def one(query):
        statuses.append(get(live_server, query)[0])

    runaway = threading.Thread(target=one, args=(RUNAWAY,))
    runaway.start()
    time.sleep(0.2)
    normal = [threading.Thread(target=one, args=(ZPARK,)) for _ in range(6)]
    for thread in normal:
        thread.start()
        time.sleep(0.3)  # spread over the time limit and the restart
    for thread in [runaway, *normal]:
        thread.join(60)
    assert sorted(statuses) == [200] * 6 + [503]


# -- the row cap -----------------------------------------------------------------------------------


def test_row_cap_on_the_live_server(live_server):
    status, headers, body = get(live_server, "SELECT * { ?s ?p ?o }")
    assert status == 200
    assert headers["ZKG-Results-Truncated"] == f"limit={LIVE_ROW_LIMIT}"
    document = json.loads(body)
    assert len(document["results"]["bindings"]) == LIVE_ROW_LIMIT and document["truncated"]["limit"] == LIVE_ROW_LIMIT
    status, headers, body = get(live_server, "SELECT * { ?s ?p ?o }", format="tsv")
    assert headers["ZKG-Results-Truncated"] == f"limit={LIVE_ROW_LIMIT}"
    assert len(body.decode().splitlines()) == LIVE_ROW_LIMIT + 1


def test_a_streaming_cross_join_is_capped_not_timed_out(live_server):
    status, headers, body = get(live_server, "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    assert status == 200 and headers["ZKG-Results-Truncated"] == f"limit={LIVE_ROW_LIMIT}"


# -- no outbound requests --------------------------------------------------------------------------


@pytest.fixture
def listener():
    """A loopback TCP listener that counts the connections it gets (it must get none)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    accepted = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _address = server.accept()
            except OSError:
                continue
            accepted.append(connection)
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    stop.set()
    thread.join(2)
    server.close()


def test_outbound_queries_are_refused_and_nothing_is_fetched(live_server, listener):
    target, accepted = listener
    queries = [
        f"SELECT * {{ SERVICE <{target}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?x ?y ?z OPTIONAL {{ SERVICE SILENT <{target}/sparql> {{ ?s ?p ?o }} }} }}",
        f"SELECT * FROM <{target}/data.ttl> {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{target}/data.ttl> {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} FROM <{target}/data.ttl> WHERE {{ ?s ?p ?o }}",
    ]
    for query in queries:
        status, _headers, body = get(live_server, query)
        assert status == 400, (query, body)
        assert b"not allowed" in body or b"names no graph of this dataset" in body
    for update in (f"LOAD <{target}/data.ttl>", f"LOAD <{target}/data.ttl> INTO GRAPH <{target}/g>"):
        status, _headers, body = http(
            live_server.sparql,
            data=urllib.parse.urlencode({"update": update}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 400, body
        status, _headers, body = http(
            live_server.sparql, data=update.encode(), headers={"Content-Type": "application/sparql-update"}
        )
        assert status == 400, body
    time.sleep(0.3)
    assert accepted == [], "the server connected to the listener"


# -- CORS and size -----------------------------------------------------------------------------------


def test_cors_preflight_on_the_live_server(live_server):
    status, headers, _body = http(
        live_server.sparql,
        method="OPTIONS",
        headers={
            "Origin": "https://notebook.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert status == 204 and headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"]


def test_request_size_limit_on_the_live_server(live_server):
    big = "ASK {} #" + "x" * LIVE_MAX_REQUEST_BYTES
    status, _headers, body = http(
        live_server.sparql, data=big.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    assert status == 413 and str(LIVE_MAX_REQUEST_BYTES).encode() in body
    assert get(live_server, big)[0] == 413


# -- zkg serve's own errors ----------------------------------------------------------------------------


def serve(*args, timeout=60):
    return subprocess.run([*ZKG, "serve", *args], env=zkg_env(), capture_output=True, text=True, timeout=timeout)


def test_serve_without_a_store(tmp_path):
    done = serve("--data", str(tmp_path / "nothing"), "--port", "0")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"zkg: error: no store at {tmp_path / 'nothing'}: run `zkg load` first"]


def test_serve_on_a_port_in_use(live_server):
    port = urllib.parse.urlsplit(live_server.url).port
    done = serve("--data", str(live_server.data_dir), "--base-iri", TEST_BASE, "--port", str(port))
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"zkg: error: cannot listen on 127.0.0.1:{port}: the port is in use")


def test_serve_on_a_store_in_use(live_server):
    done = serve("--data", str(live_server.data_dir), "--base-iri", TEST_BASE, "--port", "0", "--behind-proxy")
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert "in use by another process" in line


def test_ctrl_c_stops_server_and_engine(tmp_path):
    from tests.support.live_server import LiveServer, _state, zkg_load
    from tests.support.zkg_testing import FIXTURE_PROJECT

    data = tmp_path / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE, graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    server = LiveServer(data, base_iri=TEST_BASE)
    engine = _settled_engine(server)
    server.process.send_signal(signal.SIGINT)  # what Ctrl-C sends to the foreground process
    assert server.process.wait(timeout=20) == 0
    assert "zkg: stopped" in server.process.stdout.read()
    server.stop()
    deadline = time.monotonic() + 5
    while _state(engine) not in ("gone", "Z") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _state(engine) in ("gone", "Z"), "the engine outlived zkg serve"


def test_ctrl_c_stops_a_server_started_with_sigint_ignored(tmp_path):
    """A shell running a script's background job starts it with SIGINT ignored, and Python
    then makes no KeyboardInterrupt of it: zkg serve asks for SIGINT itself (it is its
    documented way to stop), so such a server stops too and takes its engine with it."""
    import sys
    from pathlib import Path

    from tests.support.live_server import LiveServer, _state, zkg_load
    from tests.support.zkg_testing import FIXTURE_PROJECT

    data = tmp_path / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE, graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    ignoring = (
        sys.executable,
        "-c",
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); os.execvp(sys.argv[1], sys.argv[1:])",
    )
    server = LiveServer(data, base_iri=TEST_BASE, prefix=ignoring)
    engine = _settled_engine(server)
    ignored = int(re.search(r"SigIgn:\s+([0-9a-f]+)", Path(f"/proc/{server.pid}/status").read_text()).group(1), 16)
    assert not ignored & (1 << (signal.SIGINT - 1)), "zkg serve still ignores SIGINT"
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=20) == 0
    server.stop()
    deadline = time.monotonic() + 5
    while _state(engine) not in ("gone", "Z") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _state(engine) in ("gone", "Z"), "the engine outlived zkg serve"


def test_the_engine_dies_with_a_killed_server(tmp_path):
    from tests.support.live_server import LiveServer, _state, zkg_load
    from tests.support.zkg_testing import FIXTURE_PROJECT

    data = tmp_path / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE, graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    server = LiveServer(data, base_iri=TEST_BASE)
    engine = _settled_engine(server)
    server.process.kill()  # SIGKILL: no handler runs; the kernel's parent-death signal does it
    server.process.wait(timeout=10)
    deadline = time.monotonic() + 5
    while _state(engine) not in ("gone", "Z") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _state(engine) in ("gone", "Z"), "the engine outlived a killed zkg serve"
    server.stop()
