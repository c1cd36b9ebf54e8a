"""The one write API: a :class:`Curator` changes a store for someone (an :class:`Attribution`).

Every way of writing is an adapter of this class: the CLI's ``add``, ``remove``, ``apply`` and
``revert`` (:mod:`zkg.cli.curation`), SPARQL Update, the Graph Store Protocol and the
browser's forms (:mod:`zkg.web.curation`). An adapter reads its request (arguments and files,
an HTTP body, a form), says who writes, from which source and why, and calls one method; it
makes its answer (an exit code, an HTTP status) from what the method returns or raises. What
a write *is* is decided here, once, for all of them:

- **the changeset**: :meth:`Changeset.new <zkg.curation.changesets.Changeset.new>` with the
  attribution (a name or IRI given by a person, or a token's name:
  :meth:`Attribution.agent_for`) and what a statement written without a graph means;
- **the writer lock** (:meth:`zkg.curation.changelog.ChangeLog.writing`), held from the first
  read of the store to the commit: the translation of an update and the diff of a graph are
  made on the state the write then changes, with no other write in between;
- **what no write may touch** (:mod:`zkg.curation.reserved`): a changeset touching it is
  refused (HTTP 403) by :func:`~zkg.curation.apply.apply_changeset`, and a clear of everything
  in an update leaves it;
- **the log**: the store's own (:meth:`ChangeLog.for_store
  <zkg.curation.changelog.ChangeLog.for_store>`) unless one is given.

What comes back is :class:`zkg.curation.apply.Outcome` (the effective changeset, its report,
whether it was committed), inside :class:`UpdateOutcome` or :class:`GraphOutcome` where the
request says more. The errors are the write path's: :class:`~zkg.curation.apply.Conflict`
(409), :class:`~zkg.curation.apply.Rejected` (422, with the SHACL report),
:class:`~zkg.curation.reserved.Reserved` (403), :class:`~zkg.curation.changesets.ChangesetError`
and its :class:`~zkg.curation.changesets.IllTypedLiteral` (400), :class:`NoSuchGraph` (404),
the update's own (:class:`~zkg.base.errors.QueryError`, :class:`~zkg.base.errors.QueryRefused`,
:class:`~zkg.curation.update_operations.UpdateError`: 400) and the store's
(:class:`~zkg.base.errors.StoreError`: 503, or 507 for a full disk).

>>> from zkg.store.local import Store
>>> store = Store.open(base_iri="http://zkg.test/")
>>> curator = Curator(store)
>>> by_ann = Attribution("Ann Lee", source="https://example.org/report")
>>> x = ox.NamedNode("http://zkg.test/id/x")
>>> outcome = curator.write(by_ann, additions=[ox.Quad(x, ox.NamedNode("https://schema.org/name"), ox.Literal("X"))])
>>> changeset = outcome.changeset
>>> outcome.committed, changeset.agent, changeset.additions[0].graph_name.value == changeset.graph
(True, 'http://zkg.test/id/agent/ann-lee', True)
>>> update = curator.apply_update(f'DELETE DATA {{ GRAPH <{changeset.graph}> {{ id:x schema:name "X" }} }}', by_ann)
>>> update.operations, len(update.outcome.changeset.removals)
(('DELETE DATA: 1 removed',), 1)
>>> undone = curator.revert(update.outcome.id, Attribution("Bo", message="the name was right"))
>>> undone.changeset.reverts == update.outcome.id, undone.changeset.message, undone.changeset.source
(True, 'the name was right', '')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable

import pyoxigraph as ox

from zkg.base.errors import ZkgError
from zkg.curation import apply, reserved
from zkg.curation.apply import Conflict, Outcome, apply_changeset
from zkg.curation.changelog import ChangeLog
from zkg.curation.changeset_files import Patch
from zkg.curation.changesets import AGENT_PATH, Changeset, ChangesetError, blank_labels, new_id
from zkg.curation.pending import Translation
from zkg.curation.update_translation import translate_update
from zkg.rdf.serialize import canonical_quads
from zkg.sparql.reading import Reading
from zkg.store import union_graph

#: Why a revert without a reason is refused (the browser's form shows it beside the field).
NO_REASON = "give the reason for reverting"


class NoSuchGraph(ZkgError):
    """A graph to delete that holds no statements (HTTP 404)."""

    http_status = 404


@dataclass(frozen=True)
class Attribution:
    """Who writes, from which source, and why: what every changeset records.

    ``agent`` is a person's name (``"Luo Wei"``: ``{base}id/agent/luo-wei``) or an IRI (kept),
    as ``--by`` gives it; with ``token``, it is the name of the bearer token the request was
    made with (:meth:`of_token`). ``source``: an absolute IRI or citation text; required for a
    write (ChangesetError when missing), optional for a revert (none unless given: a revert
    never takes the reverted changeset's). ``message``: why; may be empty, but for a revert,
    where it is the required reason.
    """

    agent: str
    source: str | None = None
    message: str = ""
    token: bool = False

    @classmethod
    def of_token(cls, name: str, *, source: str | None = None, message: str = "") -> "Attribution":
        """A write made with the token ``name`` (``zkg token create NAME``)."""
        return cls(name, source=source, message=message, token=True)

    def agent_for(self, base_iri: str) -> str:
        """The agent as :meth:`Changeset.new <zkg.curation.changesets.Changeset.new>` takes it.

        A token's agent is ``{base}id/agent/<its name as it is>``. Token names are IRI-safe
        (letters, digits, ``. _ - @``), so two tokens are never one agent, as they would be by
        the slug of a name given on the command line ("ann.lee" and "Ann-Lee" are both
        ``ann-lee``): history shows each curator's own name.

        >>> Attribution.of_token("ann.lee").agent_for("http://zkg.test/")
        'http://zkg.test/id/agent/ann.lee'
        >>> Attribution("Ann Lee").agent_for("http://zkg.test/")  # Changeset.new makes it {base}id/agent/ann-lee
        'Ann Lee'
        """
        return base_iri + AGENT_PATH + self.agent if self.token else self.agent


@dataclass(frozen=True)
class UpdateOutcome:
    """What a SPARQL Update did: one line per operation, and the write (None: it changes nothing)."""

    operations: tuple[str, ...]
    outcome: Outcome | None

    @property
    def summary(self) -> str:
        return "\n".join(self.operations)


@dataclass(frozen=True)
class GraphOutcome:
    """What a write to one graph did: the write (None: nothing to change) and whether the graph
    is new (it held no statements and is not the default graph)."""

    outcome: Outcome | None
    created: bool = False


def graph_store_default(base_iri: str) -> ox.NamedNode:
    """The named graph the Graph Store Protocol's ``?default`` reads and writes
    (:data:`zkg.store.union_graph.GRAPH_STORE_DEFAULT`). The dataset's default graph is the
    union of the named graphs, which no write can make hold exactly a document (what only zkg
    writes stays in it): so ``?default`` is a graph of its own, as it was before the union was
    kept, now a named graph, and what is put there is in the union like any graph's statements.

    >>> graph_store_default("http://zkg.test/").value
    'http://zkg.test/graph/graph-store-default'
    """
    return ox.NamedNode(union_graph.graph_store_default_iri(base_iri))


def graph_quads(store, graph: ox.NamedNode | ox.DefaultGraph) -> list[ox.Quad]:
    """The statements of one graph (``DefaultGraph``: the Graph Store Protocol's default
    graph, :func:`graph_store_default`), each a quad of the graph as named."""
    named = graph_store_default(store.base_iri) if isinstance(graph, ox.DefaultGraph) else graph
    rows = store.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH {named} {{ ?s ?p ?o }} }}")
    return [ox.Quad(r["s"], r["p"], r["o"], graph) for r in rows]


def _in(quad: ox.Quad, graph: ox.NamedNode) -> ox.Quad:
    return ox.Quad(quad.subject, quad.predicate, quad.object, graph)


def stale_correction(translation: Translation) -> Conflict:
    """The 409 of an update correcting a statement that is no longer there
    (:attr:`zkg.curation.pending.Translation.stale_correction`)."""
    return Conflict(
        f"the update deletes {len(translation.stale)} statement(s) that are not there (changed since?) "
        f"and inserts others: a correction of a value someone else has changed, e.g. "
        f"{translation.stale[0]}",
        tuple(translation.stale),
    )


class Curator:
    """Writes to ``store`` through its change ``log`` (default: the store's, see the module)."""

    def __init__(self, store, log: ChangeLog | None = None):
        self.store = store
        self.log = log if log is not None else ChangeLog.for_store(store)

    # -- statements ----------------------------------------------------------------------------

    def write(
        self,
        attribution: Attribution,
        *,
        additions: Iterable[ox.Quad] = (),
        removals: Iterable[ox.Quad] = (),
        new_nodes: Iterable[str] = (),
        dry_run: bool = False,
    ) -> Outcome:
        """Add and remove statements. An addition without a graph goes to the changeset's own
        graph; a removal without one is of that triple in every graph holding it (the default
        graph being their union). ``new_nodes``: labels of blank nodes known to be new
        (a parsed document's); any other may be a node of the store
        (:mod:`zkg.curation.blank_nodes`)."""
        changeset = self._changeset(attribution, additions=additions, removals=removals, new_nodes=new_nodes)
        return apply_changeset(self.store, changeset, log=self.log, dry_run=dry_run)

    def apply_patch(self, patch: Patch, attribution: Attribution, *, dry_run: bool = False) -> Outcome:
        """Apply an RDF Patch (:func:`zkg.curation.changesets.read_patch`); its ``H`` headers
        ``agent``, ``source`` and ``message`` fill in what ``attribution`` leaves empty."""
        base = self.store.base_iri
        changeset = patch.changeset(
            base_iri=base,
            agent=attribution.agent_for(base),
            source=attribution.source,
            message=attribution.message or None,
        )
        return apply_changeset(self.store, changeset, log=self.log, dry_run=dry_run)

    def apply_update(
        self,
        text: str,
        attribution: Attribution,
        *,
        using_graphs: Iterable[str] = (),
        using_named_graphs: Iterable[str] = (),
        reading: Reading | None = None,
        dry_run: bool = False,
    ) -> UpdateOutcome:
        """Carry out a SPARQL 1.1 Update as one changeset (:mod:`zkg.curation.update_translation`):
        worked out on the store under the writer lock, so that nothing changes between the
        reading and the commit. ``using_graphs`` / ``using_named_graphs``: the protocol's
        ``using-graph-uri`` and ``using-named-graph-uri``; ``reading``: the caller's own
        :func:`zkg.sparql.guard.check_update` of ``text``, not made again.

        A request deleting by name a statement that is not there, and inserting, is a
        correction of a value someone else has changed: Conflict (409), as the browser's form
        answers. What no write may remove is left by a clear of everything."""
        with self.log.writing():
            translation = translate_update(
                self.store,
                text,
                using_graphs=list(using_graphs),
                using_named_graphs=list(using_named_graphs),
                keep=reserved.keep(self.store),
                reading=reading,
            )
            operations = tuple(translation.operations)
            if translation.stale_correction:
                raise stale_correction(translation)
            if translation.empty:
                return UpdateOutcome(operations, None)
            changeset = self._changeset(
                attribution,
                additions=translation.additions,
                removals=translation.removals,
                new_nodes=translation.new_nodes,
                anchors=translation.anchors,
            )
            return UpdateOutcome(operations, apply_changeset(self.store, changeset, log=self.log, dry_run=dry_run))

    # -- graphs ----------------------------------------------------------------------------------

    def replace_graph(
        self,
        graph: ox.NamedNode | ox.DefaultGraph,
        quads: Iterable[ox.Quad],
        attribution: Attribution,
        *,
        precondition: Callable[[bool], None] | None = None,
        dry_run: bool = False,
    ) -> GraphOutcome:
        """Make ``graph`` hold exactly ``quads`` (the Graph Store Protocol's PUT): the diff
        against what it holds now, worked out under the writer lock. The quads' blank nodes
        are new nodes (a parsed document's). ``precondition(exists)`` is called under the
        lock with whether the graph exists (holds statements, or is the default graph) before
        anything is decided: it raises to refuse (If-Match, If-None-Match)."""
        return self._graph_write(graph, list(quads), attribution, "replace", precondition, dry_run)

    def add_to_graph(
        self,
        graph: ox.NamedNode | ox.DefaultGraph,
        quads: Iterable[ox.Quad],
        attribution: Attribution,
        *,
        precondition: Callable[[bool], None] | None = None,
        dry_run: bool = False,
    ) -> GraphOutcome:
        """Add ``quads`` to ``graph`` (the Graph Store Protocol's POST): those it holds
        already are left out. As :meth:`replace_graph` otherwise."""
        return self._graph_write(graph, list(quads), attribution, "add", precondition, dry_run)

    def delete_graph(
        self,
        graph: ox.NamedNode | ox.DefaultGraph,
        attribution: Attribution,
        *,
        precondition: Callable[[bool], None] | None = None,
        dry_run: bool = False,
    ) -> GraphOutcome:
        """Remove every statement of ``graph`` (the Graph Store Protocol's DELETE); NoSuchGraph
        when a named graph holds none (the default graph: nothing to change)."""
        return self._graph_write(graph, [], attribution, "delete", precondition, dry_run)

    def _graph_write(
        self,
        graph,
        body: list[ox.Quad],
        attribution: Attribution,
        how: str,
        precondition: Callable[[bool], None] | None,
        dry_run: bool,
    ) -> GraphOutcome:
        with self.log.writing():
            current = graph_quads(self.store, graph)
            is_default = isinstance(graph, ox.DefaultGraph)
            exists = bool(current) or is_default
            if precondition is not None:
                precondition(exists)
            if how == "delete" and not current:
                if is_default:
                    return GraphOutcome(None)
                raise NoSuchGraph(f"there is no graph {graph} (no statements in it)")
            had = set(current)
            if how == "replace":
                if canonical_quads(current) == canonical_quads(body):
                    return GraphOutcome(None)
                keep = set(body)
                additions, removals = [q for q in body if q not in had], [q for q in current if q not in keep]
            elif how == "add":
                additions, removals = [q for q in body if q not in had], []
            else:
                additions, removals = [], current
            if is_default:  # the Graph Store's default graph: a named graph of its own
                named = graph_store_default(self.store.base_iri)
                additions, removals = [_in(q, named) for q in additions], [_in(q, named) for q in removals]
            if not additions and not removals:
                return GraphOutcome(None)
            changeset = self._changeset(
                attribution,
                additions=additions,
                removals=removals,
                new_nodes=blank_labels(body),
            )
            outcome = apply_changeset(self.store, changeset, log=self.log, dry_run=dry_run)
        return GraphOutcome(outcome, created=not exists and how != "delete")

    # -- changesets ------------------------------------------------------------------------------

    def revert(self, changeset_id: str, attribution: Attribution, *, dry_run: bool = False) -> Outcome:
        """Undo a committed changeset with a new one (:func:`zkg.curation.apply.revert`),
        attributed to ``attribution``'s agent, with its message as the reason (required:
        ChangesetError without one, except on a dry run, which records nothing) and its
        source if it gives one: a revert has no source otherwise, never the reverted
        changeset's. The new changeset names the one it undoes (``zkg:reverts``)."""
        if not dry_run and not attribution.message.strip():
            raise ChangesetError(NO_REASON)
        base = self.store.base_iri
        return apply.revert(
            self.store,
            changeset_id,
            log=self.log,
            agent=attribution.agent_for(base),
            message=attribution.message,
            source=attribution.source,
            dry_run=dry_run,
        )

    def _changeset(
        self,
        attribution: Attribution,
        *,
        additions: Iterable[ox.Quad] = (),
        removals: Iterable[ox.Quad] = (),
        new_nodes: Iterable[str] = (),
        anchors: Iterable[ox.Quad] = (),
    ) -> Changeset:
        base = self.store.base_iri
        time = datetime.now(timezone.utc)
        changeset_id = new_id(time)
        return Changeset.new(
            base_iri=base,
            agent=attribution.agent_for(base),
            source=attribution.source or "",
            additions=additions,
            removals=removals,
            message=attribution.message,
            id=changeset_id,
            time=time,
            new_nodes=new_nodes,
            anchors=anchors,
        )
