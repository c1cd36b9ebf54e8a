"""The history of curation: which committed changesets there are, who made them, what they
reverted, and which touched an entity, read from their PROV descriptions in the metadata graph
(written by :func:`zkg.curation.apply.apply_changeset`) and, for their quads, from the change log.

Read only: nothing here writes to the store; the change log of a front end on a shared engine
is caught up with the engine's first (:meth:`~zkg.curation.changelog.ChangeLog.catch_up`:
the changesets other front ends committed), so every front end shows the same history. History pages, feeds and ``zkg log`` show these entries; a
revert (:func:`zkg.curation.apply.revert`) asks :func:`reverted_by` whether a changeset was
reverted already.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

import pyoxigraph as ox

from zkg.base import deadline
from zkg.base.errors import StoreError
from zkg.curation.changelog import ChangeLog
from zkg.curation.changesets import CHANGES_PATH, ZKG_CHANGESET, Changeset, changeset_graph, changeset_id_of
from zkg.curation.reserved import METADATA_GRAPH_NAME
from zkg.rdf.namespaces import DCTERMS, PROV, RDFS
from zkg.rdf.prefixes import graph_iri


@dataclass(frozen=True)
class HistoryEntry:
    """One committed changeset, for history pages and feeds (newest first in lists)."""

    id: str
    iri: str  # the changeset's graph IRI
    agent: str
    agent_label: str | None
    time: datetime
    source: str  # IRI or citation text
    message: str
    reverts: str | None  # id
    reverted_by: str | None  # id of the changeset that reverted this one, if not itself reverted
    changed_graphs: tuple[str, ...]
    added: int
    removed: int
    changeset: Changeset | None = field(default=None, compare=False)  # the quads, from the log


def reverted_by(store, ids: list[str] | None = None) -> dict[str, str]:
    """{reverted id: id of the changeset reverting it}, for reverts themselves not reverted."""
    base = store.base_iri
    metadata = graph_iri(base, METADATA_GRAPH_NAME)
    values = ""
    if ids is not None:
        if not ids:
            return {}
        values = "VALUES ?a { " + " ".join(f"<{changeset_graph(base, i)}>" for i in ids) + " }"
    text = (
        f"SELECT ?r ?a WHERE {{ {values} GRAPH <{metadata}> {{ ?r <{base}def/reverts> ?a "
        f"FILTER NOT EXISTS {{ ?r2 <{base}def/reverts> ?r }} }} }}"
    )
    out = {}
    for row in store.query(text):
        a, r = changeset_id_of(base, row["a"].value), changeset_id_of(base, row["r"].value)
        if a and r:
            out[a] = r
    return out


def _described(store, *, ids: list[str] | None = None, limit: int | None = None) -> list[HistoryEntry]:
    base = store.base_iri
    metadata = graph_iri(base, METADATA_GRAPH_NAME)
    values = ""
    if ids is not None:
        if not ids:
            return []
        # Inside the graph pattern, first: Oxigraph then starts from these changesets (outside
        # it joined them with every changeset's description: 130 ms instead of 2 for an entity's
        # history once the metadata graph described 1,000 changesets).
        values = "VALUES ?c { " + " ".join(f"<{changeset_graph(base, i)}>" for i in ids) + " }"
    text = f"""SELECT ?c ?agent ?agentLabel ?time ?source ?citation ?message ?reverts ?added ?removed
                      (GROUP_CONCAT(STR(?graph); separator=" ") AS ?graphs) WHERE {{
        GRAPH <{metadata}> {{
            {values}
            ?c a <{base}{ZKG_CHANGESET}> ; <{PROV}generatedAtTime> ?time ; <{PROV}wasAttributedTo> ?agent .
            OPTIONAL {{ ?c <{PROV}wasDerivedFrom> ?source }}
            OPTIONAL {{ ?c <{DCTERMS}bibliographicCitation> ?citation }}
            OPTIONAL {{ ?c <{RDFS}comment> ?message }}
            OPTIONAL {{ ?c <{base}def/reverts> ?reverts }}
            OPTIONAL {{ ?c <{base}def/quadsAdded> ?added }}
            OPTIONAL {{ ?c <{base}def/quadsRemoved> ?removed }}
            OPTIONAL {{ ?c <{base}def/changedGraph> ?graph }}
            OPTIONAL {{ ?agent <{RDFS}label> ?agentLabel }}
        }}
    }} GROUP BY ?c ?agent ?agentLabel ?time ?source ?citation ?message ?reverts ?added ?removed
    ORDER BY DESC(?time) DESC(?c) {f"LIMIT {int(limit) * 2 + 10}" if limit else ""}"""
    entries, seen = [], set()
    for row in store.query(text):
        changeset_id = changeset_id_of(base, row["c"].value)
        if not changeset_id or changeset_id in seen:
            continue
        seen.add(changeset_id)
        value = lambda name: row[name].value if row[name] is not None else None  # noqa: E731
        try:
            time = datetime.fromisoformat(value("time"))
        except (TypeError, ValueError):
            time = datetime.fromtimestamp(0, timezone.utc)
        reverts = value("reverts")
        entries.append(
            HistoryEntry(
                id=changeset_id,
                iri=row["c"].value,
                agent=value("agent"),
                agent_label=value("agentLabel"),
                time=time,
                source=value("source") or value("citation") or "",
                message=value("message") or "",
                reverts=changeset_id_of(base, reverts) if reverts else None,
                reverted_by=None,
                changed_graphs=tuple(sorted((value("graphs") or "").split())),
                added=int(value("added") or 0),
                removed=int(value("removed") or 0),
            )
        )
        if limit and len(entries) >= limit:
            break
    return entries


def _with_details(store, entries: list[HistoryEntry], log: ChangeLog | None) -> list[HistoryEntry]:
    reverted = reverted_by(store, [e.id for e in entries])
    out = []
    for entry in entries:
        logged = log.entry(entry.id) if log is not None else None
        out.append(
            replace(
                entry, reverted_by=reverted.get(entry.id), changeset=logged.changeset if logged is not None else None
            )
        )
    return out


def catch_up_log(store, log: ChangeLog | None) -> None:
    """The log with the changesets other front ends committed at a shared engine (a log
    that cannot be written to now is read as it is: its own changesets are still right).
    Reads skip it while the engine's version marker has not moved since the log last caught
    up (:meth:`ChangeLog.catch_up <zkg.curation.changelog.ChangeLog.catch_up>`, ``if_moved``)."""
    if log is not None:
        try:
            log.catch_up(store, if_moved=True)
        except StoreError:
            pass


def get_changeset(store, changeset_id: str, *, log: ChangeLog | None) -> HistoryEntry | None:
    """One committed changeset (with its quads when the log has them), or None."""
    catch_up_log(store, log)
    found = _described(store, ids=[changeset_id])
    return _with_details(store, found, log)[0] if found else None


def history(store, iri: str, *, log: ChangeLog | None, limit: int | None = None) -> list[HistoryEntry]:
    """The committed changesets that added or removed a statement with ``iri`` as subject or
    object (or that changed the graph ``iri``), newest first."""
    term = ox.NamedNode(iri)
    catch_up_log(store, log)
    if log is not None:  # by the log's index: the entity's own entries, not the whole log
        ids = [e.id for e in deadline.checked(log.committed_touching(iri), every=16)]
    else:  # no log (a foreign engine): what the changesets' own graphs still hold
        base = store.base_iri
        rows = store.query(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {{ {term} ?p ?o }} UNION {{ ?s ?p {term} }} }} "
            f'FILTER(STRSTARTS(STR(?g), "{base}{CHANGES_PATH}")) }}'
        )
        ids = [i for i in (changeset_id_of(base, r["g"].value) for r in rows) if i]
    entries = _described(store, ids=ids)
    if limit:
        entries = entries[:limit]
    return _with_details(store, entries, log)


def recent_changes(store, limit: int = 50, *, log: ChangeLog | None = None) -> list[HistoryEntry]:
    """The latest committed changesets, newest first (from the metadata graph)."""
    catch_up_log(store, log)
    return _with_details(store, _described(store, limit=limit), log)
