"""History read by the change log's index (issue 18): an entity's history costs its own
entries, not the length of the log, and finds exactly what the old scan of every committed
entry found (kept here, :func:`scanned` and :func:`scanned_history`, as the oracle)."""

from __future__ import annotations

import random
from dataclasses import replace

import pyoxigraph as ox

from tests.support.zkg_testing import TEST_BASE
from zkg.curation import history as history_module
from zkg.curation.apply import apply_changeset, revert
from zkg.curation.changelog import ABORTED, COMMITTED, LOG_FILE, PENDING, ChangeLog
from zkg.curation.changelog_entries import LogEntry
from zkg.curation.changesets import Changeset, new_id, to_rdf_patch
from zkg.curation.history import history
from zkg.store.facade import Capabilities

B = TEST_BASE
PREDICATES = [ox.NamedNode(B + f"def/p{n}") for n in range(4)]
GRAPHS = [ox.NamedNode(B + f"graph/g{n}") for n in range(5)]


# -- the oracle: the old scan of every committed entry ----------------------------------------


def scanned(log: ChangeLog, iri: str) -> list[str]:
    """The ids of the committed entries that touched ``iri``, as history found them before."""
    term = ox.NamedNode(iri)
    return [
        e.id
        for e in log.committed()
        if iri in e.changeset.changed_graphs()
        or any(q.subject == term or q.object == term for q in (*e.changeset.additions, *e.changeset.removals))
    ]


def scanned_history(store, iri: str, *, log: ChangeLog, limit: int | None = None):
    """``history()`` as it was: the scan, then the descriptions, then each entry found by a
    scan of the log from its end."""
    entries = history_module._described(store, ids=scanned(log, iri))
    if limit:
        entries = entries[:limit]
    reverted = history_module.reverted_by(store, [e.id for e in entries])
    everything = log.entries()
    out = []
    for entry in entries:
        logged = next((e for e in reversed(everything) if e.id == entry.id), None)
        out.append(replace(entry, reverted_by=reverted.get(entry.id), changeset=logged.changeset if logged else None))
    return out


def same(found, expected) -> bool:
    """Entries equal, their quads too (HistoryEntry leaves its changeset out of ==)."""
    return found == expected and [e.changeset for e in found] == [e.changeset for e in expected]


# -- generated logs ------------------------------------------------------------------------------


def generated(rng: random.Random, entities: list[ox.NamedNode], count: int) -> list[tuple[Changeset, str]]:
    """``count`` changesets (and how each ends: TC, TA) on ``entities``: IRI and blank
    subjects, IRI, literal and blank objects, quads added and removed in five graphs."""

    def quad(n: int) -> ox.Quad:
        subject = rng.choice(entities) if rng.random() < 0.9 else ox.BlankNode(f"b{n}")
        roll = rng.random()
        if roll < 0.4:
            obj = rng.choice(entities)
        elif roll < 0.9:
            obj = ox.Literal(f"value {n}", language=rng.choice(("en", "zh-Hans")))
        else:
            obj = ox.BlankNode(f"o{n}")
        return ox.Quad(subject, rng.choice(PREDICATES), obj, rng.choice(GRAPHS))

    out = []
    for k in range(count):
        additions = [quad(k * 10 + j) for j in range(rng.randint(0, 4))]
        removals = [quad(k * 10 + 5 + j) for j in range(rng.randint(0 if additions else 1, 3))]
        removals = [q for q in removals if q not in additions]
        changeset = Changeset.new(
            base_iri=B, agent="Generator", source="https://example.org/g", additions=additions, removals=removals
        )
        out.append((changeset, "TA" if rng.random() < 0.1 else "TC"))
    return out


def write_log(path, changesets: list[tuple[Changeset, str]]) -> None:
    """The log file those changesets make, as the writer appends them."""
    with open(path, "a", encoding="utf-8") as handle:
        for changeset, end in changesets:
            text = to_rdf_patch(changeset)
            handle.write(text if end == "TC" else text.removesuffix("TC .\n") + "TA .\n")


def entries_read(monkeypatch) -> set[int]:
    """Instrument: a set that collects every log entry whose attributes are read from now on."""
    seen: set[int] = set()
    original = LogEntry.__getattribute__

    def counting(self, name):
        seen.add(id(self))
        return original(self, name)

    monkeypatch.setattr(LogEntry, "__getattribute__", counting)
    return seen


def test_the_index_finds_what_the_scan_found(tmp_path):
    rng = random.Random(18)
    entities = [ox.NamedNode(B + f"id/e{n}") for n in range(150)]
    path = tmp_path / LOG_FILE
    write_log(path, generated(rng, entities, 3000))
    pending = Changeset.new(
        base_iri=B,
        agent="Generator",
        source="s",
        additions=[ox.Quad(entities[0], PREDICATES[0], entities[1], GRAPHS[0])],
    )
    with open(path, "a", encoding="utf-8") as handle:  # the last entry is pending: in no history yet
        handle.write(to_rdf_patch(pending).removesuffix("TC .\n"))
    log = ChangeLog(path, base_iri=B)
    assert log.entries()[-1].status == PENDING
    named = [e.value for e in entities] + [g.value for g in GRAPHS] + [p.value for p in PREDICATES]
    for iri in [*named, B + "id/nobody"]:
        assert [e.id for e in log.committed_touching(iri)] == scanned(log, iri), iri
    everything = log.entries()
    for entry in rng.sample(everything, 200) + [everything[-1]]:
        assert log.entry(entry.id) == next(e for e in reversed(everything) if e.id == entry.id)
    assert log.entry(new_id()) is None


def test_an_entity_history_reads_its_own_entries_only(store, helpers, tmp_path, monkeypatch):
    """Thousands of changesets on other entities in the log: a history read touches none of
    them (counted), and its result is the old scan's, with and without a limit."""
    rng = random.Random(7)
    path = tmp_path / LOG_FILE
    write_log(path, generated(rng, [ox.NamedNode(B + f"id/other-{n}") for n in range(300)], 3000))
    log = ChangeLog(path, base_iri=B)
    things = [B + f"id/thing-{n}" for n in range(3)]
    applied = []
    for n in range(7):  # real ones, described in the store, among the generated ones
        write_log(path, generated(rng, [ox.NamedNode(B + "id/other-0")], 100))
        text = f'id:thing-{n % 3} schema:description "thing {n}"@en . id:thing-{n % 3} schema:about id:thing-{(n + 1) % 3} .'
        applied.append(apply_changeset(store, helpers.changeset(add=text), log=log).changeset)
    undo = revert(store, applied[0].id, log=log, agent="Reviewer", message="undo")
    assert len(log.committed()) > 3000

    for iri in things:
        for limit in (None, 2):
            log.entries()  # read the file first: what a history read may cost is its own entries
            seen = entries_read(monkeypatch)
            found = history(store, iri, log=log, limit=limit)
            monkeypatch.undo()
            hits = scanned(log, iri)
            assert 0 < len(seen) <= len(hits), (iri, len(seen), len(hits))
            assert same(found, scanned_history(store, iri, log=log, limit=limit))
            assert len(found) == min(len(hits), limit or len(hits))
    assert undo.id in [e.id for e in history(store, things[0], log=log)]


# -- the index through a log's life ----------------------------------------------------------------


def touching(log: ChangeLog, iri: str) -> list[str]:
    return [e.id for e in log.committed_touching(iri)]


def test_the_index_follows_commit_abort_revert_and_a_reopened_log(store, helpers, tmp_path):
    path = tmp_path / LOG_FILE
    log = ChangeLog(path, base_iri=B)
    thing, other = B + "id/thing-1", B + "id/thing-2"
    first = apply_changeset(store, helpers.changeset(add='id:thing-1 schema:description "one"@en .'), log=log)
    assert touching(log, thing) == [first.id] and touching(log, other) == []

    aborted = helpers.changeset(add="id:thing-1 schema:about id:thing-2 .")
    log.begin(aborted)
    assert touching(log, thing) == [first.id] and log.entry(aborted.id).status == PENDING
    log.abort(aborted.id)
    assert touching(log, other) == [] and log.entry(aborted.id).status == ABORTED

    settled = helpers.changeset(add="id:thing-2 schema:about id:thing-1 .")
    log.begin(settled)  # pending, and not in the store: reconcile aborts it
    assert log.reconcile(store) == {settled.id: ABORTED} and touching(log, other) == []

    second = apply_changeset(store, helpers.changeset(add="id:thing-2 schema:about id:thing-1 ."), log=log)
    undo = revert(store, first.id, log=log, agent="Reviewer", message="undo")
    assert touching(log, thing) == [first.id, second.id, undo.id]
    assert touching(log, other) == [second.id]
    assert log.entry(undo.id).status == COMMITTED

    # Another process's log object on the same file appends; both see it, and so does a new one.
    elsewhere = ChangeLog(path, base_iri=B)
    third = apply_changeset(store, helpers.changeset(add='id:thing-2 schema:description "two"@en .'), log=elsewhere)
    reopened = ChangeLog(path, base_iri=B)
    for each in (log, elsewhere, reopened):
        assert touching(each, other) == [second.id, third.id] == scanned(each, other)
        assert touching(each, thing) == scanned(each, thing)
        assert each.entry(aborted.id).status == ABORTED and each.entry(third.id).status == COMMITTED
        assert [e.id for e in history(store, other, log=each)] == [third.id, second.id]


class SharedEngine:
    """Front ends on one engine (zkg.store.engine_version.is_shared), played by views of one
    in-memory store: each update moves the engine's version marker, as RemoteStore's do, and
    every query is counted."""

    def __init__(self, store):
        self.store, self.marker, self.queries = store, "v0", 0

    def front_end(self):
        return _FrontEnd(self)


class _FrontEnd:
    def __init__(self, engine: SharedEngine):
        self._engine = engine

    def __getattr__(self, name):
        return getattr(self._engine.store, name)

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(in_process=False)

    @property
    def engine_marker(self):
        return self._engine.marker, None

    def query(self, *args, **kwargs):
        self._engine.queries += 1
        return self._engine.store.query(*args, **kwargs)

    def update(self, *args, **kwargs):
        self._engine.store.update(*args, **kwargs)
        self._engine.marker = new_id()


def test_catch_up_feeds_the_index_and_reads_skip_it_while_the_marker_stands(store, helpers, tmp_path):
    engine = SharedEngine(store)
    a, b = engine.front_end(), engine.front_end()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    log_a, log_b = ChangeLog(tmp_path / "a" / LOG_FILE, base_iri=B), ChangeLog(tmp_path / "b" / LOG_FILE, base_iri=B)
    thing = B + "id/thing-1"
    first = apply_changeset(b, helpers.changeset(add='id:thing-1 schema:description "one"@en .'), log=log_b)

    assert [e.id for e in history(a, thing, log=log_a)] == [first.id]  # caught up from the engine
    assert touching(log_a, thing) == [first.id]
    before = engine.queries
    history_module.catch_up_log(a, log_a)  # the marker has not moved: no query at all
    assert engine.queries == before
    assert log_a.catch_up(a) == 0 and engine.queries == before + 1  # a write's catch up always asks

    second = apply_changeset(b, helpers.changeset(add="id:thing-1 schema:about id:thing-2 ."), log=log_b)
    assert [e.id for e in history(a, thing, log=log_a)] == [second.id, first.id]  # the marker moved
    assert touching(log_a, B + "id/thing-2") == [second.id] == scanned(log_a, B + "id/thing-2")
    undo = revert(a, second.id, log=log_a, agent="Reviewer", message="undo")  # A reverts B's change
    assert [e.id for e in history(b, thing, log=log_b)] == [undo.id, second.id, first.id]
    reopened = ChangeLog(tmp_path / "b" / LOG_FILE, base_iri=B)
    assert touching(reopened, thing) == touching(log_b, thing) == scanned(reopened, thing)

    engine.marker = ""  # an engine without a marker: every read asks
    before = engine.queries
    history_module.catch_up_log(a, log_a)
    history_module.catch_up_log(a, log_a)
    assert engine.queries == before + 2


def test_the_history_without_a_log_is_the_same(store, helpers):
    """The branch without a log (a foreign engine) reads the changesets' own graphs, as before."""
    log = ChangeLog(None, base_iri=B)
    applied = apply_changeset(store, helpers.changeset(add='id:thing-1 schema:description "one"@en .'), log=log)
    thing = B + "id/thing-1"
    assert [e.id for e in history(store, thing, log=None)] == [e.id for e in history(store, thing, log=log)]
    assert [e.id for e in history(store, thing, log=None)] == [applied.id]
