"""Crash safety of a stream of writes: a writer applying one small changeset after another to
an on-disk store is killed with SIGKILL at a random moment, again and again, on the same store
(each run continues where the last one died). After every kill the store must open; once the
change log is reconciled, every changeset the writer acknowledged is there in full and
committed, the one it had begun but not acknowledged is all there or not at all, and the
store's changeset graphs match the log's committed entries exactly. At the end the store
still validates as it did before the stream.

``ZKG_CRASH_KILLS`` sets how many kills (default 12, the CI size; run with 100 or more
locally), ``ZKG_CRASH_SEED`` the random seed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE
from zkg.curation.changelog import ABORTED, COMMITTED, ChangeLog
from zkg.store.local import Store

pytestmark = pytest.mark.slow

KILLS = int(os.environ.get("ZKG_CRASH_KILLS", "12"))
QUADS_PER_CHANGESET = 40

WRITER = r"""
import sys
import pyoxigraph as ox
from zkg.store.local import Store
from zkg.curation.changelog import ChangeLog
from zkg.curation.changesets import Changeset, new_id
from zkg.curation.apply import apply_changeset

data, run, quads = sys.argv[1], sys.argv[2], int(sys.argv[3])
base = "http://zkg.test/"
store = Store.open(data, base_iri=base)
log = ChangeLog.for_store(store)
log.reconcile(store)
p = ox.NamedNode(base + "def/crashStreamValue")
print("ready", flush=True)
n = 0
while True:
    changeset_id = new_id()
    additions = [ox.Quad(ox.NamedNode(f"{base}id/stream-{run}-{n}-{i}"), p, ox.Literal(f"{run}.{n}.{i}"),
                         ox.DefaultGraph()) for i in range(quads)]
    changeset = Changeset.new(base_iri=base, agent="Crash Tester", source="a crash stream test",
                              additions=additions, id=changeset_id)
    # One write per line: under PYTHONUNBUFFERED print() writes "ack", " " and the id apart,
    # and a kill between them left a line "ack" with no id, read as an acknowledged "".
    sys.stdout.write(f"begin {changeset_id}\n"); sys.stdout.flush()
    apply_changeset(store, changeset, log=log)
    sys.stdout.write(f"ack {changeset_id}\n"); sys.stdout.flush()
    n += 1
"""


def _graph(changeset_id: str) -> str:
    return f"{TEST_BASE}graph/changes/{changeset_id}"


def _check(data, acked: set[str], in_flight: str | None) -> dict:
    """Reopen and reconcile; check the promises; returns the figures."""
    store = Store.open(data, base_iri=TEST_BASE)
    try:
        log = ChangeLog.for_store(store)
        log.reconcile(store)
        entries = {e.id: e for e in log.entries()}
        committed = {i for i, e in entries.items() if e.status == COMMITTED}
        assert all(e.status in (COMMITTED, ABORTED) for e in entries.values()), "an unsettled log entry after reconcile"
        for changeset_id in acked:
            assert changeset_id in committed, f"acknowledged changeset {changeset_id} lost from the log"
            assert store.count(_graph(changeset_id)) == QUADS_PER_CHANGESET, (
                f"acknowledged {changeset_id} not all there"
            )
        if in_flight and in_flight not in acked:
            present = store.count(_graph(in_flight))
            assert present in (0, QUADS_PER_CHANGESET), f"{in_flight} half-present: {present} quads"
            assert (present == QUADS_PER_CHANGESET) == (in_flight in committed)
        # The store's changeset graphs and the log's committed entries are the same set.
        rows = store.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s <{TEST_BASE}def/crashStreamValue> ?o }} }}")
        in_store = {row["g"].value.rsplit("/", 1)[-1] for row in rows}
        stream_committed = {i for i in committed if entries[i].changeset.source == "a crash stream test"}
        assert in_store == stream_committed
        for changeset_id in in_store:
            assert store.count(_graph(changeset_id)) == QUADS_PER_CHANGESET
        return {"committed": len(stream_committed)}
    finally:
        store.close()


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "data"
    store = Store.open(path, base_iri=TEST_BASE, create=True)
    store.load_sources(graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    store.close()
    return path


def test_a_stream_of_writes_killed_again_and_again_loses_nothing(data):
    from zkg.validation.shacl import validate

    with _opened(data) as store:
        conformed_before = validate(store).conforms
    rng = random.Random(int(os.environ.get("ZKG_CRASH_SEED", "7")))
    acked: set[str] = set()
    kills = 0
    checked_writes = 0
    for run in range(KILLS):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(data), str(run), str(QUADS_PER_CHANGESET)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        first = writer.stdout.readline().strip()
        assert first == "ready", writer.stderr.read()
        time.sleep(rng.uniform(0.0, 0.6))
        writer.send_signal(signal.SIGKILL)
        out, err = writer.communicate(timeout=60)
        assert writer.returncode == -signal.SIGKILL, err
        kills += 1
        in_flight = None
        # Only whole lines: the kill may cut the last one short (after "ack", before its id).
        for line in out.split("\n")[:-1]:
            word, _, changeset_id = line.partition(" ")
            if word == "begin":
                in_flight = changeset_id
            elif word == "ack":
                acked.add(changeset_id)
        figures = _check(data, acked, in_flight)
        checked_writes += len(acked)
        assert figures["committed"] >= len(acked)
    with _opened(data) as store:
        assert validate(store).conforms == conformed_before
    print(
        f"crash stream: {kills} kills survived, {len(acked)} acknowledged changesets, "
        f"{checked_writes} acknowledged-changeset checks"
    )
    assert kills == KILLS


class _opened:
    def __init__(self, data):
        self.store = Store.open(data, base_iri=TEST_BASE)

    def __enter__(self):
        return self.store

    def __exit__(self, *exc):
        self.store.close()
