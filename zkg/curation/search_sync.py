"""The data directory's label index file (:mod:`zkg.linked_data.search_database`) kept in step
with the store: built whole by ``zkg load`` (or by the first reader, when missing or of
another load), then brought up to date a few resources at a time from the change log.

The file records what it reflects: ``source``, the load (:func:`source_of`: the base IRI
and the load record, which every ``zkg load`` renews), and ``position``, the byte of the change
log up to which its committed changesets are in it. To catch up (:func:`catch_up`), the
changesets committed since are read from the log, the resources they touch (subjects and
IRI objects of their rows, and of their description in the metadata graph: the changeset,
its agent, its graphs) have their names, descriptions, dates and counts read again from the
store, and their rows replaced, in one transaction that also moves the position. The write
path does it right after a changeset lands, inside the writer lock
(:func:`after_commit`), so a search in any worker finds the write as soon as it is answered;
a process that finds the file behind the log (a write by a front end on a shared engine,
whose log learnt it by :meth:`zkg.curation.changelog.ChangeLog.catch_up`; a write path that
failed to update the file) catches up the same way. Each catch-up and rebuild holds the
file's write lock (``BEGIN IMMEDIATE``) and looks at the position again inside it, so
processes racing to do the same work do it once.

Which stores keep their label index in the file (:func:`keeps_search_file`): those with a
writable data directory. Others (in memory, read-only) build it in memory per dataset
version (:meth:`zkg.linked_data.search.LabelIndex.from_store`).

>>> import tempfile
>>> from zkg.store.local import Store
>>> from zkg.curation.apply import apply_changeset
>>> from zkg.curation.changesets import Changeset
>>> from zkg.rdf.namespaces import RDFS
>>> store = Store.open(tempfile.mkdtemp(), base_iri="http://zkg.test/", create=True)
>>> keeper = SearchKeeper(store)
>>> keeper.current(store).search("park"), keeper.rebuilds
([], 1)
>>> log = ChangeLog.for_store(store)
>>> park = ox.Quad(ox.NamedNode("http://zkg.test/id/zp"), ox.NamedNode(RDFS + "label"), ox.Literal("Z-Park", language="en"), ox.NamedNode("http://zkg.test/graph/g"))
>>> _ = apply_changeset(store, Changeset.new(base_iri=store.base_iri, agent="http://zkg.test/id/agent/a", source="test", additions=[park]), log=log)
>>> [h.iri for h in keeper.current(store).search("park")], keeper.rebuilds
(['http://zkg.test/id/zp'], 1)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path

import pyoxigraph as ox

from zkg.curation.changelog import ChangeLog, LogEntry
from zkg.curation.changesets import ZKG_CHANGESET, changeset_graph
from zkg.curation.history import catch_up_log
from zkg.linked_data.search import read_names
from zkg.linked_data.search_database import DATABASE_FILE, SearchDatabase
from zkg.linked_data.stored_search import StoredLabelIndex
from zkg.rdf.namespaces import PROV

log = logging.getLogger(__name__)


def keeps_search_file(store) -> bool:
    """Whether the store's label index is kept in its data directory's file: a store with a
    data directory it may write to (its declared ``data_dir`` and ``read_only_reason``)."""
    return store.data_dir is not None and store.read_only_reason is None and os.access(store.data_dir, os.W_OK)


def search_file(store) -> Path:
    return Path(store.data_dir) / DATABASE_FILE


def source_of(store) -> str:
    """What the file must have been built from: the base IRI and the last load's record.

    >>> from zkg.store.local import Store
    >>> len(source_of(Store.open(base_iri="http://zkg.test/")))
    20
    """
    record = json.dumps({"base": store.base_iri, "load": store.load_record or {}}, sort_keys=True, default=str)
    return hashlib.sha256(record.encode("utf-8")).hexdigest()[:20]


def touched(entry: LogEntry, base_iri: str) -> set[str]:
    """The IRIs whose names, descriptions, dates or counts a committed changeset may change:
    the subjects and IRI objects of its rows, and what its description in the metadata graph
    names (:func:`zkg.curation.apply.metadata_quads`)."""
    changeset = entry.changeset
    iris = {changeset_graph(base_iri, changeset.id), changeset.agent, PROV + "Entity", PROV + "Agent"}
    iris.add(base_iri + ZKG_CHANGESET)
    if changeset.source_is_iri:
        iris.add(changeset.source)
    if changeset.reverts:
        iris.add(changeset_graph(base_iri, changeset.reverts))
    iris.update(name for name in changeset.changed_graphs() if name)
    for quad in (*changeset.additions, *changeset.removals):
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
    return iris


def rebuild(store, database: SearchDatabase, changes: ChangeLog, *, force: bool = False) -> bool:
    """Build the file whole from the store, unless (``force`` aside) it already reflects the
    store's load; returns whether it did. The position is the log's settled end: the store
    holds every changeset committed before it."""
    source = source_of(store)
    # The log's lock is taken before the file's, never inside it: the write path holds the
    # log's lock while it brings the file up to date (after_commit), so a reader holding the
    # file's write lock and waiting for the log's would stall both until SQLite's timeout.
    _entries, end = changes.settled_since(0)
    with database.transaction():
        if not force and database.state()[0] == source:
            return False
        names = read_names(store)
        database.clear()
        database.insert(names)
        database.record(source=source, position=end)
    database.checkpoint()
    return True


def catch_up(store, database: SearchDatabase, changes: ChangeLog) -> int | None:
    """Follow the change log from the file's position: the resources its new changesets touch
    read again and replaced. Returns how many changesets; None when the file is not of the
    store's load (a rebuild is due)."""
    source = source_of(store)
    while True:
        state = database.state()
        if state[0] != source:
            return None
        # The log read before the file's write lock is taken (see rebuild: the lock order).
        entries, end = changes.settled_since(state[1])
        if end == state[1]:
            return 0  # nothing new: no write lock taken
        with database.transaction():
            if database.state() != state:  # another caught up meanwhile: read the log again
                continue
            iris: set[str] = set()
            for entry in entries:
                iris |= touched(entry, store.base_iri)
            if iris:
                ordered = sorted(iris)
                database.remove(ordered)
                database.insert(read_names(store, ordered))
            database.record(position=end)
        return len(entries)


def after_commit(store, changes: ChangeLog) -> None:
    """The write path's step after a changeset landed (inside the writer lock): the file, when
    there is one of this load, catches up. A failure is logged, never raised: the write is
    done, and the next reader catches up."""
    if not keeps_search_file(store) or not search_file(store).exists():
        return
    try:
        database = SearchDatabase(search_file(store))
        try:
            catch_up(store, database, changes)
        finally:
            database.close()
    except Exception as error:  # noqa: BLE001  (see the docstring; one line, as zkg's warnings are)
        log.warning("the search index could not follow the write (%s); readers will catch up", error)


def build_for_load(store) -> None:
    """``zkg load``'s last step: the file built afresh for what was loaded (for a store that
    keeps one)."""
    if not keeps_search_file(store):
        return
    database = SearchDatabase(search_file(store))
    try:
        rebuild(store, database, ChangeLog.for_store(store), force=True)
    finally:
        database.close()


def prepare(store) -> bool:
    """``zkg serve``'s start, beside the serving (a thread of the parent): the file built when
    missing or of another load (a data directory loaded by a zkg before it), so that the
    first search finds it ready or waits for this one build, never for one of its own.
    Returns whether it built; a failure is logged (the first reader builds it then)."""
    if not keeps_search_file(store):
        return False
    try:
        database = SearchDatabase(search_file(store))
        try:
            return rebuild(store, database, ChangeLog.for_store(store))
        finally:
            database.close()
    except Exception as error:  # noqa: BLE001  (see the docstring; one line, as zkg's warnings are)
        log.warning("the search index could not be built at start (%s); the first search builds it", error)
        return False


def prepare_in_background(store) -> threading.Thread:
    thread = threading.Thread(target=prepare, args=(store,), name="zkg-search-index", daemon=True)
    thread.start()
    return thread


class SearchKeeper:
    """A process's hold on the file: :meth:`current` brings it up to date (rebuilt when of
    another load, caught up from the log otherwise) and returns the index that reads it.
    ``rebuilds`` counts the rebuilds this process made (tests and measurements read it)."""

    def __init__(self, store):
        self.path = search_file(store)
        self.database = SearchDatabase(self.path)
        self.changes = ChangeLog.for_store(store)
        self.index = StoredLabelIndex(self.path)
        self.rebuilds = 0
        self._lock = threading.Lock()

    def current(self, store) -> StoredLabelIndex:
        with self._lock:
            # At an engine other front ends write to, the log learns their changesets first.
            catch_up_log(store, self.changes)
            if catch_up(store, self.database, self.changes) is None:
                if rebuild(store, self.database, self.changes):
                    self.rebuilds += 1
                catch_up(store, self.database, self.changes)
            self.index.refreshed()
            return self.index
