"""What only zkg writes, so that no curator's changeset may change it (HTTP 403; CLI exit 1).

- **The vocabulary and the shapes graphs**: they change through ``ontology/`` and ``zkg load``.
- **The history, in the metadata graph**: the description of every changeset
  (``{base}graph/changes/ID``) and the record of every agent a changeset is attributed to
  (``{base}id/agent/…``, or the IRI given to ``--by``). Every statement of the metadata graph
  whose subject or object is one of them is zkg's: otherwise a curator could rename another
  curator (history would show the wrong author), or mark a changeset reverted.
- **Statements about changesets and zkg's agents in any graph** (subject ``{base}graph/changes/…``
  or ``{base}id/agent/…``): they would read like the history next to it.
- **Each changeset's own graph** ``{base}graph/changes/ID``: its name says which changeset (so
  which curator, from which source) its statements come from, so statements are added to it by
  that changeset only, and put back by the revert of a removal from it. Removing from it is
  correcting facts, and allowed like any removal.

:func:`check` refuses a changeset touching any of it; :func:`keep` tells a clear of
everything (CLEAR ALL, DROP NAMED, …) which quads to leave. zkg's own writes (the changeset's
description in :func:`zkg.curation.apply.apply_changeset`, ``zkg load``) do not go through them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pyoxigraph as ox

from zkg.curation.changesets import AGENT_PATH, CHANGES_PATH, ChangesetError
from zkg.rdf.namespaces import PROV
from zkg.rdf.prefixes import graph_iri
from zkg.store import loading

METADATA_GRAPH_NAME = "metadata"
PROV_ATTRIBUTED = PROV + "wasAttributedTo"


class Reserved(ChangesetError):
    """A changeset that would change what only zkg writes (HTTP 403; CLI exit 1)."""

    http_status = 403


@dataclass(frozen=True)
class Rules:
    closed: dict  # graph IRI -> what it is
    metadata: str
    changes: str  # the prefix of changeset IRIs and graphs
    agents: str  # the prefix of the agents zkg names
    attributed: frozenset  # IRIs changesets are attributed to

    def is_record(self, term) -> bool:
        """Whether ``term`` is a changeset or an agent of one."""
        return isinstance(term, ox.NamedNode) and (
            term.value.startswith((self.changes, self.agents)) or term.value in self.attributed
        )

    def reason(self, quad: ox.Quad, *, adding: bool, own_graph: str = "", restoring: bool = False) -> str | None:
        """Why ``quad`` may not be added (``adding``) or removed by a curator's changeset, or None.
        ``own_graph``: the changeset's own graph; ``restoring``: a revert, which puts back what
        another changeset removed."""
        graph = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
        if graph in self.closed:
            return f"{self.closed[graph]} ({graph}) cannot be changed by a changeset: edit ontology/ and run `zkg load`"
        if graph == self.metadata and (self.is_record(quad.subject) or self.is_record(quad.object)):
            return (
                f"the description of changesets and of their agents in {self.metadata} is written by zkg only "
                f"(the statement {quad})"
            )
        subject = quad.subject
        if isinstance(subject, ox.NamedNode) and subject.value.startswith((self.changes, self.agents)):
            return f"statements about changesets and their agents ({subject}) are written by zkg only"
        if adding and graph.startswith(self.changes) and graph != own_graph and not restoring:
            return (
                f"the graph {graph} holds what its own changeset added, and nothing else: it is written by zkg "
                "only (write to another graph, or without a graph: to the new changeset's own)"
            )
        return None


def rules(store, *, quads=None) -> Rules:
    """The rules for ``store``. The agents changesets are attributed to are read from the
    metadata graph only when ``quads`` (those to be checked) touch it (None: always)."""
    base = store.base_iri
    metadata = graph_iri(base, METADATA_GRAPH_NAME)
    attributed: frozenset = frozenset()
    if quads is None or any(isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == metadata for q in quads):
        text = (
            f"SELECT DISTINCT ?a WHERE {{ GRAPH <{metadata}> {{ ?c <{PROV_ATTRIBUTED}> ?a }} "
            f'FILTER(STRSTARTS(STR(?c), "{base}{CHANGES_PATH}")) }}'
        )
        attributed = frozenset(row["a"].value for row in store.query(text) if isinstance(row["a"], ox.NamedNode))
    closed = {graph_iri(base, loading.VOCABULARY): "the vocabulary", graph_iri(base, loading.SHAPES): "the shapes"}
    return Rules(closed, metadata, base + CHANGES_PATH, base + AGENT_PATH, attributed)


def check(store, changeset) -> None:
    """Refuse (Reserved) a changeset that adds or removes what only zkg writes."""
    quads = (*changeset.additions, *changeset.removals)
    found = rules(store, quads=quads)
    for quad in changeset.additions:
        problem = found.reason(quad, adding=True, own_graph=changeset.graph, restoring=changeset.reverts is not None)
        if problem:
            raise Reserved(problem)
    for quad in changeset.removals:
        problem = found.reason(quad, adding=False)
        if problem:
            raise Reserved(problem)


def keep(store) -> Callable[[ox.Quad], bool]:
    """``keep(quad)``: whether a clear of everything leaves ``quad`` (a curator may not remove it)."""
    found: list[Rules] = []  # read on the first call: most updates clear nothing

    def kept(quad: ox.Quad) -> bool:
        if not found:
            found.append(rules(store))
        return found[0].reason(quad, adding=False) is not None

    return kept
