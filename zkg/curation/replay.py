"""Curated changes survive a reload: what the change log says about the graphs ``zkg load``
is about to replace from files.

A curator's additions live in the changeset's own graph, which ``zkg load`` keeps. But a
removal takes a statement out of whichever graph held it, often a source graph (a wrong fact
of the article); ``zkg load`` then replaces that graph from its file and the statement would
be back, silently. So after a load the committed changesets are replayed onto the replaced
graphs: in log order, the last word on each statement of those graphs wins (a removal, or the
addition a revert of that removal makes). Statements whose last word is "removed" are taken
out again, and "added" ones put back. The file itself is not changed: the load says how many
statements the log overrode, so that the file can be corrected at the source.

Statements with blank nodes cannot be replayed (a reload gives the file's blank nodes new
labels); they are counted apart.

>>> import pyoxigraph as ox
>>> from zkg.curation.changesets import Changeset
>>> g, s, p = ox.NamedNode("http://zkg.test/graph/a"), ox.NamedNode("http://zkg.test/id/s"), ox.NamedNode("http://zkg.test/def/p")
>>> wrong = ox.Quad(s, p, ox.Literal("wrong"), g)
>>> removed = Changeset.new(base_iri="http://zkg.test/", agent="A", source="a test", removals=[wrong])
>>> overrides = curated_overrides([removed], {"http://zkg.test/graph/a"})
>>> overrides.removals == [wrong], overrides.additions, overrides.blank
(True, [], 0)
>>> restored = Changeset.new(base_iri="http://zkg.test/", agent="A", source="a test", additions=[wrong])
>>> curated_overrides([removed, restored], {"http://zkg.test/graph/a"}).removals
[]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import pyoxigraph as ox

from zkg.curation.apply import metadata_quads
from zkg.curation.changelog import ChangeLog
from zkg.curation.reserved import METADATA_GRAPH_NAME
from zkg.rdf.namespaces import PROV, RDF, RDFS
from zkg.rdf.prefixes import graph_iri


@dataclass
class Overrides:
    """What the log says about the replaced graphs: statements to take out again and to put
    back, and how many statements with blank nodes it could not replay."""

    removals: list[ox.Quad] = field(default_factory=list)
    additions: list[ox.Quad] = field(default_factory=list)
    blank: int = 0

    def __bool__(self) -> bool:
        return bool(self.removals or self.additions)

    def update_text(self) -> str:
        """One SPARQL Update applying them (empty when there is nothing to do)."""
        parts = []
        if self.removals:
            parts.append("DELETE DATA { " + " ".join(_quad_text(q) for q in self.removals) + " }")
        if self.additions:
            parts.append("INSERT DATA { " + " ".join(_quad_text(q) for q in self.additions) + " }")
        return " ;\n".join(parts)


def _quad_text(quad: ox.Quad) -> str:
    return f"GRAPH {quad.graph_name} {{ {quad.subject} {quad.predicate} {quad.object} }}"


def _has_blank(quad: ox.Quad) -> bool:
    return any(isinstance(t, ox.BlankNode) for t in (quad.subject, quad.object))


def curated_overrides(changesets: Iterable, graphs: set[str]) -> Overrides:
    """The net effect of ``changesets`` (committed ones, in log order) on the statements of
    ``graphs`` (IRIs of the graphs a load replaces)."""
    last: dict[ox.Quad, bool] = {}  # statement -> present after the last changeset touching it
    blank: set[ox.Quad] = set()
    for changeset in changesets:
        for present, quads in ((False, changeset.removals), (True, changeset.additions)):
            for quad in quads:
                if not isinstance(quad.graph_name, ox.NamedNode) or quad.graph_name.value not in graphs:
                    continue
                if _has_blank(quad):
                    blank.add(quad)
                    continue
                last[quad] = present
    return Overrides(
        removals=[q for q, present in last.items() if not present],
        additions=[q for q, present in last.items() if present],
        blank=len(blank),
    )


def reapply_curation(store, graphs: Iterable[str]) -> Overrides:
    """After a load that replaced ``graphs``: apply what the change log's committed
    changesets say about them, and, when the metadata graph was replaced from its file, put
    back the history it held: each changeset's description and its agent's record (one
    update; nothing when the log is silent). Returns what was applied, for the load's report
    (the history is not counted there: it is not data the files could correct)."""

    wanted = set(graphs)
    log = ChangeLog.for_store(store)
    committed = [entry.changeset for entry in log.committed()]
    overrides = curated_overrides(committed, wanted)
    history = []
    if graph_iri(store.base_iri, METADATA_GRAPH_NAME) in wanted:
        history = history_descriptions(store, committed)
    if overrides or history:
        store.update(Overrides(overrides.removals, [*overrides.additions, *history]).update_text())
    return overrides


def history_descriptions(store, changesets: list) -> list[ox.Quad]:
    """The metadata graph's record of ``changesets`` as the write path wrote it
    (:func:`zkg.curation.apply.metadata_quads`), and of their agents. An agent's label is
    the name it was given when the change log kept it, else the last segment of its IRI
    (the log keeps the IRI, ``id/agent/ann-lee``, not the name)."""
    graph = ox.NamedNode(graph_iri(store.base_iri, METADATA_GRAPH_NAME))
    out: list[ox.Quad] = []
    agents: dict[str, str] = {}
    for changeset in changesets:
        out += metadata_quads(store, changeset, describe_agent=False)
        agents.setdefault(changeset.agent, changeset.agent_name or changeset.agent.rsplit("/", 1)[-1])
    for agent, label in agents.items():
        out.append(ox.Quad(ox.NamedNode(agent), ox.NamedNode(RDF + "type"), ox.NamedNode(PROV + "Agent"), graph))
        out.append(ox.Quad(ox.NamedNode(agent), ox.NamedNode(RDFS + "label"), ox.Literal(label, language="en"), graph))
    return out


def report_lines(overrides: Overrides) -> list[str]:
    """What a load says about the curated changes it kept."""
    lines = []
    if overrides.removals:
        lines.append(
            f"kept {len(overrides.removals)} curated removal(s) from the reloaded graphs "
            f"(the change log says they were removed; correct the files to match)"
        )
    if overrides.additions:
        lines.append(f"kept {len(overrides.additions)} curated addition(s) to the reloaded graphs")
    if overrides.blank:
        lines.append(
            f"could not keep {overrides.blank} curated change(s) to statements with blank nodes "
            f"(their labels change on reload)"
        )
    return lines
