"""Crash safety of the live server: ``zkg serve`` is killed with SIGKILL at a random moment
while curators stream writes to it over HTTP, again and again, on the same data directory.

Each round starts ``zkg serve`` (one process, or ``--workers 2``: a parent and two worker
processes; either way with the managed ``oxigraph serve`` engine as a child), checks over HTTP that the
restarted server shows exactly what earlier rounds wrote, then lets a few client threads
stream curator writes with a write token: Graph Store POSTs into a graph of their own,
SPARQL ``INSERT DATA``, and ``DELETE DATA`` of earlier writes. Every write carries a unique
marker (in the object literals), so which statements it adds or removes is known exactly;
each is recorded as acknowledged (2xx received), in flight (sent, no answer: the kill came)
or answered with a server error. At a random moment (seeded) the server is killed, in turn (rounds go through all four
pairings of server and kill):

- **the whole tree at once**: SIGKILL to the server's process group (parent and workers) and
  to the engine (which runs in a session of its own);
- **the main process only**: the test then checks that every child dies with it (the
  engine by PR_SET_PDEATHSIG, the workers likewise), so nothing holds the store's lock.

Then, on a copy of the dead server's data directory, the store is opened directly
(``zkg.store.local.Store``) and the change log reconciled, and the promises checked: every
acknowledged write is fully there (a delete: fully gone); each write in flight is all there
or not at all, never half; no statement is there twice; the log has no unsettled entry; the
changesets described in the store are exactly the log's committed entries, and replaying
those entries on the loaded data gives exactly the store's data (nothing an aborted entry
wrote, nothing missing); the store validates as it did before the stream. The next round restarts the server on the original directory, so
its own recovery (reconcile at the first write) is what is exercised. At the end the server
is stopped cleanly and the same checks are made on the original directory, and
``zkg validate`` reports what it reported before the stream.

``ZKG_CRASH_LIVE_KILLS`` sets how many kills (default 8, the CI size: each pairing twice,
about 20 s; run with 100 or more locally: 3 to 5 s a kill), ``ZKG_CRASH_SEED`` the random
seed (shared with test_crash_stream.py, whose kills cost less: hence a count of its own). The figures (kills survived, writes acknowledged and checked, how
writes in flight turned out) are printed (``pytest -s``).
"""

from __future__ import annotations

import itertools
import os
import random
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest
import requests

from tests.support.live_server import ZKG, children, zkg_env, zkg_load
from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE
from zkg.curation import tokens
from zkg.curation.changelog import ABORTED, COMMITTED, ChangeLog
from zkg.curation.changesets import changeset_id_of
from zkg.store.local import Store
from zkg.validation.shacl import validate

pytestmark = pytest.mark.slow

KILLS = int(os.environ.get("ZKG_CRASH_LIVE_KILLS", "8"))
SEED = int(os.environ.get("ZKG_CRASH_SEED", "7"))
WRITER_THREADS = 3
TRIPLES_PER_WRITE = 4
#: Generous bounds (a loaded 2-core machine): they catch hangs, they measure nothing.
PATIENCE = 60.0
VALUE = f"{TEST_BASE}def/crashLiveValue"
SOURCE = "https://example.org/crash-live-test"
METADATA_GRAPH = f"{TEST_BASE}graph/metadata"
CHANGESET_CLASS = f"{TEST_BASE}def/Changeset"
KILL_WAYS = ("whole tree", "main process")


# -- the record of writes -------------------------------------------------------------------------


@dataclass(eq=False)
class Write:
    """One HTTP write. ``marker`` names the statements it adds (or, a delete, removes)."""

    marker: str
    kind: str  # "graph-store" or "insert" (adds), "delete"
    answer: str = "in flight"  # until answered: "acknowledged", or "HTTP <status>: <text>"
    applied: bool | None = None  # None until known: at once when acknowledged, else from the store
    deleted_by: "Write | None" = None  # (adds) the delete sent for it, unless that one did not apply

    @property
    def adds(self) -> bool:
        return self.kind != "delete"


class Ledger:
    """Every write sent so far, and which added statements may be deleted (thread-safe)."""

    def __init__(self):
        self.writes: list[Write] = []
        self._lock = threading.Lock()

    def record(self, write: Write) -> Write:
        with self._lock:
            self.writes.append(write)
        return write

    def claim_deletable(self, rng: random.Random) -> Write | None:
        """A delete of an add that is known to be there, claimed so no other thread deletes it."""
        with self._lock:
            present = [w for w in self.writes if w.adds and w.applied and w.deleted_by is None]
            if not present:
                return None
            target = rng.choice(present)
            delete = Write(target.marker, "delete")
            target.deleted_by = delete
            self.writes.append(delete)
            return delete

    def adds(self) -> list[Write]:
        return [w for w in self.writes if w.adds]


def _statements(marker: str) -> str:
    return "".join(
        f'<{TEST_BASE}id/crash-live/{marker}/{i}> <{VALUE}> "{marker}.{i}" .\n' for i in range(TRIPLES_PER_WRITE)
    )


def _send(session: requests.Session, url: str, token: str, write: Write) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "ZKG-Source": SOURCE}
    if write.kind == "graph-store":
        return session.post(
            f"{url}graph-store",
            params={"graph": f"{TEST_BASE}graph/crash-live/{write.marker}"},
            data=_statements(write.marker).encode(),
            timeout=PATIENCE,
            headers={**headers, "Content-Type": "application/n-triples"},
        )
    operation = "INSERT DATA" if write.kind == "insert" else "DELETE DATA"
    return session.post(
        f"{url}sparql",
        data=f"{operation} {{\n{_statements(write.marker)}}}".encode(),
        timeout=PATIENCE,
        headers={**headers, "Content-Type": "application/sparql-update"},
    )


def _stream(url: str, token: str, ledger: Ledger, stop: threading.Event, name: str, rng: random.Random) -> None:
    """One curator: writes until told to stop or the server goes."""
    session = requests.Session()
    for n in itertools.count():
        if stop.is_set():
            return
        write = ledger.claim_deletable(rng) if rng.random() < 0.3 else None
        if write is None:
            write = ledger.record(Write(f"{name}-n{n}", rng.choice(("graph-store", "insert"))))
        try:
            response = _send(session, url, token, write)
        except requests.RequestException:
            return  # the server is gone: the write stays "in flight"
        if 200 <= response.status_code < 300:
            write.answer, write.applied = "acknowledged", True
        else:
            write.answer = f"HTTP {response.status_code}: {response.text[:300]}"
            if response.status_code < 500:
                return  # a refusal of a good write: reported by the test


# -- the server's process tree --------------------------------------------------------------------


class Proc(NamedTuple):
    """A process as seen once: its start time tells it from a later one given the same pid."""

    pid: int
    name: str
    start: str

    @classmethod
    def of(cls, pid: int, name: str = "") -> "Proc | None":
        fields = _stat(pid)
        return None if fields is None else cls(pid, name, fields[19])

    def alive(self) -> bool:
        fields = _stat(self.pid)  # a zombie holds no lock or file: as good as gone
        return fields is not None and fields[19] == self.start and fields[0] != "Z"

    def kill(self) -> None:
        if self.alive():
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _stat(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name (state first, start time at [19])."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def _descendants(pid: int) -> list[Proc]:
    """Every process below ``pid``."""
    found = []
    for child, name in children(pid):
        proc = Proc.of(child, name)
        if proc is not None:
            found += [proc, *_descendants(child)]
    return found


class ServeTree:
    """``zkg serve`` in a session of its own (the engine makes its own session below it).
    ``started`` collects every tree, for the clean-up after a failure."""

    started: list["ServeTree"] = []

    def __init__(self, data: Path, *, workers: int, log_path: Path):
        command = [
            *ZKG,
            "serve",
            "--data",
            str(data),
            "--base-iri",
            TEST_BASE,
            "--port",
            "0",
            "--behind-proxy",  # the test base is not served where this server listens
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--row-limit",
            "1000000",
        ]
        self._log = open(log_path, "a", encoding="utf-8")
        self.process = subprocess.Popen(
            command, env=zkg_env(), stdout=subprocess.PIPE, stderr=self._log, text=True, start_new_session=True
        )
        self.seen: set[Proc] = set()
        ServeTree.started.append(self)
        line = self.process.stdout.readline()
        match = re.search(r"serving (http://\S+/) ", line)
        if match is None:
            raise AssertionError(f"zkg serve did not start: {line!r}; see {log_path}")
        self.url = match.group(1)

    def tree(self) -> list[Proc]:
        """The processes below zkg serve now (also kept for :meth:`kill_leftovers`)."""
        found = _descendants(self.process.pid)
        self.seen.update(found)
        return found

    def kill(self, way: str) -> list[Proc]:
        """SIGKILL (``way``: one of KILL_WAYS); returns the processes below it as they were."""
        tree = self.tree()
        assert any(p.name.startswith("oxigraph") for p in tree), f"no engine below zkg serve: {tree}"
        if way == "whole tree":
            os.killpg(self.process.pid, signal.SIGKILL)
            for proc in tree:  # the engine: in a session of its own
                proc.kill()
        else:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=PATIENCE)
        self._close()
        return tree

    def stop(self) -> list[Proc]:
        tree = self.tree()
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=PATIENCE) == 0
        self._close()
        return tree

    def kill_leftovers(self) -> None:
        """After a failed test: SIGKILL whatever of this tree still lives."""
        if self.process.poll() is None:
            self.tree()
            self.process.kill()
            self.process.wait(timeout=PATIENCE)
        for proc in self.seen:
            proc.kill()
        self._close()

    def _close(self) -> None:
        if self.process.stdout.closed:
            return
        self.process.stdout.close()
        self._log.close()


def _wait_gone(tree: list[Proc]) -> None:
    """Every process of a dead server's tree ends (the next start would find the store locked)."""
    deadline = time.monotonic() + PATIENCE
    while any(p.alive() for p in tree):
        assert time.monotonic() < deadline, f"outlived zkg serve: {[p for p in tree if p.alive()]}"
        time.sleep(0.02)


# -- the checks -----------------------------------------------------------------------------------

MARKER_COUNTS = (
    f"SELECT ?m (COUNT(*) AS ?n) (COUNT(DISTINCT ?g) AS ?graphs) "
    f'WHERE {{ GRAPH ?g {{ ?s <{VALUE}> ?o }} BIND(STRBEFORE(STR(?o), ".") AS ?m) }} GROUP BY ?m'
)


def _marker_counts(rows) -> dict[str, int]:
    """marker -> statements of it in the store; a statement in two graphs is caught here."""
    counts = {}
    for marker, n, graphs in rows:
        assert int(graphs) == 1, f"the statements of {marker} are in {graphs} graphs"
        counts[marker] = int(n)
    return counts


def _settle(ledger: Ledger, counts: dict[str, int], figures: dict) -> None:
    """Check what the store shows against the writes, and learn how those in flight turned out."""
    unknown = set(counts) - {w.marker for w in ledger.adds()}
    assert not unknown, f"statements of writes never sent: {sorted(unknown)[:5]}"
    for add in ledger.adds():
        n = counts.get(add.marker, 0)
        assert n in (0, TRIPLES_PER_WRITE), f"{add.kind} {add.marker} ({add.answer}) half-present: {n} statements"
        delete = add.deleted_by
        if add.applied is None:  # in flight (deletes only ever target adds known to be there)
            add.applied = n == TRIPLES_PER_WRITE
            figures["in flight applied" if add.applied else "in flight not applied"] += 1
        elif delete is not None and delete.applied is None:
            delete.applied = n == 0
            figures["in flight applied" if delete.applied else "in flight not applied"] += 1
            if not delete.applied:
                add.deleted_by = None  # there still: another delete may be sent for it
        gone = delete is not None and delete.applied
        expected = TRIPLES_PER_WRITE if add.applied and not gone else 0
        assert n == expected, (
            f"{add.kind} {add.marker} ({add.answer}; delete: "
            f"{delete.answer if delete else None}): {n} statements, expected {expected}"
        )


def _check_store(data: Path, ledger: Ledger, loaded: set, verdict: str, figures: dict) -> None:
    """Open the store directly, reconcile the log, check the promises (see the module docstring);
    ``verdict``: the validation summary the store had before the stream."""
    store = Store.open(data, base_iri=TEST_BASE)
    try:
        log = ChangeLog.for_store(store)
        log.reconcile(store)
        entries = log.entries()
        assert all(e.status in (COMMITTED, ABORTED) for e in entries), "an unsettled log entry after reconcile"
        committed = [e for e in entries if e.status == COMMITTED]
        ids = [e.id for e in committed]
        assert len(ids) == len(set(ids)), "a changeset committed twice in the log"
        rows = store.query(f"SELECT ?c WHERE {{ GRAPH <{METADATA_GRAPH}> {{ ?c a <{CHANGESET_CLASS}> }} }}")
        described = {changeset_id_of(TEST_BASE, row["c"].value) for row in rows}
        assert described == set(ids), (
            f"in the store, not committed in the log: {described - set(ids)}; "
            f"committed, not in the store: {set(ids) - described}"
        )
        replayed = set(loaded)
        for entry in committed:
            replayed.difference_update(entry.changeset.removals)
            replayed.update(entry.changeset.additions)
        data_quads = {q for q in store.quads() if _graph(q) != METADATA_GRAPH}
        assert data_quads == replayed, (
            f"the store and the log's replay differ: {len(data_quads - replayed)} "
            f"quads only in the store, {len(replayed - data_quads)} only in the replay"
        )
        counts = _marker_counts((r["m"].value, r["n"].value, r["graphs"].value) for r in store.query(MARKER_COUNTS))
        _settle(ledger, counts, figures)
        _check_log_markers(committed, ledger)
        figures["write checks"] += len(ledger.writes)
        assert validate(store).summary() == verdict
    finally:
        store.close()


def _check_log_markers(committed, ledger: Ledger) -> None:
    """Each applied write is exactly one committed entry, each unapplied one none."""
    added: dict[str, int] = {}
    removed: dict[str, int] = {}
    for entry in committed:
        for quads, tally in ((entry.changeset.additions, added), (entry.changeset.removals, removed)):
            for marker in {q.object.value.split(".")[0] for q in quads if q.predicate.value == VALUE}:
                tally[marker] = tally.get(marker, 0) + 1
    applied_deletes: dict[str, int] = {}
    for write in ledger.writes:
        if write.adds:
            assert added.get(write.marker, 0) == int(bool(write.applied)), f"log entries adding {write.marker}"
        elif write.applied:
            applied_deletes[write.marker] = applied_deletes.get(write.marker, 0) + 1
    assert removed == applied_deletes, "the log's removals are not the deletes that applied"


def _graph(quad) -> str:
    return getattr(quad.graph_name, "value", "")


def _check_over_http(url: str, ledger: Ledger, figures: dict) -> None:
    response = requests.post(
        f"{url}sparql",
        data=MARKER_COUNTS.encode(),
        timeout=PATIENCE,
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text[:500]
    bindings = response.json()["results"]["bindings"]
    counts = _marker_counts((b["m"]["value"], b["n"]["value"], b["graphs"]["value"]) for b in bindings)
    _settle(ledger, counts, figures)


def _validate(data: Path) -> tuple[int, str]:
    done = subprocess.run(
        [*ZKG, "validate", "--data", str(data), "--base-iri", TEST_BASE],
        env=zkg_env(),
        capture_output=True,
        text=True,
        timeout=PATIENCE * 2,
    )
    return done.returncode, done.stdout


# -- the test -------------------------------------------------------------------------------------


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "data"
    zkg_load(path, base_iri=TEST_BASE, graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    yield path
    for tree in ServeTree.started:  # nothing is left running, whatever failed
        tree.kill_leftovers()
    ServeTree.started.clear()


def test_the_live_server_killed_mid_stream_again_and_again_loses_nothing(data, tmp_path):
    token = tokens.create(data, "crash-tester", scope=tokens.WRITE)
    validated_before = _validate(data)
    with Store.open(data, base_iri=TEST_BASE) as store:
        loaded = {q for q in store.quads() if _graph(q) != METADATA_GRAPH}
        verdict = validate(store).summary()
    rng = random.Random(SEED)
    ledger = Ledger()
    figures = dict.fromkeys(("in flight applied", "in flight not applied", "write checks"), 0)
    kills = {way: 0 for way in KILL_WAYS}
    log_path = tmp_path / "serve.log"
    for round_number in range(KILLS):
        # Rounds go through every pairing: one process or two workers, killed whole or at the top.
        server = ServeTree(data, workers=1 + round_number // 2 % 2, log_path=log_path)
        _check_over_http(server.url, ledger, figures)  # what the restarted server shows
        acknowledged_before = sum(w.answer == "acknowledged" for w in ledger.writes)
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=_stream,
                daemon=True,
                args=(server.url, token, ledger, stop, f"r{round_number}t{i}", random.Random(rng.random())),
            )
            for i in range(WRITER_THREADS)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + PATIENCE
        while sum(w.answer == "acknowledged" for w in ledger.writes) == acknowledged_before:
            assert time.monotonic() < deadline, f"no write acknowledged; server log: {log_path.read_text()[-2000:]}"
            assert any(t.is_alive() for t in threads), _refusals(ledger) or "the writers stopped"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 1.0))
        way = KILL_WAYS[round_number % len(KILL_WAYS)]
        stop.set()
        tree = server.kill(way)
        _wait_gone(tree)  # all of it, also when only the main process was killed
        kills[way] += 1
        for thread in threads:
            thread.join(timeout=PATIENCE)
            assert not thread.is_alive(), "a writer still waits for the killed server"
        assert not _refusals(ledger), _refusals(ledger)
        copy = tmp_path / f"after-kill-{round_number}"
        shutil.copytree(data, copy)  # the server's own recovery is left to the next round
        _check_store(copy, ledger, loaded, verdict, figures)
        shutil.rmtree(copy)

    # The last restart: the server recovers and writes on, then stops cleanly.
    server = ServeTree(data, workers=2, log_path=log_path)
    _check_over_http(server.url, ledger, figures)
    final = ledger.record(Write("final", "insert"))
    response = _send(requests.Session(), server.url, token, final)
    assert response.status_code == 200, response.text
    final.answer, final.applied = "acknowledged", True
    _check_over_http(server.url, ledger, figures)
    _wait_gone(server.stop())
    _check_store(data, ledger, loaded, verdict, figures)
    assert _validate(data) == validated_before

    adds = ledger.adds()
    acknowledged = sum(w.answer == "acknowledged" for w in ledger.writes)
    in_flight = sum(w.answer == "in flight" for w in ledger.writes)
    errors = sum(w.answer.startswith("HTTP") for w in ledger.writes)
    print(
        f"crash live: {sum(kills.values())} kills survived ({kills['whole tree']} of the whole tree, "
        f"{kills['main process']} of the main process only); {len(ledger.writes)} writes sent "
        f"({len(adds)} adds, {len(ledger.writes) - len(adds)} deletes), {acknowledged} acknowledged, "
        f"{in_flight} in flight at a kill, {errors} answered with a server error; {figures['write checks']} write checks "
        f"on the store (every write so far, after every kill); in flight or unanswered: {figures['in flight applied']} applied, "
        f"{figures['in flight not applied']} not applied"
    )
    assert sum(kills.values()) == KILLS
    assert acknowledged > KILLS


def _refusals(ledger: Ledger) -> list[str]:
    return [f"{w.kind} {w.marker}: {w.answer}" for w in ledger.writes if re.match(r"HTTP 4", w.answer)]
