"""What a change caused: the shapes' results on its focus nodes, split into those the change
brings and those already in the graph before it.

A write is judged on the nodes it touches (:mod:`zkg.validation.incremental`). Those nodes
may break a shape already: data loaded with ``zkg load`` or written to an engine directly, a
shape added since. Such a result is the graph's, not the change's: it must not refuse a
change that neither fixes nor worsens it, and a curator should see it apart from what the
change itself breaks. So, when the report after the change has results, the focus nodes
they are about are validated on the graph as it is (the same neighbourhood, fetched with an
empty change: :func:`zkg.validation.neighbourhood.build_candidate`), and each result after the
change is looked for among the results before it by what it says (:func:`result_key`: focus
node, path, constraint component, source shape, value). Found: it was already there; not
found: the change caused it. A result on a blank node the change makes is always caused. A
write whose report is clean costs nothing more.

The split is exact where the report is: each focus node's whole reach is fetched, before as
after, so its results before are those the whole graph gives it. When the shapes cannot be
bounded (the whole-graph fallback), the whole graph is validated before as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode

from zkg.rdf.display import table, term_text
from zkg.rdf.rdflib_view import rdflib_term
from zkg.validation.incremental import (
    WHOLE,
    ShapesContext,
    ValidationCost,
    new_blank_nodes,
    shapes_context,
    validate_candidate,
    validate_changeset,
    validate_whole,
)
from zkg.validation.neighbourhood import Asker, Neighbourhood, build_candidate
from zkg.validation.shacl import Report, ValidationResult, part_of

CAUSED, PREEXISTING = "caused by this change", "already in the graph before this change"


def result_key(result: ValidationResult) -> tuple:
    """What identifies a result across two validations: focus node, path, constraint
    component, source shape, value. A blank source shape is named by its parent and path
    (its label is the shapes graph's, not the data's).

    >>> from rdflib import URIRef
    >>> r = ValidationResult("Violation", URIRef("http://x/a"), "schema:name", None, "a name!", URIRef("http://x/S"),
    ...                      "x:S", "sh:MinCountConstraintComponent")
    >>> result_key(r)
    (rdflib.term.URIRef('http://x/a'), 'schema:name', 'sh:MinCountConstraintComponent', 'http://x/S', None)
    """
    shape = result.source_shape_text if isinstance(result.source_shape, BNode) else str(result.source_shape or "")
    return (result.focus_node, result.path, result.constraint, shape, result.value)


def split(after, before, *, new_nodes=frozenset()) -> tuple[tuple, tuple]:
    """(caused, preexisting): the results of ``after`` with no match in ``before``
    (:func:`result_key`), and those with one. Results on ``new_nodes`` (blank nodes the
    change makes, rdflib terms) are caused whatever ``before`` says.

    >>> from rdflib import URIRef
    >>> def result(focus, path):
    ...     return ValidationResult("Violation", URIRef(focus), path, None, "", None, "", "sh:MinCountConstraintComponent")
    >>> old, new = result("http://x/a", "schema:name"), result("http://x/a", "schema:url")
    >>> caused, preexisting = split([old, new], [old])
    >>> [r.path for r in caused], [r.path for r in preexisting]
    (['schema:url'], ['schema:name'])
    """
    known = {result_key(r) for r in before}
    caused, preexisting = [], []
    for r in after:
        (caused if r.focus_node in new_nodes or result_key(r) not in known else preexisting).append(r)
    return tuple(caused), tuple(preexisting)


@dataclass(frozen=True)
class Verdict:
    """The shapes' verdict on a change: the report after it (on its focus nodes) and which of
    its results the change caused and which were already there. Only a caused violation blocks."""

    report: Report  # after the change, every result on the focus nodes
    caused: tuple[ValidationResult, ...]
    preexisting: tuple[ValidationResult, ...]
    before_cost: ValidationCost | None = None  # what looking back cost (None: nothing to look back for)

    @property
    def blocking(self) -> tuple[ValidationResult, ...]:
        """The violations the change causes: what refuses it."""
        return tuple(r for r in self.caused if r.severity == "Violation")

    @property
    def accepted(self) -> bool:
        return not self.blocking

    def caused_report(self) -> Report:
        """The report of the caused results only (its graph a sh:ValidationReport of them)."""
        return part_of(self.report, lambda r: r in self.caused)

    def preexisting_report(self) -> Report:
        return part_of(self.report, lambda r: r in self.preexisting)


def counts(results) -> str:
    """How many results of each severity, in words.

    >>> counts([])
    '0 violation(s), 0 warning(s), 0 info(s)'
    """
    by = {s: sum(1 for r in results if r.severity == s) for s in ("Violation", "Warning", "Info")}
    return f"{by['Violation']} violation(s), {by['Warning']} warning(s), {by['Info']} info(s)"


def summary(verdict: Verdict) -> str:
    """One line: whether the change is accepted, what it causes, what was there before it.

    >>> from rdflib import URIRef
    >>> old = ValidationResult("Violation", URIRef("http://x/a"), "p", None, "", None, "", "")
    >>> summary(Verdict(Report([old], {}), (), (old,)))
    'conforms: 0 violation(s), 0 warning(s), 0 info(s) caused by this change; already in the graph before this change: 1 violation(s), 0 warning(s), 0 info(s) (not blocking)'
    """
    line = f"{'conforms' if verdict.accepted else 'does NOT conform'}: {counts(verdict.caused)} {CAUSED}"
    if verdict.preexisting:
        line += f"; {PREEXISTING}: {counts(verdict.preexisting)} (not blocking)"
    if not verdict.report.shapes_checked:
        line = "no shapes loaded (ontology/shapes/*.ttl): nothing was checked; " + line
    return line


def judge_change(
    store,
    *,
    additions: list[ox.Quad],
    removals: list[ox.Quad],
    gone: set,
    addresses: dict,
    context: ShapesContext | None = None,
) -> tuple[Verdict, ValidationCost]:
    """The verdict on a change (arguments as :func:`zkg.validation.incremental.validate_changeset`)
    and what validating it after the change cost."""
    context = context or shapes_context(store)
    report, cost = validate_changeset(
        store, additions=additions, removals=removals, gone=gone, addresses=addresses, context=context
    )
    if not report.results:
        return Verdict(report, (), ()), cost
    before, before_cost = report_before(store, cost, context, about={r.focus_node for r in report.results})
    new_nodes = {rdflib_term(n) for n in new_blank_nodes(additions, addresses)}
    caused, preexisting = split(report.results, before.results, new_nodes=new_nodes)
    return Verdict(report, caused, preexisting, before_cost), cost


def report_before(store, cost: ValidationCost, context: ShapesContext, *, about=None) -> tuple[Report, ValidationCost]:
    """The report on the focus nodes of a validation (``cost``) on the store as it is, and
    its cost; with ``about`` (rdflib terms), on those of them only (the nodes with results
    after the change: no other node's results before can match one)."""
    asker = Asker(store)
    if cost.mode == WHOLE:
        return validate_whole(store, asker, context, [], [])
    # The store's blank nodes are found by their addresses; a node the change makes has none.
    focus = {
        f
        for f in cost.focus
        if (not isinstance(f, ox.BlankNode) or f in cost.addresses) and (about is None or rdflib_term(f) in about)
    }
    if not focus:  # only nodes the change makes: nothing was there before
        return Report([], store.prefixes), ValidationCost(cost.mode, 0, 0, 0, 0)
    hood = Neighbourhood(set(), set(), set(), cost.addresses)
    build_candidate(asker, hood, context.analysis, focus)
    report, triples = validate_candidate(store, context, hood, focus)
    return report, ValidationCost(cost.mode, len(focus), asker.queries, asker.rows, triples, focus=frozenset(focus))


def format_verdict(verdict: Verdict) -> str:
    """The verdict for people: a table of what the change causes (blocking when it holds a
    violation), then, set apart, one of what was already in the graph, then :func:`summary`."""
    prefixes = verdict.report.prefixes
    parts = []
    sections = (
        ("what this change causes", verdict.caused, "blocking" if verdict.blocking else "not blocking"),
        (PREEXISTING, verdict.preexisting, "not blocking"),
    )
    for title, results, state in sections:
        if not results:
            continue
        rows = [
            [r.severity, term_text(r.focus_node, prefixes), r.path, term_text(r.value, prefixes), r.message,
             r.source_shape_text]
            for r in results
        ]  # fmt: skip
        parts.append(f"{title} ({state}: {counts(results)}):")
        parts.append(table(["severity", "focus node", "path", "value", "message", "shape"], rows))
    parts.append(summary(verdict))
    return "\n".join(parts)
