"""Bounded cost under abuse, against a real ``zkg serve`` (waitress, worker processes, the
managed Oxigraph engine): issue 7, item 4, and item 2's size limit.

- **rate limit**: past ``ZKG_RATE_LIMIT`` a client gets 429 with a readable body and a
  ``Retry-After`` that works; it is keyed by client address (127.0.0.2 is another client on
  loopback) and shared by the worker processes (:mod:`zkg.serve.rate_table`);
- **uploads**: a body past ``ZKG_MAX_REQUEST_BYTES`` to /sparql or /graph-store is 413 as soon
  as its headers are in (a 2 GB ``Content-Length`` with a kilobyte sent) or a chunked body
  passes the limit, never waiting for the rest; nothing is stored (:mod:`zkg.serve.http_server`);
- **runaway queries** (a cross join, a property-path explosion, a huge ORDER BY): 503 naming
  the limit, and the CPU is freed: the server's processes go idle;
- **client disconnect**: a client that closes its connection mid-query stops the work long
  before the 30 s time limit, and the next query is answered (:data:`zkg.store.remote.client_gone`);
- **row cap**: signalled in the headers and, where the format has room, in the results.

CPU is measured from /proc over all the server's processes (parent, workers, engine): a
window of :data:`WINDOW` seconds must average under :data:`IDLE_SHARE` of one core, polled
until a generous deadline, so that a loaded machine delays the test rather than failing it.
(An idle server uses next to nothing; a runaway engine on a loaded 2-core machine was
measured at 0.4-0.6 of a core: half a core would not tell them apart.)
Four servers are started; about 30-40 s in all.
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import threading
import time
import urllib.parse

import pytest
import requests

from tests.support.live_server import LiveServer, children, zkg_load
from tests.support.zkg_testing import TEST_BASE
from zkg.curation import tokens
from zkg.store.managed_engine import cpu_seconds

pytestmark = pytest.mark.slow

ROW_LIMIT = 100
MAX_BYTES = 50_000
QUERY_TIMEOUT = 1
#: CPU: a window this long must average under this share of one core...
WINDOW = 2.0
IDLE_SHARE = 0.15
#: ...before this many seconds have passed.
IDLE_DEADLINE = 25.0

#: Work the engine cannot finish: it does not stream (one row, or sorted rows), so the row
#: cap cannot end it early.
CROSS_JOIN = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
#: ``?a (<p>|^<p>)* ?b`` for every predicate p (a negated set naming none): every pair of
#: connected nodes of the whole graph, each found by a walk over the graph.
PATH_EXPLOSION = "SELECT (COUNT(*) AS ?n) { ?a (!<urn:x-zkg:none>|^!<urn:x-zkg:none>)* ?b }"
#: Sorting a cross product: the engine does not cancel it, zkg's supervisor must stop it.
HUGE_ORDER_BY = "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"
SMALL = "SELECT ?name { ?org schema:name ?name } ORDER BY ?name LIMIT 3"
GRAPH = "http://example.org/graphs/abuse-test"
SOURCE = "https://example.org/abuse-test-source"


# -- servers and measurements ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A data directory loaded from the project's graph/, with a write token; each server
    gets a copy (one engine per store)."""
    template = tmp_path_factory.mktemp("abuse-template") / "zkg-data"
    zkg_load(template, base_iri=TEST_BASE)
    token = tokens.create(template, "abuse", scope=tokens.WRITE)

    def copy(name: str):
        data = tmp_path_factory.mktemp(name) / "zkg-data"
        shutil.copytree(template, data)
        return data, token

    return copy


def _start(data, options, env=None) -> LiveServer:
    server = LiveServer(data, base_iri=TEST_BASE, options=options, env={"ZKG_RATE_LIMIT": "0", **(env or {})})
    deadline = time.monotonic() + 60  # the workers start after the "serving" line
    while True:
        try:
            if requests.get(server.sparql, params={"query": "ASK {}"}, timeout=10).status_code == 200:
                return server
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise AssertionError("the live server does not answer")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def server(loaded):
    """Two workers, a 1 s time limit, a 100-row cap, a 50 kB size limit, no rate limit."""
    data, token = loaded("abuse")
    live = _start(
        data,
        (
            "--workers",
            "2",
            "--threads",
            "4",
            "--query-timeout",
            str(QUERY_TIMEOUT),
            "--row-limit",
            str(ROW_LIMIT),
            "--max-request-bytes",
            str(MAX_BYTES),
        ),
    )
    live.token = token
    yield live
    live.stop()
    _assert_no_traceback(live)


def _assert_no_traceback(live: LiveServer) -> None:
    log = live.log_path.read_text(encoding="utf-8")
    assert "Traceback" not in log, log[-3000:]


def _processes(root: int) -> list[int]:
    found, todo = [root], [root]
    while todo:
        for pid, _name in children(todo.pop()):
            found.append(pid)
            todo.append(pid)
    return found


def _cpu_share(server: LiveServer, seconds: float) -> float:
    """Cores the server's processes used on average over ``seconds`` (a process started in
    between counts with all its time)."""
    before = {pid: cpu_seconds(pid) for pid in _processes(server.pid)}
    time.sleep(seconds)
    spent = 0.0
    for pid in _processes(server.pid):
        now = cpu_seconds(pid)
        spent += max(0.0, now - before.get(pid, 0.0))
    return spent / seconds


def assert_goes_idle(server: LiveServer, started: float, what: str) -> float:
    """Poll windows until one averages under IDLE_SHARE; fail at IDLE_DEADLINE after ``started``."""
    shares = []
    while True:
        shares.append(_cpu_share(server, WINDOW))
        if shares[-1] < IDLE_SHARE:
            return time.monotonic() - started
        if time.monotonic() - started > IDLE_DEADLINE:
            raise AssertionError(
                f"{what}: the server kept working; cores used per {WINDOW} s window: {[round(s, 2) for s in shares]}"
            )


def get(server: LiveServer, query: str, *, timeout: float = 30, **headers) -> requests.Response:
    return requests.get(server.sparql, params={"query": query}, headers=headers, timeout=timeout)


def raw_request(server: LiveServer, head: str, pieces=(), *, timeout: float = 20) -> tuple[int, bytes]:
    """Send ``head`` then ``pieces`` on a fresh connection, stopping when the server no longer
    takes them; read the answer. The socket timeout is the proof that the server answered
    without waiting for a body that never comes (its own timeout is 120 s)."""
    host, port = urllib.parse.urlsplit(server.url).netloc.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head.encode("latin-1"))
        for piece in pieces:
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break  # refused and closed: what the server had to say is in the socket
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass  # the server closed with our unread body in its buffer; its answer came first
        except socket.timeout:
            raise AssertionError(f"no answer within {timeout} s: the server waits for the body") from None
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 "), answer[:200]
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def quad_count(server: LiveServer) -> int:
    query = "SELECT (COUNT(*) AS ?n) { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    response = get(server, query, Accept="application/sparql-results+json")
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


# -- uploads past the size limit -------------------------------------------------------------------

TURTLE = f'<{TEST_BASE}id/abuse-test> <http://www.w3.org/2000/01/rdf-schema#comment> "posted" .\n'
UPLOADS = {
    "query": ("POST /sparql", "application/sparql-query", "ASK {}\n"),
    "update": (
        "POST /sparql",
        "application/sparql-update",
        f"INSERT DATA {{ GRAPH <{GRAPH}> {{ {TURTLE.strip()[:-1]} }} }}\n",
    ),
    "graph-store": (f"PUT /graph-store?graph={urllib.parse.quote(GRAPH, safe='')}", "text/turtle", TURTLE),
}


def _head(server, target: str, media_type: str, framing: str) -> str:
    return (
        f"{target} HTTP/1.1\r\nHost: {urllib.parse.urlsplit(server.url).netloc}\r\n"
        f"Content-Type: {media_type}\r\nAuthorization: Bearer {server.token}\r\nZKG-Source: {SOURCE}\r\n"
        f"Connection: close\r\n{framing}\r\n\r\n"
    )


def _padded(text: str, size: int) -> bytes:
    return (text + "#" * size)[:size].encode() if size > len(text) else text.encode()


@pytest.mark.parametrize("kind", UPLOADS)
def test_bodies_past_the_limit_are_413_before_they_are_read_and_nothing_is_stored(server, kind):
    target, media_type, text = UPLOADS[kind]
    before = quad_count(server)
    limit_note = f"limit of {MAX_BYTES} bytes (ZKG_MAX_REQUEST_BYTES)".encode()

    # 2 GB announced, a kilobyte sent: refused at the headers, no waiting for the rest.
    status, body = raw_request(
        server, _head(server, target, media_type, "Content-Length: 2000000000"), [_padded(text, 1024)]
    )
    assert status == 413 and limit_note in body, body
    # Chunked: refused once the body passes the limit (the client could go on for ever).
    chunk = b"x" * 8192
    framed = [f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"] * (2 * MAX_BYTES // len(chunk) + 2)
    status, body = raw_request(server, _head(server, target, media_type, "Transfer-Encoding: chunked"), framed)
    assert status == 413 and limit_note in body, body
    # One byte past the limit, all of it sent.
    status, body = raw_request(
        server, _head(server, target, media_type, f"Content-Length: {MAX_BYTES + 1}"), [_padded(text, MAX_BYTES + 1)]
    )
    assert status == 413 and limit_note in body, body

    assert quad_count(server) == before
    assert requests.get(server.url + "graph-store", params={"graph": GRAPH}, timeout=30).status_code == 404
    # The same request within the limit is taken (so the refusals above were the size's).
    status, body = raw_request(
        server, _head(server, target, media_type, f"Content-Length: {MAX_BYTES}"), [_padded(text, MAX_BYTES)]
    )
    assert status in (200, 201, 204), body
    if kind != "query":  # (a changeset also records who, when and from what source)
        assert quad_count(server) > before
        assert requests.get(server.url + "graph-store", params={"graph": GRAPH}, timeout=30).status_code == 200
        deleted = requests.delete(
            server.url + "graph-store",
            params={"graph": GRAPH},
            timeout=30,
            headers={"Authorization": f"Bearer {server.token}", "ZKG-Source": SOURCE},
        )
        assert deleted.status_code == 204, deleted.text


# -- runaway queries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", [CROSS_JOIN, PATH_EXPLOSION, HUGE_ORDER_BY], ids=["cross-join", "path-explosion", "huge-order-by"]
)
def test_runaway_queries_answer_503_and_free_the_cpu(server, query):
    started = time.monotonic()
    response = get(server, query, Accept="application/sparql-results+json")
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.text[:300]
    assert f"time limit of {QUERY_TIMEOUT} s" in response.text and "ZKG_QUERY_TIMEOUT" in response.text
    assert response.headers["Retry-After"]
    # The limit, the engine's grace (0.5 s), and room for a loaded machine and an engine restart.
    assert elapsed < QUERY_TIMEOUT + 10, elapsed
    assert_goes_idle(server, time.monotonic(), f"after a runaway {query!r}")
    small = get(server, SMALL)
    assert small.status_code == 200, small.text[:300]


# -- the row cap -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept",
    ["application/sparql-results+json", "application/sparql-results+xml", "text/tab-separated-values", "text/csv"],
)
def test_the_row_cap_is_signalled(server, accept):
    response = get(server, "SELECT * { ?s ?p ?o }", Accept=accept)
    assert response.status_code == 200
    assert response.headers["ZKG-Results-Truncated"] == f"limit={ROW_LIMIT}"
    assert "row limit" in response.headers["Warning"] and 'rel="describedby"' in response.headers["Link"]
    text = response.text
    if accept.endswith("json"):
        document = json.loads(text)
        assert len(document["results"]["bindings"]) == ROW_LIMIT and document["truncated"]["limit"] == ROW_LIMIT
    elif accept.endswith("xml"):
        assert text.count("<result>") == ROW_LIMIT and "results truncated" in text
    else:
        assert len(text.strip().splitlines()) == ROW_LIMIT + 1  # and the header line


def test_the_row_cap_on_graphs_and_exactly_at_the_limit(server):
    response = get(server, "CONSTRUCT WHERE { ?s ?p ?o }", Accept="application/n-triples")
    assert response.headers["ZKG-Results-Truncated"] == f"limit={ROW_LIMIT}"
    lines = response.text.splitlines()
    assert lines[0].startswith("# results truncated") and sum(line.endswith(" .") for line in lines) == ROW_LIMIT
    # Exactly the limit is a whole answer: not marked. One more is.
    whole = get(server, f"SELECT * {{ ?s ?p ?o }} LIMIT {ROW_LIMIT}", Accept="application/sparql-results+json")
    assert "ZKG-Results-Truncated" not in whole.headers and "truncated" not in whole.json()
    assert len(whole.json()["results"]["bindings"]) == ROW_LIMIT
    capped = get(server, f"SELECT * {{ ?s ?p ?o }} LIMIT {ROW_LIMIT + 1}", Accept="application/sparql-results+json")
    assert capped.headers["ZKG-Results-Truncated"] == f"limit={ROW_LIMIT}"


# -- client disconnect -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "workers, query", [(1, HUGE_ORDER_BY), (2, PATH_EXPLOSION)], ids=["one-process-order-by", "two-workers-path"]
)
def test_a_client_that_disconnects_stops_its_query(loaded, workers, query):
    """The engine does not notice a dropped client while it sorts or counts (it only would when
    it next writes): zkg must, and stop the work, far sooner than the 30 s limit."""
    data, _token = loaded(f"disconnect-{workers}")
    live = _start(data, ("--workers", str(workers), "--threads", "4", "--query-timeout", "30"))
    try:
        host, port = urllib.parse.urlsplit(live.url).netloc.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            target = "/sparql?" + urllib.parse.urlencode({"query": query})
            sock.sendall(
                f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Accept: application/sparql-results+json\r\n\r\n".encode()
            )
            time.sleep(0.5)
            busy = _cpu_share(live, 0.5)
        left = time.monotonic()  # the socket is closed: the client has gone
        assert busy > IDLE_SHARE, f"the query was not running when the client left ({busy:.2f} cores)"
        took = assert_goes_idle(live, left, "after the client left")
        assert took < 20, took  # well before the 30 s time limit
        started = time.monotonic()
        assert get(live, SMALL, timeout=20).status_code == 200
        assert time.monotonic() - started < 10
    finally:
        live.stop()
    _assert_no_traceback(live)


# -- the rate limit --------------------------------------------------------------------------------

PER_MINUTE = 60


def _status_from(server: LiveServer, source: str) -> http.client.HTTPResponse:
    host, port = urllib.parse.urlsplit(server.url).netloc.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(source, 0))
    try:
        connection.request("GET", "/sparql?query=ASK%7B%7D")
        response = connection.getresponse()
        response.body = response.read()
        return response
    finally:
        connection.close()


def test_the_rate_limit_is_per_client_shared_by_the_workers_and_lifts(loaded):
    data, _token = loaded("rate")
    live = _start(data, ("--workers", "2", "--threads", "2"), env={"ZKG_RATE_LIMIT": str(PER_MINUTE)})
    try:
        started = time.monotonic()
        # A new connection each time: the kernel hands them to either worker.
        answers = [_status_from(live, "127.0.0.1") for _ in range(2 * PER_MINUTE)]
        elapsed = time.monotonic() - started
        statuses = [a.status for a in answers]
        granted = statuses.count(200)
        # The first minute's worth is served (minus the requests of _start's readiness check)...
        assert statuses[: PER_MINUTE - 2] == [200] * (PER_MINUTE - 2), statuses
        # ...and then no more than what refills meanwhile (one a second): one count for both
        # workers (counting apart, each would grant its own minute's worth).
        assert granted <= PER_MINUTE + elapsed * PER_MINUTE / 60 + 1, (granted, elapsed)
        refused = [a for a in answers if a.status == 429]
        assert len(refused) + granted == len(answers), statuses
        retry_after = int(refused[-1].getheader("Retry-After"))
        assert 1 <= retry_after <= 60
        assert b"ZKG_RATE_LIMIT" in refused[-1].body and f"{PER_MINUTE} requests a minute".encode() in refused[-1].body
        # Another address (loopback has all of 127/8) is another client.
        assert _status_from(live, "127.0.0.2").status == 200
        assert _status_from(live, "127.0.0.1").status == 429
        # Retry-After means it: after it, the client is served again.
        time.sleep(retry_after + 0.2)
        assert _status_from(live, "127.0.0.1").status == 200
    finally:
        live.stop()


# -- the pieces, in process ------------------------------------------------------------------------


def test_the_shared_rate_table_is_one_count_for_all_its_users(tmp_path):
    from zkg.serve.rate_table import SharedRateLimiter, create_table

    clock = [1000.0]
    path = tmp_path / "serve-rate"
    create_table(path)
    # Two limiters on one table: two worker processes (each opens the file on its own).
    first, second = (SharedRateLimiter(path, 6, clock=lambda: clock[0]) for _ in range(2))
    waits = [(first if i % 2 else second).take("198.51.100.7") for i in range(8)]
    assert waits[:6] == [0.0] * 6 and all(w > 0 for w in waits[6:])
    assert first.take("198.51.100.8") == 0.0  # another client
    clock[0] += 10.0  # a token every 10 s
    assert second.take("198.51.100.7") == 0.0 and first.take("198.51.100.7") > 0
    for n in range(20_000):  # many clients: buckets are reused, nothing breaks
        first.take(f"10.0.{n // 256}.{n % 256}")
    assert first.take("198.51.100.9") == 0.0
    first.close()
    second.close()


def test_the_client_watch_holds_the_disconnect_check_for_the_request_only():
    from zkg.serve.http_server import ClientWatch
    from zkg.store.remote import client_gone

    seen, closed = [], []

    def app(environ, start_response):
        seen.append(client_gone.get())
        start_response("200 OK", [])

        def body():
            try:
                seen.append(client_gone.get())
                yield b"x"
                yield b"y"
            finally:
                closed.append(True)  # where a streamed answer would close its engine exchange

        return body()

    watched = ClientWatch(app)
    check = lambda: False  # noqa: E731
    body = watched({"waitress.client_disconnected": check}, lambda *a: None)
    assert next(iter(body)) == b"x"
    body.close()  # the server closes a body whose client went away, mid-way
    assert seen == [check, check] and closed == [True] and client_gone.get() is None
    assert list(watched({}, lambda *a: None)) == [b"x", b"y"] and seen[-1] is None  # no such key: not watched


class _SilentEngine:
    """A loopback "engine" that takes requests and answers only when told."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(10)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def take_request(self) -> socket.socket:
        connection, _address = self.listener.accept()
        connection.settimeout(10)
        received = b""
        while b"\r\n\r\n" not in received:
            received += connection.recv(65536)
        head, _, body = received.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            body += connection.recv(65536)
        return connection


def _in_thread(call, gone):
    from zkg.store.remote import client_gone

    outcome = {}

    def run():
        client_gone.set(gone.is_set)  # as zkg.serve.http_server does for a request
        try:
            outcome["value"] = call()
        except Exception as error:  # noqa: BLE001  (the test looks at it)
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_query_whose_client_left_drops_its_engine_connection_but_an_update_is_waited_for():
    from zkg.store.engine_profiles import OXIGRAPH
    from zkg.store.remote import ClientGone, RemoteStore

    engine = _SilentEngine()
    # The profile given: this engine answers nothing, not even the probe that detects one
    # (zkg.store.engine_profiles.detect), and takes requests one at a time.
    store = RemoteStore(
        engine.url + "/query", update_url=engine.url + "/update", base_iri=TEST_BASE, timeout=30, engine=OXIGRAPH
    )
    gone = threading.Event()
    thread, outcome = _in_thread(lambda: store.query("ASK {}"), gone)
    connection = engine.take_request()
    gone.set()
    thread.join(10)
    assert isinstance(outcome.get("error"), ClientGone), outcome
    assert connection.recv(1) == b"", "zkg kept the engine connection"
    connection.close()

    # An update is never abandoned: the write path must learn whether it committed.
    gone = threading.Event()
    thread, outcome = _in_thread(lambda: store.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }"), gone)
    connection = engine.take_request()
    gone.set()
    time.sleep(3 * 0.2)  # the watcher's polls
    assert thread.is_alive(), outcome
    connection.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
    thread.join(10)
    assert outcome == {"value": None}
    connection.close()
    engine.listener.close()


def _threads(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("Threads:"))


def test_a_burst_of_distinct_queries_does_not_pile_up_engine_threads(loaded):
    """Oxigraph's own --timeout-s keeps a thread per query for the length of the timeout: a
    few hundred queries a second (each unlike the others, so none is answered from zkg's
    cache) piled up thousands of threads and the engine aborted. zkg enforces the limit
    itself; the engine's threads stay few and it is the same process after the burst."""
    data, _token = loaded("burst")
    live = _start(data, ("--workers", "2", "--query-timeout", "30"))
    try:
        engines = [pid for pid in _processes(live.pid) if "oxigraph" in dict(children_of_all(live.pid)).get(pid, "")]
        assert len(engines) == 1, engines
        engine = engines[0]
        statuses: list[int] = []

        def burst(start: int) -> None:
            with requests.Session() as session:
                for n in range(start, 1500, 6):
                    answer = session.get(
                        live.url + "sparql",
                        params={"query": f'ASK {{ ?s ?p "burst-{n}" }}'},
                        headers={"Accept": "application/sparql-results+json"},
                        timeout=60,
                    )
                    statuses.append(answer.status_code)

        threads = [threading.Thread(target=burst, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses.count(200) == len(statuses) == 1500, sorted(set(statuses))
        assert _threads(engine) < 200, f"the engine holds {_threads(engine)} threads after the burst"
        assert engine in _processes(live.pid), "the engine was restarted during the burst"
    finally:
        live.stop()
    _assert_no_traceback(live)


def children_of_all(root: int) -> list[tuple[int, str]]:
    """(pid, name) of every process under ``root``."""
    found, todo = [], [root]
    while todo:
        for pid, name in children(todo.pop()):
            found.append((pid, name))
            todo.append(pid)
    return found
