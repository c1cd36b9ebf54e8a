"""Curation: the one write path. Check a changeset, validate it, commit it atomically, log it.

Every write (CLI, SPARQL Update, Graph Store Protocol, web form) is a
:class:`~zkg.curation.changesets.Changeset` applied by :func:`apply_changeset` (DESIGN.md,
decision 7); :class:`zkg.curation.writer.Curator`, the one write API, builds it and calls this.
It works through the store facade only (``query`` and one ``update`` per changeset), so the
same code runs on :class:`zkg.store.local.Store` and :class:`zkg.store.remote.RemoteStore`.

Steps, all under the writer lock (:meth:`zkg.curation.changelog.ChangeLog.writing`):

1. **Check** against the store: every removed quad must be there, else :class:`Conflict`
   (HTTP 409). Additions already in the store are dropped (adding is idempotent), so the
   recorded changeset is exactly what changed and a revert restores exactly. Graph-less
   removals expand to every graph holding the triple. Blank nodes are the store's nodes they
   stand for, and written to as such (:mod:`zkg.curation.blank_nodes`). What only zkg writes (the
   vocabulary, the shapes, the records of changesets and their agents, the changesets' own
   graphs) cannot be changed (:mod:`zkg.curation.reserved`, HTTP 403).
   Every literal added must be well-formed for its datatype and no term may hold NUL
   (:mod:`zkg.rdf.lexical`), else :class:`IllTypedLiteral` (HTTP 400): ``"twelve"^^xsd:integer``
   never reaches the store. Removals are not checked, so that a bad literal which got in
   before (an older zkg, data written to the engine directly) can still be removed; a revert
   that would put it back is refused like any other addition.
2. **Validate** (:mod:`zkg.validation.incremental`): the shapes are checked on the focus nodes (the
   nodes the changeset touches and those whose verdict depends on them) over the candidate
   graph (their neighbourhood as the shapes reach it, fetched by a bounded number of
   CONSTRUCT queries, with the changeset applied, plus the vocabulary). When there are
   results, the same nodes are checked on the graph before the change, and each result is
   either caused by the change or already there (:mod:`zkg.validation.causes`). A
   sh:Violation the change causes raises :class:`Rejected` with the verdict (text in two
   parts, and the sh:ValidationReport of what the change causes as Turtle); warnings, and
   violations already in the graph before the change, are reported and do not block.
3. **Log** the entry (pending) and fsync; **commit** in ONE ``store.update()``: the removals,
   the additions, and the changeset's PROV description in ``{base}graph/metadata``, with the
   default graph kept the set union of the named graphs (:mod:`zkg.store.union_graph`: each
   added triple put there, a removed one taken out when no graph holds it any more);
   then mark the entry committed (see :mod:`zkg.curation.changelog` for crash recovery).

Metadata model (in ``{base}graph/metadata``)::

    <{base}graph/changes/ID> a prov:Entity, zkg:Changeset ;
        rdfs:label "Changeset ID"@en ;
        prov:wasAttributedTo <agent> ;
        prov:generatedAtTime "…"^^xsd:dateTime ;
        prov:wasDerivedFrom <source IRI> ;              (source given as an IRI)
        dcterms:bibliographicCitation "citation" ;      (source given as text; a revert may have none)
        rdfs:comment "message" ;                        (a revert: its curator's reason)
        zkg:changedGraph <graph> ;                      (each graph it added to or removed from)
        zkg:quadsAdded 3 ; zkg:quadsRemoved 1 ;
        zkg:reverts <{base}graph/changes/OTHER> .       (a revert only)
    <agent> a prov:Agent ; rdfs:label "Luo Wei"@en .    (the first time the agent appears)

Why not ``dcterms:source``: in this graph ``dcterms:source`` marks a graph that transcribes
one source document, and the shapes then require the document to be fully described
(provenance.ttl). A changeset may cite any web page or a citation; ``prov:wasDerivedFrom``
says the same thing without that requirement, and the entity pages follow it to the source.

Reverting: the metadata is history and stays; a revert is a changeset of its own, linked by
``zkg:reverts``, attributed to whoever reverts, with their reason as its message and a source
only when they give one (never the reverted changeset's). The rest of the dataset (every quad
but the descriptions of changesets and agents in the metadata graph) is restored exactly:
isomorphic, with the same quads in each graph, where blank nodes had to be made anew
(:mod:`zkg.curation.blank_nodes`). The history is read back by :mod:`zkg.curation.history`.

Concurrency: one writer at a time per log file (a thread lock, and ``flock`` for other
processes on the same machine). The local store can only be opened by one process anyway.
Front ends with separate data directories in front of one remote engine (scale-out,
docs/operations/serving.md) do not share that lock: each checks a changeset against the
engine's current data (step 1 queries the engine, never a copy) and commits it in one
update, so a removal of what another front end removed since is a Conflict and nothing is
overwritten (changesets are differences, not copies). Left at that, two changesets checked at
once on two front ends could each pass the shapes and together break them (both add a name
where one is allowed), or both record removing the same statement. So the engine's version marker (:mod:`zkg.store.engine_version`) is read
before the check and again after the validation, and a changeset is checked again (up to
:data:`RECHECKS` times) when another front end committed in between: what remains is the
time from that second reading to the engine applying the update (a request's round trip,
about a millisecond on a local network). Closing it would take a lock at the engine (a lock
graph updated with a conditional update) — not done. Each changeset's RDF Patch is in its description
(``zkg:patch``, on every store, so that exported data carries it too), from which the other front ends' logs catch up
(:meth:`ChangeLog.catch_up <zkg.curation.changelog.ChangeLog.catch_up>`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from zkg.base.errors import StorageFull, ZkgError
from zkg.curation import blank_nodes, reserved, search_sync
from zkg.curation.changelog import COMMITTED, PATCH_PREDICATE, ChangeLog, is_in_store
from zkg.curation.changesets import (
    ANY_GRAPH,
    ZKG_CHANGESET,
    Changeset,
    ChangesetError,
    IllTypedLiteral,
    changeset_graph,
    quad_key,
    to_rdf_patch,
)
from zkg.curation.history import reverted_by
from zkg.curation.reserved import METADATA_GRAPH_NAME
from zkg.rdf import lexical
from zkg.rdf.namespaces import DCTERMS, PROV, RDF, RDFS, XSD
from zkg.rdf.prefixes import graph_iri
from zkg.store import engine_version, union_graph
from zkg.validation.causes import Verdict, format_verdict, judge_change
from zkg.validation.incremental import ValidationCost
from zkg.validation.shacl import Report, ValidationResult

CHUNK = 2000
#: How many times a changeset is checked again when another front end on a shared engine
#: committed while it was being checked, before the writer is told to try again.
RECHECKS = 5


class Conflict(ZkgError):
    """Removed statements that are no longer in the store (HTTP 409): someone else changed
    them since the changeset was made. ``missing`` lists them."""

    def __init__(self, message: str, missing: tuple[ox.Quad, ...] = ()):
        super().__init__(message)
        self.missing = missing


class Rejected(ZkgError):
    """The changeset would break the shapes: it causes a sh:Violation (HTTP 422; CLI exit 1).

    ``verdict`` (:class:`zkg.validation.causes.Verdict`) says which results the change causes
    (``caused``, the violations among them ``blocking``) and which were already in the graph
    (``preexisting``); ``report`` is every result on the change's focus nodes."""

    def __init__(self, verdict: Verdict, changeset: Changeset, cost: ValidationCost | None = None):
        message = f"changeset rejected: {len(verdict.blocking)} violation(s)"
        already = sum(1 for r in verdict.preexisting if r.severity == "Violation")
        if already:
            message += f" (and {already} already in the graph before this change, not blocking)"
        super().__init__(message)
        self.verdict = verdict
        self.changeset = changeset
        self.cost = cost

    @property
    def report(self) -> Report:
        return self.verdict.report

    @property
    def caused(self) -> tuple[ValidationResult, ...]:
        return self.verdict.caused

    @property
    def preexisting(self) -> tuple[ValidationResult, ...]:
        return self.verdict.preexisting

    def text(self) -> str:
        """The verdict for people: what this change causes (blocking), then, set apart, what
        was already in the graph before it; a summary line."""
        return format_verdict(self.verdict)

    def turtle(self) -> bytes:
        """The sh:ValidationReport of what this change causes (``sh:conforms false``), in
        Turtle; the results already in the graph before it are left out."""
        return report_turtle(self.verdict.caused_report())


def report_turtle(report: Report) -> bytes:
    """A validation report as Turtle (sh:ValidationReport), with the zkg prefixes."""
    from rdflib import Graph

    graph = report.results_graph if report.results_graph is not None else Graph()
    for name, namespace in report.prefixes.items():
        graph.bind(name, namespace, override=True)
    return graph.serialize(format="turtle").encode("utf-8")


@dataclass(frozen=True)
class Outcome:
    """What :func:`apply_changeset` did (or, on a dry run, would do)."""

    changeset: Changeset  # the effective changeset: exactly what was (or would be) removed and added
    report: Report  # every result on the focus nodes: warnings, infos, violations already there
    committed: bool  # False on a dry run, and when there was nothing to change
    cost: ValidationCost | None
    dropped_additions: tuple[ox.Quad, ...] = ()  # additions already in the store
    metadata: tuple[ox.Quad, ...] = ()  # the changeset's description, as written to the metadata graph
    verdict: Verdict | None = None  # which results the change caused, which were there before (None: no change)

    @property
    def id(self) -> str:
        return self.changeset.id

    @property
    def caused(self) -> tuple[ValidationResult, ...]:
        """The results this change causes (warnings and infos: an accepted change causes no violation)."""
        return self.verdict.caused if self.verdict is not None else ()

    @property
    def preexisting(self) -> tuple[ValidationResult, ...]:
        """The results on the change's nodes that were already in the graph before it (not blocking)."""
        return self.verdict.preexisting if self.verdict is not None else ()

    @property
    def noop(self) -> bool:
        """True when every addition was already there and nothing was removed."""
        return self.changeset.empty


# -- checking against the store ---------------------------------------------------------------------


@dataclass
class _Checked:
    removals: list[ox.Quad]  # exact quads (the store's blank nodes under their labels)
    additions: list[ox.Quad]  # the store's blank nodes under their labels, new ones under the changeset's
    dropped: list[ox.Quad]
    gone: set  # removed (s, p, o) that no graph holds afterwards
    blank: blank_nodes.Resolution  # how the statements with blank nodes of the store are written

    @property
    def addresses(self) -> dict:  # store blank node -> (pattern, variable), for zkg.validation.incremental
        return self.blank.addresses


def _triple(quad: ox.Quad) -> tuple:
    return (quad.subject, quad.predicate, quad.object)


def _check_allowed(store, changeset: Changeset) -> None:
    base = store.base_iri
    if changeset.base_iri and changeset.base_iri != base:
        raise ChangesetError(f"the changeset was made for {changeset.base_iri}, the store is at {base}")
    reserved.check(store, changeset)
    _check_literals(changeset.additions)


def _check_literals(quads) -> None:
    problem = lexical.first_problem(quads)
    if problem:
        raise IllTypedLiteral(problem)


def _holders(store, triples: list) -> dict:
    """(s, p, o) -> the named graphs holding it (the default graph is their union, kept)."""
    holders: dict = {}
    for start in range(0, len(triples), CHUNK):
        chunk = triples[start : start + CHUNK]
        rows = "".join(f"({s} {p} {o})" for s, p, o in chunk)
        # The rows after the pattern, the same join: Virtuoso 7.2.5 matches nothing when a
        # VALUES of several rows with language-tagged literals comes first (Oxigraph plans
        # either order the same way).
        text = f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} VALUES (?s ?p ?o) {{ {rows} }} }}"
        for row in store.query(text):
            holders.setdefault((row["s"], row["p"], row["o"]), set()).add(row["g"])
    return holders


def _check(store, changeset: Changeset) -> _Checked:
    """Step 1: removals must be there; additions already there are dropped; blank nodes are
    the store's nodes they stand for (:mod:`zkg.curation.blank_nodes`). Conflict, ChangesetError."""
    has_blank = blank_nodes.has_blank
    plain = [q for q in changeset.removals if not has_blank(q)]
    additions = [q for q in changeset.additions if not has_blank(q)]
    triples = sorted({_triple(q) for q in (*plain, *additions)}, key=lambda t: tuple(map(str, t)))
    holders = _holders(store, triples)
    removals, missing = [], []
    for quad in plain:
        held = holders.get(_triple(quad), set())
        if quad.graph_name == ANY_GRAPH:
            if not held:
                missing.append(quad)
            removals += [ox.Quad(quad.subject, quad.predicate, quad.object, g) for g in held]
        elif quad.graph_name in held:
            removals.append(quad)
        else:
            missing.append(quad)
    blank = blank_nodes.resolve(
        store,
        [q for q in changeset.removals if has_blank(q)],
        [q for q in changeset.additions if has_blank(q)],
        new_nodes=changeset.new_nodes,
        anchors=changeset.anchors,
    )
    missing += blank.missing
    if missing:
        raise Conflict(
            f"the changeset conflicts with the store: {len(missing)} statement(s) to remove are not "
            f"there (changed since?), e.g. {sorted(missing, key=quad_key)[0]}",
            tuple(missing),
        )
    removals += blank.removals
    holders.update(blank.holders)
    removed_graphs: dict = {}
    for quad in removals:
        removed_graphs.setdefault(_triple(quad), set()).add(quad.graph_name)
    gone = {t for t, graphs in removed_graphs.items() if not (holders.get(t, set()) - graphs)}
    kept, dropped = list(blank.additions), list(blank.dropped)
    for quad in additions:
        (dropped if quad.graph_name in holders.get(_triple(quad), set()) else kept).append(quad)
    return _Checked(removals, kept, dropped, gone, blank)


# -- the metadata -------------------------------------------------------------------------------------


def metadata_quads(store, changeset: Changeset, *, describe_agent: bool = True) -> list[ox.Quad]:
    """The PROV description of ``changeset`` in the metadata graph (see the module docstring);
    with ``describe_agent``, also the agent's (when the store does not describe it yet)."""
    base = store.base_iri
    graph = ox.NamedNode(graph_iri(base, METADATA_GRAPH_NAME))
    me = ox.NamedNode(changeset.graph)
    iri = ox.NamedNode
    out = [
        (me, iri(RDF + "type"), iri(PROV + "Entity")),
        (me, iri(RDF + "type"), iri(base + ZKG_CHANGESET)),
        (me, iri(RDFS + "label"), ox.Literal(f"Changeset {changeset.id}", language="en")),
        (me, iri(PROV + "wasAttributedTo"), iri(changeset.agent)),
        (me, iri(PROV + "generatedAtTime"), ox.Literal(changeset.time.isoformat(), datatype=iri(XSD + "dateTime"))),
        (me, iri(base + "def/quadsAdded"), ox.Literal(str(len(changeset.additions)), datatype=iri(XSD + "integer"))),
        (me, iri(base + "def/quadsRemoved"), ox.Literal(str(len(changeset.removals)), datatype=iri(XSD + "integer"))),
    ]
    if changeset.source_is_iri:
        out.append((me, iri(PROV + "wasDerivedFrom"), iri(changeset.source)))
    elif changeset.source:  # a revert may have none
        out.append((me, iri(DCTERMS + "bibliographicCitation"), ox.Literal(changeset.source)))
    if changeset.message:
        out.append((me, iri(RDFS + "comment"), ox.Literal(changeset.message)))
    if changeset.reverts:
        out.append((me, iri(base + "def/reverts"), iri(changeset_graph(base, changeset.reverts))))
    for name in changeset.changed_graphs():
        if name:
            out.append((me, iri(base + "def/changedGraph"), iri(name)))
    # Always, not only at a shared engine: the data exported from any store (zkg export) then
    # carries its history whole, and the front ends of an engine loaded with it learn it from here.
    out.append((me, iri(base + PATCH_PREDICATE), ox.Literal(to_rdf_patch(changeset))))
    agent = iri(changeset.agent)
    # The record is looked for in the metadata graph only: what other graphs say of the IRI is
    # data, and history reads agents' names from the metadata graph alone (zkg.curation.reserved).
    if describe_agent and not bool(store.query(f"ASK {{ GRAPH {graph} {{ {agent} ?p ?o }} }}")):
        label = changeset.agent_name or changeset.agent.rsplit("/", 1)[-1]
        out.append((agent, iri(RDF + "type"), iri(PROV + "Agent")))
        out.append((agent, iri(RDFS + "label"), ox.Literal(label, language="en")))
    return [ox.Quad(s, p, o, graph) for s, p, o in out]


def _data(quads) -> str:
    """Quads as the body of INSERT DATA / DELETE DATA."""
    default = [q for q in quads if isinstance(q.graph_name, ox.DefaultGraph)]
    named: dict = {}
    for q in quads:
        if not isinstance(q.graph_name, ox.DefaultGraph):
            named.setdefault(q.graph_name, []).append(q)
    parts = [f"{q.subject} {q.predicate} {q.object} ." for q in default]
    for graph, members in named.items():
        parts.append(f"GRAPH {graph} {{ " + " ".join(f"{q.subject} {q.predicate} {q.object} ." for q in members) + " }")
    return "\n".join(parts)


def _update_text(checked: _Checked, metadata: list[ox.Quad], union: ox.NamedNode | ox.DefaultGraph | None) -> str:
    """The one update that commits: the statements with blank nodes of the store on exactly
    those nodes (one operation per structure, :mod:`zkg.curation.blank_nodes`), then the other
    removals, then the other additions (new blank nodes among them) and the metadata; each
    part with its change to the union graph ``union`` (None: the store keeps none)."""
    operations = checked.blank.operations(union)
    plain = [q for q in checked.removals if not blank_nodes.has_blank(q)]
    inserted = [q for q in checked.additions if not blank_nodes.has_blank(q)] + checked.blank.new_only + metadata
    gone = [t for t in checked.gone if not any(isinstance(x, ox.BlankNode) for x in t)]
    if union is not None:
        into_union, out_of_union = union_graph.maintenance([_triple(q) for q in inserted], gone, union)
        plain += out_of_union
        inserted += into_union
    if plain:
        operations.append("DELETE DATA {\n" + _data(plain) + "\n}")
    if inserted:
        operations.append("INSERT DATA {\n" + _data(inserted) + "\n}")
    return " ;\n".join(operations)


# -- applying -------------------------------------------------------------------------------------------


def apply_changeset(store, changeset: Changeset, *, log: ChangeLog, dry_run: bool = False) -> Outcome:
    """Check, validate, commit and log ``changeset`` (see the module docstring).

    Raises Conflict (stale removals), Rejected (violations), ChangesetError (an empty or
    forbidden changeset). On a dry run nothing is written and the Outcome says what would be.
    When every addition is already there and nothing is removed, nothing is written and the
    Outcome's ``noop`` is True.
    """
    _check_allowed(store, changeset)
    if changeset.empty:
        raise ChangesetError("the changeset is empty: nothing to add or remove")
    with log.writing():
        if not dry_run:
            log.reconcile(store)
            log.catch_up(store)
        if is_in_store(store, changeset):
            raise ChangesetError(f"changeset {changeset.id} is already in the store")
        for _ in range(RECHECKS):
            seen = engine_version.read_marker(store)
            outcome, checked = _judged(store, changeset, dry_run=dry_run)
            if dry_run or checked is None or engine_version.read_marker(store) == seen:
                break
            # Another front end on the shared engine committed while this one checked: again,
            # on the data as it is now (see Concurrency in the module docstring).
        else:
            raise Conflict(
                f"the data changed through other front ends each of the {RECHECKS} times the changeset "
                "was checked: try again"
            )
        if checked is not None and not dry_run:
            _commit(store, log, outcome.changeset, checked, list(outcome.metadata))
            search_sync.after_commit(store, log)  # searchable before the writer hears back
        return outcome


def _judged(store, changeset: Changeset, *, dry_run: bool) -> tuple[Outcome, _Checked | None]:
    """Steps 1 and 2 on the store as it is: (the Outcome, what was checked), or (a no-op
    Outcome, None) when nothing would change. Conflict, Rejected."""
    checked = _check(store, changeset)
    effective = changeset.with_quads(additions=checked.additions, removals=checked.removals)
    reserved.check(store, effective)  # graph-less removals now name the graphs that hold them
    if effective.empty:
        return Outcome(effective, Report([], store.prefixes), False, None, tuple(checked.dropped)), None
    metadata = metadata_quads(store, effective)
    _check_literals(metadata)  # the message and citation are text from the request too
    verdict, cost = judge_change(
        store,
        additions=[*effective.additions, *metadata],
        removals=effective.removals,
        gone=checked.gone,
        addresses=checked.addresses,
    )
    if not verdict.accepted:
        raise Rejected(verdict, effective, cost)
    outcome = Outcome(effective, verdict.report, not dry_run, cost, tuple(checked.dropped), tuple(metadata), verdict)
    return outcome, checked


def _commit(store, log: ChangeLog, changeset: Changeset, checked: _Checked, metadata: list[ox.Quad]) -> None:
    """Write-ahead: the log entry (pending, fsync'd), ONE store update, then the commit mark."""
    log.begin(changeset)
    try:
        store.update(_update_text(checked, metadata, union_graph.union_of(store)), keeps_union=True)
    except BaseException:
        try:
            committed = is_in_store(store, changeset)  # a remote engine may have committed anyway
        except Exception:  # noqa: BLE001  (cannot tell now: reconcile will, later)
            committed = None
        if committed is True:
            log.commit(changeset.id)
            return
        if committed is False:
            log.abort(changeset.id)
        raise
    try:
        log.commit(changeset.id)
    except StorageFull:
        # No room for the commit mark: the store has the changeset and the log its whole
        # entry (fsync'd), so it is as durable as any; the next reconcile (the first step of
        # the next write, refused while the disk stays full) writes the mark.
        pass


def revert(
    store,
    changeset_id: str,
    *,
    log: ChangeLog,
    agent: str,
    message: str = "",
    source: str | None = None,
    dry_run: bool = False,
) -> Outcome:
    """Undo a committed changeset with a new one (its additions removed, its removals added),
    applied through :func:`apply_changeset` so it is checked too. The new changeset is
    ``agent``'s, with ``message`` (the reason) and ``source`` as given: no source when none
    is given, never the reverted changeset's (:meth:`Changeset.inverse
    <zkg.curation.changesets.Changeset.inverse>`); the link to the reverted changeset is
    ``zkg:reverts`` in its description. :meth:`zkg.curation.writer.Curator.revert` requires
    the reason. Raises ChangesetError for an unknown id or one already reverted, Conflict when
    later changes touched the same statements."""
    with log.writing():
        if not dry_run:
            log.reconcile(store)
        log.catch_up(store)  # a changeset another front end committed can be reverted here too
        entry = log.entry(changeset_id)
        if entry is None or entry.status != COMMITTED:
            raise ChangesetError(f"no changeset {changeset_id} in the change log")
        later = reverted_by(store, [changeset_id]).get(changeset_id)
        if later:
            raise ChangesetError(f"changeset {changeset_id} was already reverted by {later}")
        inverse = entry.changeset.inverse(agent=agent, message=message, source=source)
        return apply_changeset(store, inverse, log=log, dry_run=dry_run)
