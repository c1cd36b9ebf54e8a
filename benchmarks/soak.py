"""A bounded soak on loopback: many readers while curators write, against a real ``zkg serve``.

    python -m benchmarks.soak --duration 60 --readers 16 --writers 4     # the project's own data
    python -m benchmarks.soak --size 100k --duration 300                 # generated data

``zkg serve`` runs with several workers (its per-client rate limit off: one client sends
everything) on a store loaded with ``zkg load``. For ``duration`` seconds:

- **readers** (keep-alive connections, reopened now and then so that every worker gets
  some) cycle through SPARQL SELECT, ASK and CONSTRUCT on ``/sparql``, entity pages
  ``/page/id/…``, data documents ``/data/id/….ttl``, label search, and the *snapshot* query;
- **writers** (one write token each) add a marker set of K triples per write, atomically,
  alternately by SPARQL Update (``INSERT DATA``, into the changeset's own graph) and by the
  Graph Store Protocol (``POST`` to a new graph); every third write deletes one of the
  writer's earlier writes instead (a Graph Store ``DELETE`` of a posted graph, ``DELETE
  DATA`` in the write's graph, ``DELETE WHERE``, in turn). After each acknowledged write the
  writer reads it back on a new connection (a query, and the subject's data document, which
  after a delete is revalidated with the ETag it had), often from another worker.

What must hold (every failure is listed under ``problems`` in the results):

- **no errors**: every request answered 2xx (writes 200/201/204), nothing in the server log
  that looks like a traceback;
- **consistent snapshots**: the snapshot query counts the marker triples of each write
  (``GROUP BY``); each count is exactly K, never partial; every write acknowledged before the
  query was sent is there, every delete acknowledged before it is gone, nothing unknown;
- **read-your-writes**: the writer's own read after its 2xx sees the write (or its delete),
  by query and by data document; reads answered by another worker process than the write
  are counted (the worker is found from the connection's socket in /proc);
- **no lost or duplicated writes**: at the end every acknowledged add is there exactly once
  (K quads in one graph: the changeset's own, or the one posted to), every acknowledged
  delete absent; the change log has every acknowledged changeset once, committed, and no
  other write of the soak; the metadata graph describes exactly those changesets.

Per request class: count, errors, req/s, p50 and p99 latency. Results go to a JSON file
(default ``benchmarks/results/soak-latest.json``) and a Markdown table on standard output;
the exit status is 1 when a check failed. The checks themselves are in
:mod:`benchmarks.soak_checks`; ``tests/hardening/test_soak.py`` runs the soak at a quick size
in the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

from benchmarks import servers
from benchmarks.soak_checks import ACKED, IN_DOUBT, REFUSED, SENT, Ledger, Write, check_final, check_log, check_snapshot

REPO = servers.REPO
RESULTS = REPO / "benchmarks" / "results" / "soak-latest.json"
SOURCE = "https://example.org/zkg-soak"
SELECT_JSON = "application/sparql-results+json"
#: The snapshot query covers the latest WINDOW writes of one writer (the rows stay far below
#: the server's row limit however long the soak); the final check covers every write.
WINDOW = 2000
TIMEOUT = 120.0
#: What an accepted write is answered (with its changeset in ZKG-Changeset).
EXPECTED_STATUS = {"add_update": 200, "add_graph_store": 201, "delete_update": 200, "delete_graph_store": 204}


@dataclass
class SoakConfig:
    """What to run; the defaults are the local size of the README's Performance section."""

    duration: float = 60.0
    readers: int = 16
    writers: int = 4
    workers: int = 2
    threads: int = 8
    marker_triples: int = 8  # K
    delete_every: int = 3  # every n-th write of a writer deletes one of its earlier writes
    #: Writers go on past the duration until each made this many writes (and readers until
    #: the writers are done), so a slow machine still exercises every kind of write.
    min_writes: int = 0
    base_iri: str = "http://localhost:8080/"
    size: int | None = None  # generated data of this many triples, else graph_dir
    graph_dir: Path | None = None  # None: the project's own graph/
    ontology_dir: Path | None = None  # None: the project's own ontology/


# -- bookkeeping ---------------------------------------------------------------------------------


class Recorder:
    """Latencies, errors and the first few error messages per request class (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.messages: list[str] = []

    def record(self, kind: str, seconds: float, error: str | None = None) -> None:
        with self._lock:
            self.latencies.setdefault(kind, []).append(seconds)
            if error is not None:
                self.errors[kind] = self.errors.get(kind, 0) + 1
                if len(self.messages) < 20:
                    self.messages.append(f"{kind}: {error}")

    def figures(self, seconds: float) -> dict:
        out = {}
        for kind, values in sorted(self.latencies.items()):
            ordered = sorted(values)
            out[kind] = {
                "requests": len(ordered),
                "errors": self.errors.get(kind, 0),
                "rps": round(len(ordered) / seconds, 2) if seconds > 0 else 0.0,
                "p50_ms": round(statistics.median(ordered) * 1000, 2),
                "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
            }
        return out


# -- HTTP ----------------------------------------------------------------------------------------


class Server:
    """The running ``zkg serve``: its address, and which worker process answers a connection."""

    def __init__(self, process: servers.Server):
        self.process = process
        parts = urlsplit(process.url)
        self.host, self.port = parts.hostname, parts.port

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)

    def workers(self) -> list[int]:
        """The worker processes (the tree of zkg serve, less itself and the engine)."""
        pids = []
        for pid in servers.tree(self.process.process.pid)[1:]:
            try:
                name = Path(f"/proc/{pid}/comm").read_text().strip()
            except OSError:
                continue
            if not name.startswith("oxigraph"):
                pids.append(pid)
        return pids

    def connect_identified(self, patience: float = 5.0) -> tuple[http.client.HTTPConnection, int | None]:
        """A new connection and the worker that accepted it (None if no worker took it within
        ``patience`` seconds). Found before any request: a worker may close a connection right
        after its answer (waitress does after a 204), and then it can no longer be found."""
        connection = self.connect()
        connection.connect()
        port = connection.sock.getsockname()[1]
        deadline = time.monotonic() + patience
        while True:
            worker = self.worker_of(port)
            if worker is not None or time.monotonic() > deadline:
                return connection, worker
            time.sleep(0.002)

    def worker_of(self, client_port: int) -> int | None:
        """The worker holding the server side of the loopback connection from ``client_port``."""
        wanted = f"{self.port:04X}", f"{client_port:04X}"
        inode = None
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                rows = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for row in rows:
                fields = row.split()
                # (A closed connection's row in TIME_WAIT has inode 0: not the one.)
                if (fields[1].rsplit(":", 1)[1], fields[2].rsplit(":", 1)[1]) == wanted and fields[9] != "0":
                    inode = fields[9]
                    break
        if inode is None:
            return None
        for pid in self.workers():
            try:
                for entry in os.scandir(f"/proc/{pid}/fd"):
                    if os.readlink(entry.path) == f"socket:[{inode}]":
                        return pid
            except OSError:
                continue
        return None


def exchange(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict | None = None,
) -> tuple[int, bytes, http.client.HTTPResponse]:
    """One request on ``connection``: (status, body, response)."""
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.read(), response


def sparql_get(query: str) -> str:
    return "/sparql?" + urlencode({"query": query})


def marker_counts(body: bytes) -> dict[str, int]:
    """``{subject: n}`` from the SPARQL JSON of a ``?w ?n`` query."""
    rows = json.loads(body)["results"]["bindings"]
    return {row["w"]["value"]: int(row["n"]["value"]) for row in rows}


# -- the soak ------------------------------------------------------------------------------------


class Soak:
    """One soak run against ``server``; :meth:`run` returns the results."""

    def __init__(self, config: SoakConfig, server: Server, tokens: list[str], data: Path):
        self.config, self.server, self.tokens, self.data = config, server, tokens, data
        self.base = config.base_iri
        self.marker = f"{self.base}def/soakMarker"
        self.recorder, self.ledger = Recorder(), Ledger()
        self.problems: list[str] = []
        self._lock = threading.Lock()
        self.counters = {
            "snapshots": 0,
            "snapshot_writes_seen": 0,
            "read_own": 0,
            "read_own_cross_worker": 0,
            "read_own_unidentified": 0,
            "revalidated_after_delete": 0,
        }
        self.latest = [0] * config.writers  # the latest write number of each writer
        self.deadline = 0.0
        self.described = 0  # soak changesets the metadata graph describes at the end
        self.writers_left = config.writers
        self.writers_done = threading.Event()

    def problem(self, text: str) -> None:
        with self._lock:
            if len(self.problems) < 200:
                self.problems.append(text)

    def count(self, name: str, by: int = 1) -> None:
        with self._lock:
            self.counters[name] += by

    # -- what readers ask

    def discover(self) -> dict[str, list[str]]:
        """Entities (subjects under id/) and words of their labels, from the loaded data."""
        connection = self.server.connect()
        query = (
            f"SELECT DISTINCT ?s ?l WHERE {{ ?s ?p ?l FILTER(?p IN (<http://www.w3.org/2000/01/rdf-schema#label>, "
            f'<https://schema.org/name>) && STRSTARTS(STR(?s), "{self.base}id/")) }} LIMIT 64'
        )
        status, body, _ = exchange(connection, "GET", sparql_get(query), headers={"Accept": SELECT_JSON})
        connection.close()
        if status != 200:
            raise RuntimeError(f"the discovery query failed: {status} {body[:300]!r}")
        rows = json.loads(body)["results"]["bindings"]
        entities = list(dict.fromkeys(row["s"]["value"] for row in rows))
        words = list(dict.fromkeys(w.lower() for row in rows for w in re.findall(r"\w{3,}", row["l"]["value"])))
        if not entities:
            raise RuntimeError("no entities under id/ with a label or name in the loaded data")
        return {"entities": entities[:32], "words": words[:16] or ["park"]}

    def reader_requests(self, found: dict[str, list[str]]) -> list[tuple[str, str, str]]:
        """(class, path, Accept) for the readers' mix (the snapshot query is made per request)."""
        mix = []
        for i, iri in enumerate(found["entities"]):
            local = iri[len(self.base) :]
            word = found["words"][i % len(found["words"])]
            mix += [
                ("select", sparql_get(f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"), SELECT_JSON),
                ("snapshot", "", SELECT_JSON),
                ("ask", sparql_get(f"ASK {{ <{iri}> ?p ?o }}"), SELECT_JSON),
                ("page", f"/page/{quote(local)}", "text/html"),
                (
                    "construct",
                    sparql_get(f"CONSTRUCT {{ <{iri}> ?p ?o }} WHERE {{ <{iri}> ?p ?o }}"),
                    "application/n-triples",
                ),
                ("snapshot", "", SELECT_JSON),
                ("data", f"/data/{quote(local)}.ttl", "text/turtle"),
                ("search", f"/search?q={quote(word)}&format=json", "application/json"),
            ]
        return mix

    def snapshot_query(self, writer: int) -> tuple[str, callable]:
        """The snapshot query over writer ``writer``'s latest writes, and which subjects it covers."""
        low = max(0, self.latest[writer] - WINDOW)
        prefix = f"{self.base}id/soak-{writer}-"
        query = (
            f"SELECT ?w (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?w <{self.marker}> ?v }} "
            f'FILTER(STRSTARTS(STR(?w), "{prefix}") && '
            f'<http://www.w3.org/2001/XMLSchema#integer>(STRAFTER(STR(?w), "{prefix}")) >= {low}) }} '
            f"GROUP BY ?w"
        )

        def within(subject: str) -> bool:
            return subject.startswith(prefix) and int(subject[len(prefix) :]) >= low

        return query, within

    def reader(self, index: int, mix: list) -> None:
        connection, used, position = self.server.connect(), 0, index * 3
        while time.monotonic() < self.deadline or not self.writers_done.is_set():
            kind, path, accept = mix[position % len(mix)]
            position += 1
            within, before = None, None
            if kind == "snapshot":
                query, within = self.snapshot_query(position % self.config.writers)
                before, path = self.ledger.snapshot(), sparql_get(query)
            started = time.perf_counter()
            try:
                status, body, _ = exchange(connection, "GET", path, headers={"Accept": accept})
            except (OSError, http.client.HTTPException) as error:
                self.recorder.record(kind, time.perf_counter() - started, f"{type(error).__name__}: {error}")
                connection.close()
                connection = self.server.connect()
                continue
            seconds = time.perf_counter() - started
            if status != 200:
                self.recorder.record(kind, seconds, f"{status} {path[:80]}: {body[:200]!r}")
                continue
            self.recorder.record(kind, seconds)
            if kind == "snapshot":
                counts = marker_counts(body)
                self.count("snapshots")
                self.count("snapshot_writes_seen", len(counts))
                found = check_snapshot(
                    counts, self.config.marker_triples, before, self.ledger.known, within, self.ledger.delete_sent
                )
                for text in found:
                    self.problem(f"snapshot: {text}")
            used += 1
            if used % 25 == 0:  # a new connection now and then: the kernel may give it to another worker
                connection.close()
                connection = self.server.connect()
        connection.close()

    # -- what writers do

    def add_request(self, writer: int, number: int) -> tuple[str, str, str, bytes, dict, Write]:
        """(class, method, path, body, headers, the write) adding write ``number`` of ``writer``:
        by SPARQL Update and by the Graph Store Protocol in turn."""
        subject = f"{self.base}id/soak-{writer}-{number}"
        lines = [f'<{subject}> <{self.marker}> "{number}.{i}"' for i in range(self.config.marker_triples)]
        headers = self.write_headers(writer)
        if number % 2 == 0:
            headers["Content-Type"] = "application/sparql-update"
            body = ("INSERT DATA { " + " . ".join(lines) + " }").encode()
            return "add_update", "POST", "/sparql", body, headers, Write(subject, "update")
        graph = f"{self.base}graph/soak/{writer}-{number}"
        headers["Content-Type"] = "application/n-triples"
        body = "".join(line + " .\n" for line in lines).encode()
        return (
            "add_graph_store",
            "POST",
            "/graph-store?" + urlencode({"graph": graph}),
            body,
            headers,
            Write(subject, "graph_store", graph=graph),
        )

    def delete_request(self, writer: int, deletes: int, live: list[Write]) -> tuple[str, str, str, bytes, dict, Write]:
        """The same for the writer's next delete (its ``deletes``-th) of one of its ``live``
        writes (taken out of the list): a Graph Store DELETE of a posted graph, DELETE DATA in
        the write's graph, and DELETE WHERE in turn."""
        headers = self.write_headers(writer)
        posted = [w for w in live if w.method == "graph_store"]
        if deletes % 3 == 0 and posted:
            live.remove(posted[0])
            return (
                "delete_graph_store",
                "DELETE",
                "/graph-store?" + urlencode({"graph": posted[0].graph}),
                b"",
                headers,
                posted[0],
            )
        target = live.pop(0)
        headers["Content-Type"] = "application/sparql-update"
        if deletes % 3 == 1:
            number = target.subject.rsplit("-", 1)[1]
            lines = [f'<{target.subject}> <{self.marker}> "{number}.{i}"' for i in range(self.config.marker_triples)]
            text = f"DELETE DATA {{ GRAPH <{target.graph}> {{ " + " . ".join(lines) + " } }"
        else:
            text = f"DELETE WHERE {{ <{target.subject}> <{self.marker}> ?v }}"
        return "delete_update", "POST", "/sparql", text.encode(), headers, target

    def write_headers(self, writer: int) -> dict:
        return {
            "Authorization": f"Bearer {self.tokens[writer]}",
            "ZKG-Source": SOURCE,
            "ZKG-Message": f"soak writer {writer}",
        }

    def writer(self, index: int) -> None:
        connection, write_worker = self.server.connect_identified()
        live: list[Write] = []  # this writer's acknowledged, undeleted writes, oldest first
        number = deletes = 0
        while time.monotonic() < self.deadline or number < self.config.min_writes:
            adding = number % self.config.delete_every != self.config.delete_every - 1 or not live
            if adding:
                kind, method, path, body, headers, write = self.add_request(index, number)
                self.ledger.add(write)
                self.latest[index] = number
            else:
                kind, method, path, body, headers, write = self.delete_request(index, deletes, live)
                self.ledger.update(write.subject, delete_state=SENT)
                deletes += 1
            number += 1
            outcome = "state" if adding else "delete_state"  # the ledger field this request settles
            started = time.perf_counter()
            try:
                status, answer, response = exchange(connection, method, path, body=body or None, headers=headers)
            except (OSError, http.client.HTTPException) as error:
                self.recorder.record(kind, time.perf_counter() - started, f"{type(error).__name__}: {error}")
                self.ledger.update(write.subject, **{outcome: IN_DOUBT})
                connection.close()
                connection, write_worker = self.server.connect_identified()
                continue
            seconds = time.perf_counter() - started
            answered_by = write_worker
            if response.will_close:  # the worker closes it (it does after a 204): the next write needs a new one
                connection.close()
                connection, write_worker = self.server.connect_identified()
            expected = EXPECTED_STATUS[kind]
            changeset = response.getheader("ZKG-Changeset")
            if status != expected or not changeset:
                self.recorder.record(kind, seconds, f"{status} (changeset {changeset}): {answer[:300]!r}")
                self.ledger.update(write.subject, **{outcome: REFUSED if 400 <= status < 500 else IN_DOUBT})
                continue
            self.recorder.record(kind, seconds)
            if adding:
                graph = write.graph or f"{self.base}graph/changes/{changeset}"
                self.ledger.update(write.subject, state=ACKED, changeset=changeset, graph=graph)
                live.append(write)
            else:
                self.ledger.update(write.subject, delete_state=ACKED, delete_changeset=changeset)
            self.read_own(write, present=adding, write_worker=answered_by)
        connection.close()

    def read_own(self, write: Write, *, present: bool, write_worker: int | None) -> None:
        """Read back an acknowledged write on a new connection: by query, then its data document."""
        k = self.config.marker_triples
        query = (
            f"SELECT ?w (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?w <{self.marker}> ?v }} "
            f"VALUES ?w {{ <{write.subject}> }} }} GROUP BY ?w"
        )
        local = write.subject[len(self.base) :]
        for kind, path, accept in (
            ("read_own_query", sparql_get(query), SELECT_JSON),
            ("read_own_data", f"/data/{quote(local)}.ttl", "text/turtle"),
        ):
            headers = {"Accept": accept}
            if kind == "read_own_data" and not present and write.etag:
                # Revalidate what was read when the write was there: a 304 now would be a stale answer.
                headers["If-None-Match"] = write.etag
            connection, reader_worker = self.server.connect_identified()
            started = time.perf_counter()
            try:
                status, body, response = exchange(connection, "GET", path, headers=headers)
            except (OSError, http.client.HTTPException) as error:
                self.recorder.record(kind, time.perf_counter() - started, f"{type(error).__name__}: {error}")
                continue
            finally:
                connection.close()
            seconds = time.perf_counter() - started
            if kind == "read_own_query":
                ok = status == 200
                seen = marker_counts(body).get(write.subject, 0) if ok else None
            else:
                ok = status == 200 or (status == 404 and not present)
                seen = self.data_document_markers(body, write.subject) if status == 200 else 0
                if present and ok:
                    write.etag = response.getheader("ETag")
            if not ok:
                self.recorder.record(kind, seconds, f"{status} {path[:80]}: {body[:200]!r}")
                if status == 304:
                    self.problem(
                        f"read-your-writes: 304 Not Modified for {path} after its delete was acknowledged "
                        f"(worker {reader_worker}, the delete on worker {write_worker})"
                    )
                continue
            self.recorder.record(kind, seconds)
            self.count("read_own")
            self.count("revalidated_after_delete", "If-None-Match" in headers)
            if write_worker is None or reader_worker is None:
                self.count("read_own_unidentified")
            elif write_worker != reader_worker:
                self.count("read_own_cross_worker")
            if seen != (k if present else 0):
                where = f"worker {reader_worker} after a write on worker {write_worker}"
                self.problem(
                    f"read-your-writes ({kind}): {write.subject} {'added' if present else 'deleted'}, "
                    f"then {seen} of {k} marker triples seen ({where})"
                )

    def data_document_markers(self, body: bytes, subject: str) -> int:
        import pyoxigraph as ox

        triples = ox.parse(body, format=ox.RdfFormat.TURTLE, base_iri=self.base)
        return sum(1 for t in triples if t.subject.value == subject and t.predicate.value == self.marker)

    # -- the run and the final checks

    def guarded(self, target, *args) -> None:
        """Run a client thread; a failure of the soak's own code is a problem, not a silent thread death."""
        try:
            target(*args)
        except Exception as error:  # noqa: BLE001 - reported with the results
            self.problem(f"{threading.current_thread().name} stopped: {type(error).__name__}: {error}")
        finally:
            if target == self.writer:
                with self._lock:
                    self.writers_left -= 1
                    if self.writers_left == 0:
                        self.writers_done.set()

    def run(self) -> dict:
        """The readers and writers for the configured duration; then the end state, checked."""
        found = self.discover()
        mix = self.reader_requests(found)
        started = time.monotonic()
        self.deadline = started + self.config.duration
        threads = [
            threading.Thread(target=self.guarded, args=(self.reader, i, mix), name=f"reader-{i}", daemon=True)
            for i in range(self.config.readers)
        ]
        threads += [
            threading.Thread(target=self.guarded, args=(self.writer, i), name=f"writer-{i}", daemon=True)
            for i in range(self.config.writers)
        ]
        for thread in threads:
            thread.start()
        if not self.config.writers:
            self.writers_done.set()
        for thread in threads:
            thread.join(self.config.duration + (4 + self.config.min_writes) * TIMEOUT)
            if thread.is_alive():
                self.problem(f"a client thread did not finish: {thread.name}")
        seconds = time.monotonic() - started
        rows, self.described = self.final_state()
        problems, final = check_final(rows, self.ledger.all(), self.config.marker_triples)
        for text in problems:
            self.problem(f"end state: {text}")
        return {
            "seconds": round(seconds, 2),
            "entities": len(found["entities"]),
            "final": final,
            "classes": self.recorder.figures(seconds),
        }

    def final_state(self) -> tuple[list[tuple[str, str, int]], int]:
        """Every marker triple now (subject, graph, count), and how many soak changesets the
        metadata graph describes."""
        connection, rows, page_size = self.server.connect(), [], 5000
        try:
            while True:
                query = (
                    f"SELECT ?w ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?w <{self.marker}> ?v }} }} "
                    f"GROUP BY ?w ?g ORDER BY ?w ?g LIMIT {page_size} OFFSET {len(rows)}"
                )
                page = self.select(connection, query)
                rows += [(r["w"]["value"], r["g"]["value"], int(r["n"]["value"])) for r in page]
                if len(page) < page_size:
                    break
            described = self.select(
                connection,
                f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ GRAPH "
                f"<{self.base}graph/metadata> {{ ?c <http://www.w3.org/ns/prov#"
                f"wasDerivedFrom> <{SOURCE}> }} }}",
            )
        finally:
            connection.close()
        return rows, int(described[0]["n"]["value"])

    def select(self, connection, query: str) -> list[dict]:
        status, body, _ = exchange(connection, "GET", sparql_get(query), headers={"Accept": SELECT_JSON})
        if status != 200:
            raise RuntimeError(f"a checking query failed: {status} {body[:300]!r}")
        return json.loads(body)["results"]["bindings"]


# -- setting up, running, reporting --------------------------------------------------------------


def prepare(config: SoakConfig, work: Path) -> Path:
    """Load the data into ``work/zkg-data`` with ``zkg load``."""
    data = work / "zkg-data"
    command = [sys.executable, "-m", "zkg.cli.main", "load", "--data", str(data), "--base-iri", config.base_iri]
    if config.size is not None:
        from benchmarks.generate import generate

        generate(config.size, work)
        command += ["--graph-dir", str(work / "graph"), "--ontology-dir", str(REPO / "ontology")]
    else:
        if config.graph_dir is not None:
            command += ["--graph-dir", str(config.graph_dir)]
        if config.ontology_dir is not None:
            command += ["--ontology-dir", str(config.ontology_dir)]
    done = subprocess.run(command, capture_output=True, text=True, env=servers.zkg_env(), timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"zkg load failed: {done.stderr[-800:].strip()}")
    return data


def soak(config: SoakConfig, work: Path) -> dict:
    """Load, serve, soak, check; the results (``problems`` empty when every check held)."""
    from zkg.curation import tokens
    from zkg.curation.changelog import ChangeLog

    data = prepare(config, work)
    secrets = [tokens.create(data, f"soak-writer-{i}") for i in range(config.writers)]
    log_path = work / "zkg-serve.log"
    process = servers.start_zkg(data, config.base_iri, log_path, workers=config.workers, threads=config.threads)
    try:
        server = Server(process)
        run = Soak(config, server, secrets, data)
        workers = len(server.workers())
        figures = run.run()
        peak = process.peak_rss_mb()
    finally:
        process.stop()
    # The change log, settled now that the server has stopped.
    entries = [
        e for e in ChangeLog(data / "changes.rdfp", base_iri=config.base_iri).entries() if e.changeset.source == SOURCE
    ]
    problems, log_figures = check_log(entries, run.ledger.all(), config.marker_triples, described=run.described)
    for text in problems:
        run.problem(f"change log: {text}")
    server_log = log_path.read_text(encoding="utf-8", errors="replace")
    if "Traceback" in server_log:
        run.problem("the server log has a traceback: " + server_log[server_log.index("Traceback") :][:600])
    errors = sum(c["errors"] for c in figures["classes"].values())
    if errors:
        run.problem(f"{errors} request(s) failed; the first: {run.recorder.messages[:5]}")
    writes = run.ledger.all()
    return {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
        "settings": {
            **{k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()},
            "worker_processes": workers,
        },
        "seconds": figures["seconds"],
        "entities": figures["entities"],
        "server_peak_rss_mb": peak,
        "classes": figures["classes"],
        "writes": {
            "adds_acked": sum(1 for w in writes if w.state == ACKED),
            "deletes_acked": sum(1 for w in writes if w.delete_state == ACKED),
            **figures["final"],
            "log": log_figures,
        },
        "reads": {
            **run.counters,
            "requests": sum(c["requests"] for c in figures["classes"].values()),
            "errors": errors,
        },
        "problems": run.problems,
    }


def table(results: dict) -> str:
    """The results as Markdown: one row per request class, then the checks."""
    s, w, r = results["settings"], results["writes"], results["reads"]
    lines = [
        f"Soak of {results['when']}: {results['seconds']:.0f} s, {s['readers']} readers, {s['writers']} writers, "
        f"{s['workers']} workers x {s['threads']} threads, {results['machine']['cpus']} CPUs, "
        f"K = {s['marker_triples']} triples per write.",
        "",
        "| request | count | errors | req/s | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    for kind, c in results["classes"].items():
        lines.append(
            f"| {kind} | {c['requests']} | {c['errors']} | {c['rps']:.1f} | {c['p50_ms']:.1f} | {c['p99_ms']:.1f} |"
        )
    lines += [
        "",
        f"- {r['requests']} requests served, {r['errors']} errors.",
        f"- Writes acknowledged: {w['adds_acked']} adds, {w['deletes_acked']} deletes; at the end "
        f"{w['present_checked']} checked present exactly once, {w['absent_checked']} checked absent, "
        f"{w['in_doubt']} in doubt; change log: {w['log']['committed']} soak changesets committed, "
        f"{w['log']['described']} described in the metadata graph.",
        f"- Snapshots checked: {r['snapshots']} (covering {r['snapshot_writes_seen']} write counts), "
        f"read-your-writes checks: {r['read_own']} ({r['read_own_cross_worker']} answered by another worker "
        f"than the write, {r['read_own_unidentified']} unidentified; {r['revalidated_after_delete']} data "
        f"documents revalidated with their ETag after the delete).",
        "- Problems: none." if not results["problems"] else f"- PROBLEMS ({len(results['problems'])}):",
    ]
    lines += [f"  - {p}" for p in results["problems"][:30]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n\n")[0])
    defaults = SoakConfig()
    parser.add_argument("--duration", type=float, default=defaults.duration, help="seconds of load")
    parser.add_argument("--readers", type=int, default=defaults.readers)
    parser.add_argument("--writers", type=int, default=defaults.writers)
    parser.add_argument("--workers", type=int, default=defaults.workers, help="zkg serve --workers")
    parser.add_argument("--threads", type=int, default=defaults.threads, help="zkg serve --threads")
    parser.add_argument("--marker-triples", type=int, default=defaults.marker_triples, help="K, triples per write")
    parser.add_argument("--size", help="generated data of this many triples (e.g. 100k) instead of graph/")
    parser.add_argument("--graph-dir", type=Path, help="the data to load (default: the project's graph/)")
    parser.add_argument("--ontology-dir", type=Path, help="its vocabulary and shapes (default: ontology/)")
    parser.add_argument("--base-iri", default=defaults.base_iri)
    parser.add_argument("--work", type=Path, help="working folder, kept (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"results file (default {RESULTS.relative_to(REPO)})")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    from benchmarks.generate import parse_size

    config = SoakConfig(
        duration=args.duration,
        readers=args.readers,
        writers=args.writers,
        workers=args.workers,
        threads=args.threads,
        marker_triples=args.marker_triples,
        base_iri=args.base_iri,
        size=parse_size(args.size) if args.size else None,
        graph_dir=args.graph_dir,
        ontology_dir=args.ontology_dir,
    )
    work = args.work or Path(tempfile.mkdtemp(prefix="zkg-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        results = soak(config, work)
    except RuntimeError as error:  # the data did not load, the server did not start: say so, no traceback
        print(f"soak: error: {error}", file=sys.stderr)
        return 1
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    results["command"] = "python -m benchmarks.soak " + " ".join(argv if argv is not None else sys.argv[1:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"results written to {args.out}", file=sys.stderr)
    return 0 if not results["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
