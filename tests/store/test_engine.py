"""RemoteStore and ManagedEngine against a real Oxigraph engine process on a temporary store."""

from __future__ import annotations

import http.server
import os
import signal
import time

import pyoxigraph as ox
import pytest

from tests.support.stub_http import serving
from zkg.base.errors import QueryError, StoreError
from zkg.store import union_graph
from zkg.store.engine_errors import shift_lines
from zkg.store.http_exchange import EngineUnavailable, QueryTimeout
from zkg.store.local import Store
from zkg.store.managed_engine import ManagedEngine, check_data_dir, cpu_seconds
from zkg.store.remote import RESULTS_JSON, RemoteStore

BASE = "http://zkg.test/"
G1, G2 = BASE + "graph/one", BASE + "graph/two"
#: A cross product the engine cannot finish, sorted: it does not cancel this one by itself.
RUNAWAY = "SELECT * { " + " ".join(f"?a{i} ?b{i} ?c{i} ." for i in range(8)) + " } ORDER BY ?a1"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("engine") / "zkg-data"
    with Store.open(data, base_iri=BASE, create=True) as store:
        store.update(f"""INSERT DATA {{
            GRAPH <{G1}> {{ id:a schema:name "A"@en ; schema:knows id:b . id:b schema:name "B" }}
            GRAPH <{G2}> {{ id:c schema:name "C" ; zkg:size 3 }}
        }}""")
        store._write_own_record(union_graph.mark({"base_iri": BASE, "files": []}))  # as zkg load writes it
    return data


@pytest.fixture(scope="module")
def engine(data_dir):
    with ManagedEngine(data_dir / "store", query_timeout=1) as running:
        yield running
    assert running.process.poll() is not None  # stopped with the context


@pytest.fixture
def remote(engine, data_dir):
    return RemoteStore(base_iri=BASE, supervisor=engine, timeout=1, data_dir=data_dir)


def names(rows, name="n"):
    return sorted(row[name].value for row in rows)


def test_query_forms(remote):
    assert names(remote.query("SELECT ?n { ?s schema:name ?n }")) == ["A", "B", "C"]
    assert bool(remote.query("ASK { id:a schema:knows id:b }")) is True
    assert isinstance(remote.query("ASK { id:b schema:knows id:a }"), ox.QueryBoolean)
    triples = list(remote.query("CONSTRUCT WHERE { id:c ?p ?o }"))
    assert len(triples) == 2 and all(isinstance(t, ox.Triple) for t in triples)
    assert len(list(remote.query("DESCRIBE id:a"))) == 2


def test_variables_and_terms_survive(remote):
    result = remote.query("SELECT ?n ?missing { id:a schema:name ?n }")
    assert [v.value for v in result.variables] == ["n", "missing"]
    (row,) = list(result)
    assert row["n"] == ox.Literal("A", language="en") and row["missing"] is None


def test_dataset_parameters(remote):
    assert names(remote.query("SELECT ?n { ?s schema:name ?n }", default_graph=[G2], named_graphs=[])) == ["C"]
    rows = remote.query("SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }", default_graph=[], named_graphs=[G1])
    assert names(rows, "g") == [G1]
    assert names(remote.query("SELECT ?n { ?s schema:name ?n }", default_graph=[], named_graphs=[])) == []
    # Without a dataset: the union of the named graphs, each name once (no switch turns it off).
    assert names(remote.query("SELECT ?n { ?s schema:name ?n }")) == ["A", "B", "C"]


def test_from_keeps_its_own_dataset(remote):
    assert names(remote.query(f"SELECT ?n FROM <{G2}> {{ ?s schema:name ?n }}")) == ["C"]


def test_syntax_error_lines_point_into_the_users_text(remote):
    with pytest.raises(QueryError) as raised:
        remote.query("SELECT ?n\nWHERE { ?s schema:name }")  # BASE and PREFIX lines were added
    assert "error at 2:" in str(raised.value)


def test_shift_lines():
    assert shift_lines("error at 5:3: expected x", 3) == "error at 2:3: expected x"
    assert shift_lines("Lexical error at line 4, column 2", 2) == "Lexical error at line 2, column 2"
    assert shift_lines("error at 1:3: in the prologue", 2) == "error at 1:3: in the prologue"


def test_store_helpers(remote):
    assert [g.value for g in remote.named_graphs()] == [G1, G2]
    assert remote.count() == 5 and remote.count(G2) == 2
    assert len(list(remote.quads(G1))) == 3
    assert remote.dump(format="nquads").count(b"\n") == 5
    assert remote.load_record["base_iri"] == BASE


def test_an_update_changes_the_version_every_process_derives_alike(remote, engine, data_dir):
    from zkg.store.version import dataset_version

    other = RemoteStore(base_iri=BASE, supervisor=engine, timeout=1, data_dir=data_dir)  # another worker
    other.session = remote.session  # zkg serve gives its workers one session
    before = dataset_version(remote).tag
    assert dataset_version(other).tag == before
    remote.update(f"INSERT DATA {{ GRAPH <{BASE}graph/three> {{ id:d schema:name 'D' }} }}")
    try:
        after = dataset_version(remote).tag
        # The write is known through the data directory's stamp, so the worker that did not
        # make it derives the same new version (one ETag for one state of the data).
        assert after != before and dataset_version(other).tag == after
        assert names(remote.query("SELECT ?n { id:d schema:name ?n }")) == ["D"]
    finally:
        remote.update(f"DROP GRAPH <{BASE}graph/three>")


def test_without_a_data_directory_the_store_counts_its_own_writes(engine):
    from zkg.store.version import dataset_version

    alone = RemoteStore(base_iri=BASE, supervisor=engine, timeout=1)
    before = dataset_version(alone).tag
    alone.update(f"INSERT DATA {{ GRAPH <{BASE}graph/four> {{ id:e schema:name 'E' }} }}")
    try:
        assert alone.writes == 1 and dataset_version(alone).tag != before
    finally:
        alone.update(f"DROP GRAPH <{BASE}graph/four>")


def test_update_refuses_load(remote):
    with pytest.raises(QueryError, match="LOAD"):
        remote.update("LOAD <http://127.0.0.1:9/data.ttl>")


def test_time_limit_stops_the_work_and_frees_the_cpu(engine, remote):
    restarts = engine.restarts
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="time limit of 1 s"):
        list(remote.query(RUNAWAY))
    assert time.monotonic() - started < 3.0
    # The engine had not begun to answer: it was stuck in work it does not cancel, so the
    # supervisor replaced it (within its 0.5 s watch period).
    deadline = time.monotonic() + 10
    while engine.restarts == restarts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.restarts == restarts + 1
    assert engine.wait_ready(10)
    before = cpu_seconds(engine.pid)
    time.sleep(1.0)
    assert cpu_seconds(engine.pid) - before < 0.2, "the engine kept working after the time limit"
    assert bool(remote.query("ASK { ?s ?p ?o }")) is True  # and it answers again


def test_a_stream_past_the_limit_is_cut_and_stops(engine, remote):
    """An answer that began but streams past the limit: dropping the connection stops the
    engine's work, so the CPU check finds it idle and no restart is needed."""
    streaming = "SELECT * { " + " ".join(f"?a{i} ?b{i} ?c{i} ." for i in range(8)) + " }"
    engine.wait_ready(10)
    restarts = engine.restarts
    with pytest.raises(QueryTimeout):
        for _row in remote.query(streaming):
            pass
    time.sleep(2.0)  # the supervisor's CPU check
    assert engine.restarts == restarts
    before = cpu_seconds(engine.pid)
    time.sleep(1.0)
    assert cpu_seconds(engine.pid) - before < 0.2


def test_an_engine_that_dies_is_restarted(engine, remote):
    old = engine.pid
    restarts = engine.restarts
    os.kill(old, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while (engine.restarts == restarts or not engine.wait_ready(0.1)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert engine.pid != old
    assert names(remote.query("SELECT ?n { ?s schema:name ?n }")) == ["A", "B", "C"]


def test_a_second_engine_on_the_same_store_says_why(engine, data_dir):
    with pytest.raises(StoreError, match="in use by another process"):
        ManagedEngine(data_dir / "store", query_timeout=1, startup_timeout=10).start()


def test_check_data_dir(tmp_path, data_dir):
    with pytest.raises(StoreError, match="run `zkg load` first"):
        check_data_dir(tmp_path, BASE)
    with pytest.raises(StoreError, match="loaded with base IRI http://zkg.test/"):
        check_data_dir(data_dir, "http://other.example/")
    assert check_data_dir(data_dir, BASE) == data_dir / "store"


# -- answers that end early, from a real (if tiny) server on loopback ------------------------------


class _Cut(http.server.BaseHTTPRequestHandler):
    body = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"uri","value":"http://a"}},'
    delay = 0.0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(self.delay)
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def cutting_server():
    with serving(_Cut) as url:
        yield url + "/query"


def test_a_cut_answer_is_never_a_result(cutting_server):
    store = RemoteStore(cutting_server, base_iri=BASE, timeout=5)
    with pytest.raises(EngineUnavailable, match="cut short"):
        list(store.query("SELECT ?x {}"))


def test_a_cut_answer_near_the_limit_is_a_timeout(cutting_server):
    _Cut.delay = 0.5
    try:
        store = RemoteStore(cutting_server, base_iri=BASE, timeout=0.5)
        with pytest.raises(QueryTimeout):
            list(store.query("SELECT ?x {}"))
    finally:
        _Cut.delay = 0.0


def test_an_engine_that_is_not_there():
    store = RemoteStore("http://127.0.0.1:9/query", base_iri=BASE, timeout=1)
    with pytest.raises(EngineUnavailable, match="not answering"):
        store.query("ASK {}")


def test_the_app_on_a_remote_engine(engine, tmp_path):
    """ZKG_STORE=sparql+http://…: the web app in front of an engine it does not run."""
    from zkg.base.settings import Settings
    from zkg.web import create_app

    settings = Settings.from_env(environ={}, base_iri=BASE, data=tmp_path, query_timeout=1)
    app = create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": "sparql+" + engine.query_url})
    client = app.test_client()
    response = client.get("/sparql", query_string={"query": "SELECT ?n { ?s schema:name ?n } ORDER BY ?n"})
    assert [b["n"]["value"] for b in response.json["results"]["bindings"]] == ["A", "B", "C"]
    response = client.get("/sparql", query_string={"query": RUNAWAY})
    assert response.status_code == 503 and "time limit of 1 s" in response.get_data(as_text=True)
    engine.wait_ready(10)


# -- unknown extension functions, and what each kind of engine error becomes -------------------------


def test_an_unknown_extension_function_leaves_its_variable_unbound(remote):
    # Oxigraph refuses such a query outright; SPARQL makes the call an error of its expression.
    rows = list(remote.query("SELECT ?x ?y WHERE { BIND(<http://example.org/f>(1) AS ?x) BIND(2 AS ?y) }"))
    assert [(row["x"], row["y"].value) for row in rows] == [(None, "2")]
    assert not bool(remote.query("ASK { FILTER(<http://example.org/f>(1)) }"))


class _Engine(http.server.BaseHTTPRequestHandler):
    """An engine that answers each query with the next of ``answers`` (status, text),
    and keeps the queries it was sent."""

    protocol_version = "HTTP/1.1"  # kept-alive connections, as Oxigraph's
    answers: list[tuple[int, str]] = []
    received: list[str] = []

    def do_POST(self):
        self.received.append(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        status, text = self.answers.pop(0)
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", RESULTS_JSON if status == 200 else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _ClosingEngine(_Engine):
    protocol_version = "HTTP/1.0"  # the connection closes after each answer


@pytest.fixture(params=[_Engine])
def fake_engine(request):
    _Engine.received = []
    with serving(request.param) as url:
        yield url + "/query"


EMPTY_ANSWER = '{"head":{"vars":["x"]},"results":{"bindings":[{}]}}'


def test_the_query_is_sent_again_with_the_calls_as_errors(fake_engine):
    _Engine.answers = [(500, "The custom function <http://example.org/f> is not supported"), (200, EMPTY_ANSWER)]
    store = RemoteStore(fake_engine, base_iri=BASE, timeout=5)
    rows = list(store.query("SELECT ?x WHERE { ?s <http://example.org/f> (1) BIND(<http://example.org/f>(?s) AS ?x) }"))
    assert [row["x"] for row in rows] == [None]
    first, second = _Engine.received
    assert "BIND(<http://example.org/f>(?s) AS ?x)" in first
    assert "?s <http://example.org/f> (1) BIND((1/0) AS ?x)" in second  # the collection stays


@pytest.mark.parametrize(
    ("status", "text", "error", "http_status"),
    [
        (400, "error at 1:8: expected one of SELECT", QueryError, 400),
        # Named by the engine, but not called in the query: the query's doing (it said "timeout"
        # only inside the IRI: no time limit was reached).
        (500, "The custom function <http://example.org/timeout> is not supported", QueryError, 400),
        (500, "Query cancelled", QueryTimeout, 503),
        (500, "Virtuoso S1T00 Error SR171: Transaction timed out", QueryTimeout, 503),
        (503, "Service Unavailable", QueryTimeout, 503),
        (
            500,
            "IO error: While open a file for random read: /data/000123.sst: No such file or directory",
            EngineUnavailable,
            503,
        ),
        (500, "Corruption: block checksum mismatch in <http://example.org/timeout>", EngineUnavailable, 503),
    ],
)
def test_engine_errors_keep_their_meaning(fake_engine, status, text, error, http_status):
    _Engine.answers = [(status, text)]
    store = RemoteStore(fake_engine, base_iri=BASE, timeout=5)
    with pytest.raises(error) as raised:
        list(store.query("SELECT * WHERE { ?s <http://example.org/timeout> (1) }"))
    assert raised.value.http_status == http_status
    if error is QueryTimeout:
        assert "time limit of 5 s" in raised.value.message


@pytest.mark.parametrize("fake_engine", [_ClosingEngine], indirect=True)
def test_an_engine_that_closes_the_connection_after_its_answer(fake_engine):
    _Engine.answers = [(200, EMPTY_ANSWER), (500, "Query cancelled")]
    store = RemoteStore(fake_engine, base_iri=BASE, timeout=5)
    assert [row["x"] for row in store.query("SELECT ?x {}")] == [None]
    with pytest.raises(QueryTimeout):
        store.query("SELECT ?x {}")
