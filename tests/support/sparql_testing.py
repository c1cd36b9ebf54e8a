"""Helpers for the SPARQL tests (competency questions, vocabulary guards).

:class:`KG` is the small interface those tests use over the project's store
(``zkg.store.local.Store``): SELECT and ASK queries whose results come back as plain :class:`Term`
values, so that they compare with expected answers written in files (:func:`parse_cell`).
:func:`fresh_store` loads a new in-memory copy of the project's data, for tests that change it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable
from urllib.parse import urljoin

import pyoxigraph as ox

from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE
from zkg.rdf.prefixes import prefixes as project_prefixes
from zkg.store.local import Store

BASE_IRI = TEST_BASE

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
# xsd:integer and its subtypes are derived from xsd:decimal: the same value space, so they
# compare by value (ROUND(?x) of a decimal is a decimal "21", the data's 21 an integer).
DECIMALS = {
    XSD + name
    for name in (
        "decimal",
        "integer",
        "positiveInteger",
        "nonNegativeInteger",
        "negativeInteger",
        "nonPositiveInteger",
        "long",
        "int",
        "short",
    )
}
NUMERIC = DECIMALS | {XSD + "double", XSD + "float"}

# Code lists live under {base}code/<scheme>/; the data files use these prefixes for them.
# They are not predeclared for queries, only used to write expected answers readably.
CODE_PREFIXES = {
    "role": "code/role/",
    "kind": "code/org-kind/",
    "cat": "code/distinction-category/",
    "ind": "code/indicator/",
    "unit": "code/unit/",
    "tf": "code/transformation/",
}


def expected_prefixes(base: str) -> dict[str, str]:
    """The prefixes an expected-answer file may use: the project's plus the code lists."""
    result = project_prefixes(base)
    result.update({name: base + path for name, path in CODE_PREFIXES.items()})
    return result


# --------------------------------------------------------------------------------------------
# Terms: one comparable form for pyoxigraph terms, rdflib terms and expected-answer cells
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """An RDF term reduced to what comparisons need.

    kind is "iri", "literal" or "bnode". Numeric literals compare by value (so "125.70" equals
    "125.7", and an xsd:integer equals the xsd:decimal of the same value; doubles stay apart);
    blank nodes compare equal to each other (labels are arbitrary).
    """

    kind: str
    value: str = ""
    datatype: str | None = None
    language: str | None = None

    def key(self) -> tuple:
        if self.kind == "bnode":
            return ("bnode",)
        if self.kind == "literal" and self.datatype in NUMERIC:
            try:
                number = Decimal(self.value)
            except InvalidOperation:
                return ("literal", self.value, self.datatype, None)
            family = "decimal" if self.datatype in DECIMALS else self.datatype
            return ("number", family, number.normalize() if number else Decimal(0))
        return (self.kind, self.value, self.datatype, (self.language or "").lower() or None)

    def __str__(self) -> str:
        if self.kind == "iri":
            return f"<{self.value}>"
        if self.kind == "bnode":
            return "[]"
        text = '"' + self.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if self.language:
            return f"{text}@{self.language}"
        if self.datatype and self.datatype != XSD + "string":
            return f"{text}^^<{self.datatype}>"
        return text


def from_oxigraph(term: Any) -> Term | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return Term("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return Term("bnode", term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Term("literal", term.value, RDF_LANG_STRING, term.language)
        return Term("literal", term.value, term.datatype.value)
    return from_rdflib(term)


def from_rdflib(term: Any) -> Term | None:
    """Convert an rdflib term (for a project store that answers with rdflib results)."""
    if term is None:
        return None
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return Term("iri", str(term))
    if isinstance(term, BNode):
        return Term("bnode", str(term))
    if isinstance(term, Literal):
        if term.language:
            return Term("literal", str(term), RDF_LANG_STRING, term.language)
        return Term("literal", str(term), str(term.datatype or XSD + "string"))
    raise TypeError(f"not an RDF term: {term!r}")


_LITERAL = re.compile(r'^"((?:[^"\\]|\\.)*)"(?:@([A-Za-z]+(?:-[A-Za-z0-9]+)*)|\^\^(<[^>]*>|[A-Za-z][\w.-]*:\S*))?$')
_PNAME = re.compile(r"^([A-Za-z][\w.-]*)?:(\S*)$")
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", '"': '"', "\\": "\\"}


def parse_cell(cell: str, base: str, prefix_map: dict[str, str]) -> Term | None:
    """One expected value, written the Turtle way.

    ``<rel/or/abs>`` an IRI resolved against the base; ``id:luo-wei`` a prefixed name;
    ``"text"``, ``"text"@en``, ``"1988"^^xsd:gYear`` literals; ``492`` an xsd:integer,
    ``40.4`` an xsd:decimal, ``true``/``false`` xsd:boolean; an empty cell is unbound.
    """
    cell = cell.strip()
    if cell == "":
        return None
    if cell.startswith("<") and cell.endswith(">"):
        return Term("iri", urljoin(base, cell[1:-1]))
    if re.fullmatch(r"[+-]?\d+", cell):
        return Term("literal", cell, XSD + "integer")
    if re.fullmatch(r"[+-]?\d*\.\d+", cell):
        return Term("literal", cell, XSD + "decimal")
    if cell in ("true", "false"):
        return Term("literal", cell, XSD + "boolean")
    match = _LITERAL.match(cell)
    if match:
        text = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), match.group(1))
        if match.group(2):
            return Term("literal", text, RDF_LANG_STRING, match.group(2))
        if match.group(3):
            datatype = parse_cell(match.group(3), base, prefix_map)
            return Term("literal", text, datatype.value)
        return Term("literal", text, XSD + "string")
    match = _PNAME.match(cell)
    if match and (match.group(1) or "") in prefix_map:
        return Term("iri", prefix_map[match.group(1) or ""] + match.group(2))
    raise ValueError(f"cannot read expected value {cell!r}")


# --------------------------------------------------------------------------------------------
# The store interface the tests use
# --------------------------------------------------------------------------------------------


@dataclass
class Solutions:
    variables: list[str]
    rows: list[dict[str, Term | None]]


class KG:
    """A loaded graph the tests can ask SPARQL SELECT and ASK queries of."""

    def __init__(self, run: Callable[[str], Any], base: str, description: str):
        self._run = run
        self.base = base
        self.description = description
        self.prefixes = project_prefixes(base)

    def query(self, sparql: str) -> Solutions | bool:
        return normalize_result(self._run(sparql))

    def select(self, sparql: str) -> Solutions:
        result = self.query(sparql)
        if not isinstance(result, Solutions):
            raise TypeError("expected a SELECT query")
        return result

    def ask(self, sparql: str) -> bool:
        result = self.query(sparql)
        if not isinstance(result, bool):
            raise TypeError("expected an ASK query")
        return result


def normalize_result(result: Any) -> Solutions | bool:
    """pyoxigraph QuerySolutions/QueryBoolean, an rdflib Result, or a plain bool."""
    if isinstance(result, bool):
        return result
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return Solutions(names, [{n: from_oxigraph(row[n]) for n in names} for row in result])
    if getattr(result, "type", None) == "ASK":  # rdflib
        return bool(result.askAnswer)
    if getattr(result, "type", None) == "SELECT":  # rdflib
        names = [str(v) for v in result.vars]
        return Solutions(names, [{n: from_rdflib(row[i]) for i, n in enumerate(names)} for row in result])
    if isinstance(result, Solutions):
        return result
    raise TypeError(f"cannot read query result of type {type(result).__name__}")


# --------------------------------------------------------------------------------------------
# Stores
# --------------------------------------------------------------------------------------------


def project_kg(store: Store) -> KG:
    """Adapt the project's ``store`` fixture."""
    return KG(store.query, store.base_iri, f"project store {type(store).__name__}")


def fresh_store(update: str = "") -> Store:
    """A new in-memory store loaded from the project's graph/ and ontology/ by zkg's own
    loader, then changed by the SPARQL ``update`` (prefixes predeclared, relative IRIs resolved
    against the base)."""
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR)
    if update:
        store.update(update)
    return store
