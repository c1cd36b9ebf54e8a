"""What a history row shows of a changeset, for a reviewer: who and when, the source (linked
when it is a URL) and the message, and the statements it removed and added, each as the
page shows it (the subject's and the property's labels, the value's label or the literal in
words with its language and datatype), linked to the entities' pages.

Used by the history of an entity, the recent changes, one changeset's page, the *Latest
changes* of entity pages (:mod:`zkg.web.curation.history`, :mod:`zkg.web.curation.panel`)
and the revert's confirmation (:mod:`zkg.web.curation.revert`). A row shows at most
:data:`MAX_SHOWN` statements, the rest counted ("and N more", on the changeset's page); the
labels of every row of a page come from one query
(:func:`zkg.linked_data.labels.fetch_label_candidates`). The statements are the change log's
(:attr:`zkg.curation.history.HistoryEntry.changeset`): without a log (a foreign engine) a row
shows the counts only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone
from typing import Iterable, Sequence

import pyoxigraph as ox
from flask import request

from zkg.curation.changesets import changeset_graph, changeset_id_of
from zkg.linked_data import formatting
from zkg.linked_data.facts import readable_name
from zkg.linked_data.labels import choose_label, fetch_label_candidates
from zkg.rdf.display import term_text
from zkg.rdf.namespaces import RDF, XSD
from zkg.web.curation import writes
from zkg.web.security import linkable
from zkg.web.urls import curie, link, request_languages

#: Statements a history row shows; the changeset's page shows them all (up to :data:`MAX_PAGE`).
MAX_SHOWN = 10
MAX_PAGE = 1000
#: Datatypes whose values need no word: plain and language-tagged text.
_PLAIN_TEXT = (XSD + "string", RDF + "langString")


@dataclass(frozen=True)
class TermView:
    """One term of a statement as a page shows it."""

    text: str
    href: str = ""  # its page, or the IRI itself; "" for a literal, a blank node, an unsafe IRI
    title: str = ""  # the exact term: a CURIE or an IRI, a literal as N-Triples writes it
    language: str | None = None
    note: str | None = None  # a literal's datatype in words: year, date, integer, …


@dataclass(frozen=True)
class StatementView:
    subject: TermView
    predicate: TermView
    object: TermView
    graph: TermView | None = None  # said when it is not the changeset's own graph


def change_url(changeset_id: str) -> str:
    return f"{request.script_root}/changes/{changeset_id}"


def is_link(text: str) -> bool:
    """Whether a source is an address to link to (not a citation in words)."""
    return "://" in text and " " not in text and linkable(text)


class _Labels:
    """Labels for every IRI of a page's rows, from one query; each use says its fallback."""

    def __init__(self, iris: Iterable[str], languages: Sequence[str]):
        wanted = set(iris)
        candidates = fetch_label_candidates(writes.store(), wanted) if wanted else {}
        self.found = {iri: choose_label(found, languages) for iri, found in candidates.items()}

    def get(self, iri: str) -> str | None:
        return self.found.get(iri) or None

    def name(self, iri: str) -> str:
        return self.get(iri) or readable_name(iri)


def _datatype_word(literal: ox.Literal) -> str | None:
    """The datatype of a literal in a word (year, date, integer), None for plain text."""
    datatype = literal.datatype.value if literal.datatype is not None else ""
    if literal.language or datatype in _PLAIN_TEXT or not datatype:
        return None
    return formatting.datatype_note(literal) or datatype.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _term(term, labels: _Labels) -> TermView:
    if isinstance(term, ox.NamedNode):
        changeset_id = changeset_id_of(writes.store().base_iri, term.value)
        if changeset_id is not None:  # a changeset's own graph: its page in the history
            return TermView(f"changeset {changeset_id}", change_url(changeset_id), curie(term.value))
        return TermView(labels.name(term.value), link(term.value), curie(term.value))
    if isinstance(term, ox.Literal):
        exact = term_text(term, writes.store().prefixes)  # "1970-02"^^xsd:gYearMonth
        return TermView(formatting.format_literal(term), "", exact, term.language, _datatype_word(term))
    if isinstance(term, ox.DefaultGraph):
        return TermView("the default graph")
    return TermView("a blank node", "", str(term))


def _statement(quad: ox.Quad, own_graphs: Iterable[str], labels: _Labels) -> StatementView:
    graph = quad.graph_name
    shown_graph = None
    if not (isinstance(graph, ox.NamedNode) and graph.value in own_graphs):
        shown_graph = _term(graph, labels)
    subject, predicate, value = (_term(t, labels) for t in (quad.subject, quad.predicate, quad.object))
    return StatementView(subject, predicate, value, shown_graph)


def _picked(entry, shown: int) -> tuple[list[ox.Quad], list[ox.Quad], int]:
    """The removals and additions a row shows (removals first: a correction reads old, new),
    and how many it leaves out."""
    if entry.changeset is None:
        return [], [], 0
    removals, additions = list(entry.changeset.removals), list(entry.changeset.additions)
    removed = removals[:shown]
    added = additions[: max(0, shown - len(removed))]
    return removed, added, len(removals) + len(additions) - len(removed) - len(added)


def _iris(quads: Iterable[ox.Quad]) -> set[str]:
    return {
        t.value for q in quads for t in (q.subject, q.predicate, q.object, q.graph_name) if isinstance(t, ox.NamedNode)
    }


def _shown_source(source: str, labels: _Labels) -> str:
    """A source's label when the graph gives it one, else the IRI or citation itself (not a guess)."""
    return labels.get(source) or source


def entry_views(entries, *, shown: int = MAX_SHOWN) -> list[dict]:
    """What each row shows of ``entries`` (:class:`zkg.curation.history.HistoryEntry`), with
    the labels of all of them fetched at once. The feeds read ``entry``, ``url``, ``agent``
    and ``source_label`` too."""
    picks = {entry.id: _picked(entry, shown) for entry in entries}
    iris = {e.agent for e in entries} | {e.source for e in entries if is_link(e.source)}
    for removed, added, _ in picks.values():
        iris |= _iris(removed) | _iris(added)
    labels = _Labels(iris, request_languages())
    views = []
    base = writes.store().base_iri
    for entry in entries:
        removed, added, more = picks[entry.id]
        # Its own graph goes unsaid, and a revert's "reverts …" already names the graph it
        # removes from (the reverted changeset's own).
        own = {entry.iri} | ({changeset_graph(base, entry.reverts)} if entry.reverts else set())
        views.append(
            {
                "entry": entry,
                "url": change_url(entry.id),
                "agent": entry.agent_label or labels.get(entry.agent) or curie(entry.agent),
                "source_is_iri": is_link(entry.source),
                "source_label": _shown_source(entry.source, labels),
                "time": entry.time.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
                "removed": [_statement(q, own, labels) for q in removed],
                "added": [_statement(q, own, labels) for q in added],
                "more": more,
            }
        )
    return views


def statement_views(quads: Iterable[ox.Quad], own_graph: str) -> list[StatementView]:
    """Statements outside a history row (what a revert would add or remove), labelled at once;
    those of ``own_graph`` without saying so."""
    quads = list(quads)
    labels = _Labels(_iris(quads), request_languages())
    return [_statement(q, {own_graph}, labels) for q in quads]
