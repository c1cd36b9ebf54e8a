"""Crash safety: a process applying a large changeset to an on-disk store is killed with
SIGKILL; on reopening, the changeset is either all there or not at all, and the change log
agrees once reconciled.

Each run starts from a copy of the same freshly loaded store. Two runs kill the writer at the
two dangerous points (after the log entry is written but before the store commits; after the
store committed but before the log's commit mark); the others at random moments while the
changeset is being applied.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE
from zkg.curation.changelog import ABORTED, COMMITTED, ChangeLog
from zkg.curation.changesets import new_id
from zkg.store.local import Store

pytestmark = pytest.mark.slow

QUADS = 20_000
RANDOM_RUNS = 6

CHILD = r"""
import os, signal, sys, time
import pyoxigraph as ox
from zkg.store.local import Store
from zkg.curation.changelog import ChangeLog
from zkg.curation.changesets import Changeset
from zkg.curation.apply import apply_changeset

data, changeset_id, crash_at, quads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
base = "http://zkg.test/"
store = Store.open(data, base_iri=base)
log = ChangeLog.for_store(store)
p = ox.NamedNode(base + "def/crashTestValue")
additions = [ox.Quad(ox.NamedNode(f"{base}id/crash-{i // 10}"), p, ox.Literal(str(i)), ox.DefaultGraph())
             for i in range(quads)]
changeset = Changeset.new(base_iri=base, agent="Crash Tester", source="a crash test", additions=additions,
                          id=changeset_id)

def die():
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)

if crash_at == "before-store-commit":
    update = store.update
    store.update = lambda text, **options: die()
elif crash_at == "before-log-commit":
    ChangeLog.commit = lambda self, changeset_id: die()

print("start", flush=True)
started = time.monotonic()
apply_changeset(store, changeset, log=log)
print("done", time.monotonic() - started, flush=True)
"""


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A freshly loaded on-disk store (closed), and its dump."""
    path = tmp_path_factory.mktemp("pristine") / "data"
    store = Store.open(path, base_iri=TEST_BASE, create=True)
    store.load_sources(graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR)
    dump = store.dump(format="nquads")
    store.close()
    del store
    return path, dump


def _run(pristine, tmp_path, name: str, crash_at: str = "", kill_after: float | None = None):
    source, _ = pristine
    data = tmp_path / name
    shutil.copytree(source, data)
    changeset_id = new_id()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data), changeset_id, crash_at or "-", str(QUADS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "start", child.stderr.read()
    if kill_after is not None:
        time.sleep(kill_after)
        child.send_signal(signal.SIGKILL)
    out, err = child.communicate(timeout=300)
    return data, changeset_id, child.returncode, out, err


def _check(pristine, data, changeset_id) -> str:
    """Reopen, reconcile, and check all-or-nothing; returns COMMITTED or ABORTED."""
    _, pristine_dump = pristine
    store = Store.open(data, base_iri=TEST_BASE)
    log = ChangeLog.for_store(store)
    log.reconcile(store)
    graph = f"{TEST_BASE}graph/changes/{changeset_id}"
    present = store.count(graph)
    described = bool(store.query(f"ASK {{ GRAPH graph:metadata {{ <{graph}> a zkg:Changeset }} }}"))
    entry = log.entry(changeset_id)
    try:
        if present:
            assert present == QUADS and described
            assert entry is not None and entry.status == COMMITTED
            assert len(entry.changeset.additions) == QUADS
            return COMMITTED
        assert not described
        assert entry is None or entry.status == ABORTED
        assert store.dump(format="nquads") == pristine_dump
        assert all(e.status in (COMMITTED, ABORTED) for e in log.entries())
        return ABORTED
    finally:
        store.close()


def test_a_writer_that_completes(pristine, tmp_path):
    data, changeset_id, code, out, err = _run(pristine, tmp_path, "complete")
    assert code == 0, err
    assert _check(pristine, data, changeset_id) == COMMITTED


def test_killed_after_logging_before_the_store_commits(pristine, tmp_path):
    data, changeset_id, code, _, _ = _run(pristine, tmp_path, "before-store", crash_at="before-store-commit")
    assert code == -signal.SIGKILL
    assert _check(pristine, data, changeset_id) == ABORTED


def test_killed_after_the_store_commits_before_the_log_commit_mark(pristine, tmp_path):
    data, changeset_id, code, _, _ = _run(pristine, tmp_path, "before-log", crash_at="before-log-commit")
    assert code == -signal.SIGKILL
    assert _check(pristine, data, changeset_id) == COMMITTED


def test_killed_at_random_moments(pristine, tmp_path):
    data, changeset_id, code, out, err = _run(pristine, tmp_path, "timing")
    assert code == 0, err
    duration = float(out.split()[-1])
    rng = random.Random(int(os.environ.get("ZKG_CRASH_SEED", "5")))
    outcomes = []
    for run in range(RANDOM_RUNS):
        delay = rng.uniform(0, duration * 1.05)
        data, changeset_id, code, _, err = _run(pristine, tmp_path, f"random-{run}", kill_after=delay)
        outcomes.append((round(delay, 2), code, _check(pristine, data, changeset_id)))
    print("crash outcomes (delay, exit code, state):", duration, outcomes)
    # Kills before the end leave nothing; some runs may have finished before the kill.
    assert all(code in (0, -signal.SIGKILL) for _, code, _ in outcomes), outcomes
