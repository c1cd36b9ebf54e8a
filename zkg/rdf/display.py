"""Text for people: RDF terms with CURIEs, and aligned tables (CJK-width aware).

>>> import pyoxigraph as ox
>>> p = {"xsd": "http://www.w3.org/2001/XMLSchema#", "id": "http://zkg.test/id/"}
>>> term_text(ox.Literal("2016-03-05", datatype=ox.NamedNode(p["xsd"] + "date")), p)
'"2016-03-05"^^xsd:date'
>>> term_text(ox.Literal("42", datatype=ox.NamedNode(p["xsd"] + "integer")), p)
'42'
>>> print(table(["name", "n"], [["中关村", "1"], ["Z-Park", "22"]]))
name   | n
-------+---
中关村 | 1
Z-Park | 22
"""

from __future__ import annotations

import unicodedata

import pyoxigraph as ox

from zkg.rdf.namespaces import XSD
from zkg.rdf.prefixes import compact

_XSD = XSD
_PLAIN = {_XSD + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}
# Literals of these types read unambiguously without quotes, as in Turtle.
_BARE = {_XSD + t for t in ("integer", "decimal", "double", "boolean")}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def term_text(term: object, prefix_map: dict[str, str]) -> str:
    """A pyoxigraph or rdflib term as Turtle-like text, IRIs compacted; None gives ''."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return compact(term.value, prefix_map)
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.Literal):
        return _literal_text(term.value, term.language, term.datatype.value, prefix_map)
    from rdflib import BNode, Literal, URIRef  # only rdflib terms get here (SHACL reports)

    if isinstance(term, URIRef):
        return compact(str(term), prefix_map)
    if isinstance(term, BNode):
        return "_:" + str(term)
    if isinstance(term, Literal):
        datatype = str(term.datatype) if term.datatype is not None else _XSD + "string"
        return _literal_text(str(term), term.language, datatype, prefix_map)
    return str(term)


def _literal_text(lexical: str, language: str | None, datatype: str, prefix_map: dict[str, str]) -> str:
    if language:
        return f'"{_escape(lexical)}"@{language}'
    if datatype in _BARE and lexical and not any(c.isspace() for c in lexical):
        return lexical
    if datatype in _PLAIN:
        return f'"{_escape(lexical)}"'
    return f'"{_escape(lexical)}"^^{compact(datatype, prefix_map)}'


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def _pad(text: str, columns: int) -> str:
    return text + " " * (columns - width(text))


def table(headers: list[str], rows: list[list[str]]) -> str:
    """Aligned columns separated by `` | ``, a rule under the headers; no trailing spaces."""
    widths = [width(h) for h in headers]
    for row in rows:
        widths = [max(w, width(cell)) for w, cell in zip(widths, row)]
    lines = [" | ".join(_pad(h, w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(_pad(c, w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)
