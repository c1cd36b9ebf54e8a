"""Copies of pyoxigraph quads as rdflib graphs, for the tools that need rdflib (pySHACL).

rdflib is imported here only, and only when a view is asked for, so that commands that do
not need it start fast.

>>> import pyoxigraph as ox
>>> q = ox.Quad(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal("chat", language="fr"))
>>> g = rdflib_graph([q])
>>> [str(o) + "@" + o.language for o in g.objects()]
['chat@fr']
"""

from __future__ import annotations

from typing import Any, Iterable

import pyoxigraph as ox

from zkg.rdf.namespaces import RDF, XSD

_XSD_STRING = XSD + "string"
_RDF_LANG_STRING = RDF + "langString"


def rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Any:
    """The rdflib equivalent of a pyoxigraph term.

    Simple literals become rdflib literals without datatype, as rdflib's own parsers make
    them, so that rdflib and pyoxigraph agree on what is equal.
    """
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype in (_XSD_STRING, _RDF_LANG_STRING):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"no rdflib equivalent for {term!r} (RDF 1.2 triple terms are not supported)")


def rdflib_graph(quads: Iterable[ox.Quad]) -> Any:
    """One rdflib ``Graph`` holding the triples of ``quads`` (graph names dropped: a union)."""
    from rdflib import Graph

    graph = Graph()
    add = graph.add
    for quad in quads:
        add((rdflib_term(quad.subject), rdflib_term(quad.predicate), rdflib_term(quad.object)))
    return graph
