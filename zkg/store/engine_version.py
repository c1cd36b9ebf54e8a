"""The dataset version as the engine records it: how front ends that share a remote engine,
and nothing else, learn of each other's writes.

Several ``zkg serve --store sparql+http://…`` front ends (separate machines, separate data
directories) in front of one engine cannot see each other's write stamps and change logs
(:func:`zkg.store.version.shared_marker`): the only thing they share is the engine. So every
update a :class:`~zkg.store.remote.RemoteStore` sends to an engine zkg does not run also
replaces one *marker* triple, in the same request (one request is one transaction at the
engine, as the write path's own commit already relies on):

    <{base}graph/metadata> <{base}def/datasetVersion> "2026-12-07T17:00:00.123456+00:00 3f9a…" .

in the metadata graph, which only zkg writes (:mod:`zkg.curation.reserved` refuses it to
curators, so nobody can forge or freeze it). Each front end reads it back at most once per
:data:`CHECK_INTERVAL` (:class:`EngineMarker`), and its dataset version includes it: a write
through any front end changes the ETags, Last-Modified and every per-version cache (search
index, catalogues) of every other one within that interval.

Why a marker and not the latest changeset of the metadata graph: reading the marker is one
triple pattern with a constant subject and predicate (an index lookup, the same cost however
long the history), where "the latest changeset" sorts every changeset's time; and the marker
also moves with updates that are not changesets (a load through zkg's own ``RemoteStore``).
Writes made to the engine with other tools, not through zkg, do not move it: after such a
load, restart the front ends (docs/operations/serving.md).

The time a front end puts in its version is when *it* first saw a marker, not the writer's
clock: a client may hold a Last-Modified this front end sent while it did not yet know of
the write, and that date must not match the new data (:func:`zkg.store.version.not_modified`).

>>> marker = EngineMarker("http://zkg.test/", lambda text: "a", interval=3600)
>>> marker.current()[0], marker.current()[1] is None  # the first value seen: no change to date
('a', True)
>>> print(marker.replace_text("b", "urn:x-zkg:default"))  # doctest: +NORMALIZE_WHITESPACE
DELETE WHERE { GRAPH <http://zkg.test/graph/metadata> {
    <http://zkg.test/graph/metadata> <http://zkg.test/def/datasetVersion> ?version } } ;
DELETE WHERE { GRAPH <urn:x-zkg:default> {
    <http://zkg.test/graph/metadata> <http://zkg.test/def/datasetVersion> ?version } } ;
INSERT DATA { GRAPH <http://zkg.test/graph/metadata> {
    <http://zkg.test/graph/metadata> <http://zkg.test/def/datasetVersion> "b" }
    GRAPH <urn:x-zkg:default> { <http://zkg.test/graph/metadata> <http://zkg.test/def/datasetVersion> "b" } }
>>> marker.written("b"); marker.current()[0], marker.current()[1] is not None
('b', True)
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime, timezone
from typing import Callable

from zkg.rdf.prefixes import graph_iri
from zkg.store.facade import StoreFacade

#: Seconds between two reads of the marker by one process: the bound on how long a front
#: end serves data another front end has changed (measured cost of one read: a few ms on
#: loopback, docs/operations/serving.md).
CHECK_INTERVAL = 1.0
#: The graph the marker lives in: the metadata graph (zkg.curation.reserved.METADATA_GRAPH_NAME,
#: which tests/remote/test_scale_out.py checks is the same name).
METADATA_GRAPH_NAME = "metadata"
#: The marker's predicate, under the base IRI.
MARKER_PREDICATE = "def/datasetVersion"


def new_token() -> str:
    """A marker value nobody else writes: the time (for people reading it) and 64 random bits."""
    return f"{datetime.now(timezone.utc).isoformat()} {secrets.token_hex(8)}"


class EngineMarker:
    """The engine's marker as this process knows it: ``read(select_text)`` asks the engine
    (returns the value, or None when there is none yet, and raises when the engine does not
    answer), at most once per ``interval`` seconds, by one thread at a time; the others,
    and every caller within the interval, get the value last read."""

    def __init__(self, base_iri: str, read: Callable[[str], str | None], *, interval: float = CHECK_INTERVAL):
        graph = graph_iri(base_iri, METADATA_GRAPH_NAME)
        self._pattern = f"<{graph}> <{base_iri}{MARKER_PREDICATE}>"
        self._graph = graph
        self._read = read
        self.interval = interval
        self._lock = threading.Lock()
        self._value: str | None = None
        self._seen_at: datetime | None = None  # when this process first saw the value (None: at start)
        self._read_at = -float("inf")  # time.monotonic() of the last read
        self._known = False

    @property
    def select_text(self) -> str:
        """Read from the default graph, the union of the named graphs, which holds the marker
        too (:meth:`replace_text`): a query reading no named graph, for which the remote store
        need not know them (:meth:`zkg.store.remote.RemoteStore.data_graphs` is per marker)."""
        return f"SELECT ?version WHERE {{ {self._pattern} ?version }}"

    def replace_text(self, token: str, union: str | None = None, *, in_union: bool = True) -> str:
        """The operations that put ``token`` in place of the marker, to end an update with; in
        the union graph too (``union``: its IRI, None: the default graph), which holds every
        statement of the metadata graph (:mod:`zkg.store.union_graph`), where the engine
        keeps one (``in_union``; Virtuoso's default graph is every graph already)."""
        if not in_union:
            return (
                f"DELETE WHERE {{ GRAPH <{self._graph}> {{ {self._pattern} ?version }} }} ;\n"
                f'INSERT DATA {{ GRAPH <{self._graph}> {{ {self._pattern} "{token}" }} }}'
            )
        held = f"{self._pattern} ?version" if union is None else f"GRAPH <{union}> {{ {self._pattern} ?version }}"
        new = f'{self._pattern} "{token}"'
        return (
            f"DELETE WHERE {{ GRAPH <{self._graph}> {{ {self._pattern} ?version }} }} ;\n"
            f"DELETE WHERE {{ {held} }} ;\n"
            f"INSERT DATA {{ GRAPH <{self._graph}> {{ {new} }} "
            + (f"{new} }}" if union is None else f"GRAPH <{union}> {{ {new} }} }}")
        )

    def _take(self, value: str | None) -> None:
        if not self._known:
            self._known = True
        elif value != self._value:
            self._seen_at = datetime.now(timezone.utc)
        self._value = value

    def written(self, token: str) -> None:
        """This process has just written ``token``: known at once, no read needed."""
        with self._lock:
            self._take(token)
            self._read_at = time.monotonic()

    def current(self) -> tuple[str, datetime | None]:
        """(the marker's value, '' if none; when this process first saw it, None if at start),
        read from the engine when the last read is older than the interval."""
        # The first read is waited for (no version without it); later, a thread finding
        # another one reading goes on with the value last read rather than queue behind it.
        if time.monotonic() - self._read_at >= self.interval and self._lock.acquire(blocking=not self._known):
            try:
                if time.monotonic() - self._read_at >= self.interval:
                    try:
                        value = self._read(self.select_text)
                    except Exception:  # noqa: BLE001  (an engine not answering: the request itself will say so)
                        value = self._value
                    self._take(value)
                    self._read_at = time.monotonic()
            finally:
                self._lock.release()
        return self._value or "", self._seen_at


def is_shared(store: StoreFacade) -> bool:
    """Whether other front ends may write to ``store``'s engine: one zkg does not run (its
    change log is then shared through the engine's metadata: :mod:`zkg.curation.changelog`).

    >>> from zkg.store.local import Store
    >>> is_shared(Store.open(base_iri="http://zkg.test/"))
    False
    """
    return not store.capabilities.in_process and not store.capabilities.supervised_engine


def marker_of(store: StoreFacade, *, interval: float = CHECK_INTERVAL) -> EngineMarker:
    """The marker of ``store``'s engine, read through the store's own queries."""

    def read(text: str) -> str | None:
        for row in store.query(text):
            return str(row["version"].value)
        return None

    return EngineMarker(store.base_iri, read, interval=interval)


def read_marker(store: StoreFacade) -> str:
    """The marker as the engine holds it now (one query, not the value last read), '' for a
    store no other front end writes to: the write path compares two readings to tell whether
    another front end committed in between (:func:`zkg.curation.apply.apply_changeset`)."""
    return marker_of(store, interval=0).current()[0] if is_shared(store) else ""
