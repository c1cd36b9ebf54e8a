"""Changesets: what a curator changes, who changed it, when, from which source and why.

A :class:`Changeset` is a set of quads to remove and a set of quads to add, plus its
attribution. Every write to the store goes through one (DESIGN.md, decision 7), applied by
:func:`zkg.curation.apply.apply_changeset`.

- ``id``: sortable and unique, ``YYYYMMDDTHHMMSSffffffZ-<8 hex>`` (UTC time, then random),
  so sorting ids sorts changesets by creation time.
- ``additions``: quads, each with its named graph. A triple given without a graph goes to the
  changeset's own graph ``{base}graph/changes/<id>`` (:func:`changeset_graph`).
- ``removals``: quads, each with its named graph. A triple given without a graph means "this
  triple, in every graph that holds it" (:data:`ANY_GRAPH` marks it): the curation code
  expands it against the store before checking, and records the exact quads it removed.
  Every protocol's default graph means this (SPARQL Update's, the Graph Store Protocol's
  ``?default``): the store's default graph is the union of the named graphs, kept by the
  write path (:mod:`zkg.store.union_graph`), never written as a graph of its own.
- ``agent``: an IRI. :func:`agent_iri` turns a name (``--by "Luo Wei"``) into
  ``{base}id/agent/<slug>`` (``luo-wei``); an absolute http(s) IRI is kept as it is.
- ``time``: when it was made (UTC, aware).
- ``source``: an absolute IRI (the document the facts come from) or citation text; required,
  except for a revert, which has one only when the curator reverting gives one (never the
  reverted changeset's: that source says where *its* facts came from, not why they go).
- ``message``: why (free text, may be empty; a revert's is its curator's reason).
- ``reverts``: the id of the changeset this one undoes, or None.

Blank nodes: a label is the store's node of that label when the store has one (a changeset
made from what the store holds: an update's WHERE, a Graph Store DELETE, a revert), else a new
node when added, and a node matched by its statements when removed (which must match exactly
one way: else Conflict when none does, ChangesetError when several do). ``new_nodes`` names the
labels known to be new. :mod:`zkg.curation.blank_nodes` resolves them and writes to exactly those nodes;
a revert restores the dataset up to the labels of blank nodes it had to make anew.

>>> cs = Changeset.new(base_iri="http://zkg.test/", agent="Luo Wei", source="Interview, 2024",
...                    additions=[ox.Quad(ox.NamedNode("http://zkg.test/id/a"),
...                                       ox.NamedNode("http://zkg.test/def/p"), ox.Literal("x"))])
>>> cs.agent
'http://zkg.test/id/agent/luo-wei'
>>> cs.additions[0].graph_name == ox.NamedNode(changeset_graph("http://zkg.test/", cs.id))
True
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Iterable

import pyoxigraph as ox

from zkg.base.errors import ZkgError
from zkg.rdf.display import term_text
from zkg.rdf.namespaces import XSD

CHANGES_PATH = "graph/changes/"
ZKG_CHANGESET = "def/Changeset"  # the class of changesets, under the base IRI as the other own terms
#: The graph of a removal given without one: "this triple, in every graph that holds it".
ANY_GRAPH = ox.NamedNode("urn:x-zkg:any-graph")
AGENT_PATH = "id/agent/"


class ChangesetError(ZkgError):
    """A changeset that cannot be made or applied as given (HTTP 400; CLI exit 1)."""


class IllTypedLiteral(ChangesetError):
    """A statement to add holds a literal its datatype does not allow (``"twelve"^^xsd:integer``,
    ``"2021-02-29"^^xsd:date``) or the character NUL (HTTP 400; CLI exit 1). The message names
    the literal and where it was written: see :mod:`zkg.rdf.lexical`."""


def new_id(time: datetime | None = None) -> str:
    """A fresh changeset id: UTC time to the microsecond, then 8 random hex digits."""
    time = (time or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return time.strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(4)


_ID = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}$")


def is_changeset_id(text: str) -> bool:
    """Whether ``text`` has the form of a changeset id."""
    return bool(_ID.match(text))


def changeset_graph(base_iri: str, changeset_id: str) -> str:
    """The IRI of a changeset's own named graph (and of the changeset itself)."""
    return f"{base_iri}{CHANGES_PATH}{changeset_id}"


def changeset_id_of(base_iri: str, iri: str) -> str | None:
    """The id of a changeset graph IRI, or None when ``iri`` is not one."""
    prefix = base_iri + CHANGES_PATH
    if iri.startswith(prefix) and is_changeset_id(iri[len(prefix) :]):
        return iri[len(prefix) :]
    return None


def slug(name: str) -> str:
    """``"Luo Wei"`` -> ``"luo-wei"``; non-Latin letters are kept (IRIs allow them)."""
    text = unicodedata.normalize("NFKC", name).strip().lower()
    text = re.sub(r"[^\w]+", "-", text, flags=re.UNICODE).strip("-_")
    return text


def agent_iri(base_iri: str, agent: str) -> str:
    """The IRI of an agent given by IRI (kept) or by name (``{base}id/agent/<slug>``).

    >>> agent_iri("http://zkg.test/", "Luo Wei"), agent_iri("http://zkg.test/", "https://orcid.org/0000-0001")
    ('http://zkg.test/id/agent/luo-wei', 'https://orcid.org/0000-0001')
    """
    text = (agent or "").strip()
    if is_iri(text):
        return text
    name = slug(text)
    if not name:
        raise ChangesetError("who made the change is required (--by NAME or an IRI)")
    return base_iri + AGENT_PATH + name


_IRI = re.compile(r"^(https?|urn|doi|isbn):\S+$", re.IGNORECASE)


def is_iri(text: str) -> bool:
    """Whether a source (or agent) is an absolute IRI; anything else is citation text.

    >>> is_iri("https://example.org/a"), is_iri("China Daily, 5 March 2016, p. 7")
    (True, False)
    """
    return bool(_IRI.match(text.strip())) and not any(c in text for c in '<>"{}|^`\\')


def _term_key(term) -> str:
    return "" if isinstance(term, ox.DefaultGraph) else str(term)


def graph_value(term) -> str:
    """A graph name as text: its IRI, or "" for the default graph."""
    return "" if isinstance(term, ox.DefaultGraph) else term.value


def quad_key(quad: ox.Quad) -> tuple[str, str, str, str]:
    """A total order on quads (graph, subject, predicate, object), as the dumps sort them."""
    return (_term_key(quad.graph_name), str(quad.subject), str(quad.predicate), str(quad.object))


def _unique(quads: Iterable[ox.Quad]) -> tuple[ox.Quad, ...]:
    return tuple(sorted(set(quads), key=quad_key))


@dataclass(frozen=True)
class Changeset:
    """One change to the store. Build with :meth:`new` (it resolves agent and graphs)."""

    id: str
    additions: tuple[ox.Quad, ...]
    removals: tuple[ox.Quad, ...]
    agent: str  # IRI
    time: datetime  # UTC
    source: str  # IRI or citation text
    message: str = ""
    reverts: str | None = None
    base_iri: str = field(default="", compare=False)  # the deployment the changeset was made for
    agent_name: str = field(default="", compare=False)  # the name the agent was given by, if any
    # Labels of blank nodes the maker knows to be new (a parsed document's, an update's own):
    # not looked for in the store (zkg.curation.blank_nodes). Any other label may be a node of the store.
    new_nodes: frozenset = field(default=frozenset(), compare=False)
    # Statements of the store's blank nodes the maker read (a COPY's source graph): where
    # zkg.curation.blank_nodes finds the nodes the changeset only adds to, without a scan.
    anchors: tuple = field(default=(), compare=False)

    @classmethod
    def new(
        cls,
        *,
        base_iri: str,
        agent: str,
        source: str,
        additions: Iterable[ox.Quad] = (),
        removals: Iterable[ox.Quad] = (),
        message: str = "",
        reverts: str | None = None,
        id: str | None = None,
        time: datetime | None = None,
        new_nodes: Iterable[str] = (),
        anchors: Iterable[ox.Quad] = (),
    ) -> "Changeset":
        """A changeset for the deployment at ``base_iri``.

        Resolves ``agent`` (name or IRI), sends graph-less additions to the changeset's own
        graph, drops duplicate quads, and checks that ``source`` is given (ChangesetError
        otherwise; a revert, ``reverts`` set, may have none) and that no quad is both added
        and removed. ``new_nodes``: labels of blank
        nodes known to be new, ``anchors`` statements of the store's blank nodes the maker read
        (see :mod:`zkg.curation.blank_nodes`).
        """
        source = " ".join((source or "").split())
        if not source and not reverts:
            raise ChangesetError("the source of the change is required (--source: an IRI or a citation)")
        time = (time or datetime.now(timezone.utc)).astimezone(timezone.utc)
        changeset_id = id or new_id(time)
        if not is_changeset_id(changeset_id):
            raise ChangesetError(f"not a changeset id: {changeset_id!r}")
        own = ox.NamedNode(changeset_graph(base_iri, changeset_id))
        added = []
        for quad in additions:
            _check_quad(quad)
            if isinstance(quad.graph_name, ox.DefaultGraph):
                quad = ox.Quad(quad.subject, quad.predicate, quad.object, own)
            added.append(quad)
        removed = []
        for quad in removals:
            _check_quad(quad)
            if isinstance(quad.graph_name, ox.DefaultGraph):
                quad = ox.Quad(quad.subject, quad.predicate, quad.object, ANY_GRAPH)
            removed.append(quad)
        added_set, removed_set = set(added), set(removed)
        both = added_set & removed_set
        if both:
            example = sorted(both, key=quad_key)[0]
            raise ChangesetError(f"{len(both)} statement(s) both added and removed, e.g. {example}")
        return cls(
            id=changeset_id,
            additions=_unique(added_set),
            removals=_unique(removed_set),
            agent=agent_iri(base_iri, agent),
            time=time,
            source=source,
            message=(message or "").strip(),
            reverts=reverts,
            base_iri=base_iri,
            agent_name="" if is_iri(agent or "") else " ".join((agent or "").split()),
            new_nodes=frozenset(new_nodes),
            anchors=tuple(anchors),
        )

    @property
    def graph(self) -> str:
        """The changeset's own named graph (also the IRI the metadata describes)."""
        return changeset_graph(self.base_iri, self.id)

    @property
    def source_is_iri(self) -> bool:
        return is_iri(self.source)

    @property
    def empty(self) -> bool:
        return not self.additions and not self.removals

    def changed_graphs(self) -> list[str]:
        """The named graphs the changeset adds to or removes from, sorted ("" for the default graph)."""
        return sorted({graph_value(q.graph_name) for q in (*self.additions, *self.removals)})

    def inverse(self, *, agent: str, message: str, source: str | None = None) -> "Changeset":
        """The changeset that undoes this one (additions and removals swapped), as a new
        changeset with ``reverts`` set, attributed to ``agent`` with ``message`` (the reason)
        and ``source`` as given: none when none is given, never this changeset's own (it
        says where this changeset's facts came from, not why they are undone)."""
        return Changeset.new(
            base_iri=self.base_iri,
            agent=agent,
            source=source or "",
            additions=self.removals,
            removals=self.additions,
            message=message,
            reverts=self.id,
        )

    def with_quads(self, *, additions: Iterable[ox.Quad], removals: Iterable[ox.Quad]) -> "Changeset":
        """The same changeset (id, attribution) with other quads (e.g. the effective ones)."""
        return replace(self, additions=_unique(additions), removals=_unique(removals))


def blank_labels(quads: Iterable[ox.Quad]) -> frozenset[str]:
    """The labels of the blank nodes in ``quads``."""
    return frozenset(t.value for q in quads for t in (q.subject, q.object) if isinstance(t, ox.BlankNode))


def _check_quad(quad) -> None:
    if not isinstance(quad, ox.Quad):
        raise ChangesetError(f"not a quad: {quad!r}")
    if isinstance(quad.graph_name, ox.BlankNode):
        raise ChangesetError("a graph named by a blank node: name every graph with an IRI")
    for term in (quad.subject, quad.predicate, quad.object):
        if isinstance(term, ox.Triple):
            raise ChangesetError("RDF 1.2 triple terms are not supported")


# -- writing changesets -------------------------------------------------------------------------

XSD_DATETIME = XSD + "dateTime"


def header_terms(changeset: Changeset, *, prev: str | None = None) -> list[tuple[str, ox.NamedNode | ox.Literal]]:
    """The RDF Patch headers of a changeset, in order."""
    out: list[tuple[str, ox.NamedNode | ox.Literal]] = [("id", ox.NamedNode(changeset.graph))]
    if prev:
        out.append(("prev", ox.NamedNode(prev)))
    out.append(("agent", ox.NamedNode(changeset.agent)))
    out.append(("time", ox.Literal(changeset.time.isoformat(), datatype=ox.NamedNode(XSD_DATETIME))))
    if changeset.source:  # a revert may have none
        out.append(
            ("source", ox.NamedNode(changeset.source) if changeset.source_is_iri else ox.Literal(changeset.source))
        )
    if changeset.message:
        out.append(("message", ox.Literal(changeset.message)))
    if changeset.reverts:
        out.append(("reverts", ox.NamedNode(changeset_graph(changeset.base_iri, changeset.reverts))))
    return out


def _row(code: str, quad: ox.Quad) -> str:
    terms = [str(quad.subject), str(quad.predicate), str(quad.object)]
    if not isinstance(quad.graph_name, ox.DefaultGraph):
        terms.append(str(quad.graph_name))
    return f"{code} {' '.join(terms)} ."


def to_rdf_patch(
    changeset: Changeset, *, headers: bool = True, transaction: bool = True, prev: str | None = None
) -> str:
    """The changeset as RDF Patch: ``H`` headers (id, agent, time, source, message,
    reverts), ``TX .``, ``D`` rows then ``A`` rows (sorted), ``TC .``."""
    lines = [f"H {name} {term} ." for name, term in header_terms(changeset, prev=prev)] if headers else []
    if transaction:
        lines.append("TX .")
    lines += [_row("D", q) for q in changeset.removals]
    lines += [_row("A", q) for q in changeset.additions]
    if transaction:
        lines.append("TC .")
    return "\n".join(lines) + "\n"


def diff_description(changeset: Changeset, prefixes: dict[str, str] | None = None) -> str:
    """A readable diff: a header (id, agent, time, source, message), then per graph the
    removed triples (``-``) and added ones (``+``), with prefixed names."""

    p = prefixes or {}
    text = lambda term: term_text(term, p)  # noqa: E731
    lines = [
        f"changeset {changeset.id}",
        f"  by      {text(ox.NamedNode(changeset.agent))}",
        f"  at      {changeset.time.isoformat(timespec='seconds')}",
    ]
    if changeset.source:  # a revert may have none
        lines.append(
            f"  source  {text(ox.NamedNode(changeset.source)) if changeset.source_is_iri else changeset.source}"
        )
    if changeset.message:
        lines.append(f"  message {changeset.message}")
    if changeset.reverts:
        lines.append(f"  reverts {changeset.reverts}")
    by_graph: dict[str, list[tuple[str, ox.Quad]]] = {}
    for sign, quads in (("-", changeset.removals), ("+", changeset.additions)):
        for quad in quads:
            by_graph.setdefault(graph_value(quad.graph_name), []).append((sign, quad))
    for graph in sorted(by_graph):
        name = (
            "(every graph holding it)"
            if graph == ANY_GRAPH.value
            else text(ox.NamedNode(graph))
            if graph
            else "(the default graph)"
        )
        lines.append(f"graph {name}")
        for sign, quad in by_graph[graph]:
            lines.append(f"  {sign} {text(quad.subject)} {text(quad.predicate)} {text(quad.object)}")
    lines.append(f"{len(changeset.removals)} removal(s), {len(changeset.additions)} addition(s)")
    return "\n".join(lines)
