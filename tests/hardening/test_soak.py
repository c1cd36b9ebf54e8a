"""A bounded soak (issue 7, load): readers and curator writers at once against a real
``zkg serve`` with two worker processes, on loopback (:mod:`benchmarks.soak`).

Readers ask SPARQL SELECT, ASK and CONSTRUCT, entity pages, data documents, label search and
a *snapshot* query counting each write's marker triples; writers add K-triple marker sets
(SPARQL Update and Graph Store POST) and delete earlier ones (DELETE WHERE, DELETE DATA,
Graph Store DELETE), each with a write token, reading every acknowledged write back on a new
connection. The test asserts what must hold, never a speed: no request failed; every
snapshot had each write whole (K triples) or absent, with every write acknowledged before
the query there and every acknowledged delete gone; each writer read its own writes at
once, also when another worker answered, and a data document revalidated with its ETag
after the delete was not 304; at the end every acknowledged write is there
exactly once and every acknowledged delete absent, and the change log and the metadata
graph hold each acknowledged changeset once, and nothing else of the soak.

The CI size runs 8 s with 8 readers and 2 writers on the fixture project (about 15 s in
all); each writer goes on past that until it made 6 writes (adds and deletes of every
kind), so a slow machine makes the test longer, never weaker. ``ZKG_SOAK_SECONDS`` sets the duration (run e.g. ``ZKG_SOAK_SECONDS=300`` locally);
``ZKG_SOAK_READERS`` and ``ZKG_SOAK_WRITERS`` the clients. The figures the benchmark prints
(``python -m benchmarks.soak``) are the longer local run of the README's Performance section.

The checks themselves (:mod:`benchmarks.soak_checks`) are shown to fail on bad answers first:
a partial write, a lost or duplicated one, a deleted one seen again, a changeset logged twice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from benchmarks import soak
from benchmarks.soak_checks import ACKED, IN_DOUBT, REFUSED, Write, check_final, check_log, check_snapshot
from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE

pytestmark = pytest.mark.slow

SECONDS = float(os.environ.get("ZKG_SOAK_SECONDS", "8"))
READERS = int(os.environ.get("ZKG_SOAK_READERS", "8"))
WRITERS = int(os.environ.get("ZKG_SOAK_WRITERS", "2"))
K = 4


def _written(subject, graph, *, state=ACKED, delete_state=None, changeset=None, delete_changeset=None):
    return Write(
        subject,
        "update",
        graph=graph,
        state=state,
        changeset=changeset or f"c-{subject}",
        delete_state=delete_state,
        delete_changeset=delete_changeset,
    )


# -- the checks fail on what they must catch -------------------------------------------------------


def test_a_snapshot_with_a_partial_stale_or_unknown_write_is_caught():
    before = (frozenset({"a", "b"}), frozenset({"c"}))
    known = {"a", "b", "c", "d"}.__contains__
    assert check_snapshot({"a": K, "b": K, "d": K}, K, before, known) == []
    assert check_snapshot({"a": K, "b": K - 1}, K, before, known) == [f"partial write b: {K - 1} of {K} triples"]
    assert check_snapshot({"a": K}, K, before, known) == ["acknowledged write b not seen"]
    assert check_snapshot({"a": K}, K, before, known, within=lambda s: s != "b") == []  # b outside the query
    assert check_snapshot({"a": K, "b": K, "c": K}, K, before, known) == ["deleted write c seen again"]
    assert check_snapshot({"a": K, "b": K, "e": K}, K, before, known) == ["unknown write e"]


def test_the_end_state_check_catches_lost_duplicated_and_resurrected_writes():
    writes = [
        _written("kept", "g1"),
        _written("gone", "g2", delete_state=ACKED),
        _written("doubt", None, state=IN_DOUBT),
        _written("refused", None, state=REFUSED),
    ]
    good = [("kept", "g1", K)]
    problems, figures = check_final(good, writes, K)
    assert problems == [] and figures == {"present_checked": 1, "absent_checked": 2, "in_doubt": 1}
    assert check_final(good + [("doubt", "g9", K)], writes, K)[0] == []  # all of a write in doubt: fine
    for bad, words in [
        ([], "should be"),  # lost
        ([("kept", "g1", K - 1)], "should be"),  # partial
        (good + [("kept", "g3", K)], "should be"),  # duplicated in another graph
        ([("kept", "g3", K)], "should be"),  # in the wrong graph
        (good + [("gone", "g2", K)], "should be absent"),  # a delete undone
        (good + [("refused", "g4", K)], "should be absent"),  # a refused write landed
        (good + [("doubt", "g9", 1)], "neither all there"),  # half a write in doubt
        (good + [("never", "g5", K)], "never sent"),
    ]:
        problems, _ = check_final(bad, writes, K)
        assert problems and words in problems[0], (bad, problems)


@dataclass
class _Entry:
    id: str
    status: str
    changeset: object


@dataclass
class _Changeset:
    additions: tuple = ()
    removals: tuple = ()


def test_the_change_log_check_catches_missing_duplicated_and_extra_changesets():
    from zkg.curation.changelog import ABORTED, COMMITTED

    writes = [
        _written("a", "g1", changeset="ca"),
        _written("b", "g2", changeset="cb", delete_state=ACKED, delete_changeset="cd"),
    ]
    adds, removes = _Changeset(additions=(1,) * K), _Changeset(removals=(1,) * K)
    entries = [_Entry("ca", COMMITTED, adds), _Entry("cb", COMMITTED, adds), _Entry("cd", COMMITTED, removes)]
    problems, figures = check_log(entries, writes, K, described=3)
    assert problems == [] and figures["committed"] == 3
    cases = [
        (entries[:2], 2, "cd (delete b) not in the log"),
        (entries + [_Entry("ca", COMMITTED, adds)], 4, "logged twice"),
        (entries + [_Entry("cx", COMMITTED, adds)], 4, "no writer was told of"),
        ([entries[0], _Entry("cb", ABORTED, adds), entries[2]], 2, "is aborted"),
        ([entries[0], _Entry("cb", COMMITTED, _Changeset(additions=(1,))), entries[2]], 3, "with 1 rows"),
        (entries, 4, "metadata graph describes 4"),
    ]
    for bad, described, words in cases:
        problems, _ = check_log(bad, writes, K, described=described)
        assert any(words in p for p in problems), (words, problems)


# -- the soak ----------------------------------------------------------------------------------------


def test_readers_and_curators_at_once_lose_nothing_and_see_whole_writes(tmp_path):
    # min_writes: each writer goes on until it made 6 writes (two deletes, one of each kind),
    # however slow the machine; the readers until the writers are done.
    config = soak.SoakConfig(
        duration=SECONDS,
        readers=READERS,
        writers=WRITERS,
        workers=2,
        threads=8,
        marker_triples=K,
        min_writes=6,
        base_iri=TEST_BASE,
        graph_dir=FIXTURE_PROJECT / "graph",
        ontology_dir=FIXTURE_PROJECT / "ontology",
    )
    results = soak.soak(config, tmp_path)
    print(soak.table(results))
    assert results["problems"] == []
    writes, reads = results["writes"], results["reads"]
    # The soak did what it is for: requests of every class, writes and deletes by both
    # methods, snapshots that saw writes, reads of one's own writes on the other worker.
    for kind in (
        "select",
        "ask",
        "construct",
        "page",
        "data",
        "search",
        "snapshot",
        "add_update",
        "add_graph_store",
        "delete_update",
        "delete_graph_store",
        "read_own_query",
        "read_own_data",
    ):
        assert results["classes"][kind]["requests"] > 0 and results["classes"][kind]["errors"] == 0, kind
    assert results["settings"]["worker_processes"] == 2
    assert writes["adds_acked"] >= 4 * WRITERS and writes["deletes_acked"] >= 2 * WRITERS
    assert writes["present_checked"] + writes["absent_checked"] == writes["adds_acked"]
    assert writes["in_doubt"] == 0
    assert writes["log"]["committed"] == writes["adds_acked"] + writes["deletes_acked"] == writes["log"]["described"]
    assert reads["snapshots"] > 0 and reads["snapshot_writes_seen"] > 0
    assert reads["read_own"] == 2 * (writes["adds_acked"] + writes["deletes_acked"])
    assert reads["read_own_cross_worker"] > 0 and reads["revalidated_after_delete"] > 0
