"""Query results to bytes, in every format, with the row cap marked wherever the format can say it.

pyoxigraph serialises a whole ``QuerySolutions`` but not a capped one, so the endpoint first
collects at most ``limit + 1`` rows (the extra one tells whether there were more), writes
them as lossless SPARQL JSON, has pyoxigraph parse that and serialise it in the format asked
for. Uncapped output is therefore exactly pyoxigraph's standard serialisation. Capped output
adds, where the format allows: in SPARQL JSON a ``link`` in ``head`` and a top-level
``truncated`` object; in SPARQL XML a ``<link>`` in ``head`` and a comment; in Turtle, TriG,
N-Triples and N-Quads a leading comment; in RDF/XML a comment. CSV, TSV and JSON-LD have no
place for it: the HTTP headers (set by the web layer) carry it for every format.

>>> from pyoxigraph import NamedNode, Variable, Literal
>>> rows = [{"x": NamedNode("http://a")}, {"x": Literal("b", language="en")}]
>>> print(serialize_solutions(["x"], rows, negotiation.SPARQL_TSV).decode(), end="")
?x
<http://a>
"b"@en
>>> capped = serialize_solutions(["x"], rows[:1], negotiation.SPARQL_JSON, Truncation(1, "http://z/doc#row-limit"))
>>> json.loads(capped)["truncated"]["limit"], json.loads(capped)["head"]["link"]
(1, ['http://z/doc#row-limit'])
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import islice
from typing import Any, Iterable, Mapping, Protocol, Sequence, TypeVar

import pyoxigraph as ox

from zkg.rdf import negotiation
from zkg.rdf.namespaces import XSD
from zkg.rdf.negotiation import Format

XSD_STRING = XSD + "string"
T = TypeVar("T")


class Solution(Protocol):
    """One row of SELECT results, indexed by variable name: a mapping, or a pyoxigraph
    ``QuerySolution`` (which is no ``Mapping``), its value None where the variable is unbound."""

    def __getitem__(self, name: str, /) -> Any: ...


@dataclass(frozen=True)
class Truncation:
    """The answer was cut at ``limit`` rows (or triples); ``doc_url`` explains the cap."""

    limit: int
    doc_url: str | None = None

    @property
    def message(self) -> str:
        return (
            f"results truncated: only the first {self.limit} were sent (the server's row limit); "
            "add LIMIT/OFFSET to page through the rest"
        )


def collect(items: Iterable[T], limit: int) -> tuple[list[T], bool]:
    """At most ``limit`` items, and whether there were more (reads one item past the limit).

    >>> collect(iter(range(5)), 3)
    ([0, 1, 2], True)
    >>> collect(range(3), 3)
    ([0, 1, 2], False)
    """
    taken = list(islice(items, limit + 1))
    return taken[:limit], len(taken) > limit


# -- SPARQL results --------------------------------------------------------------------------


def term_json(term: object) -> dict[str, Any]:
    """A term as a SPARQL 1.1 (1.2 for triple terms and directions) JSON results object."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            direction = getattr(term, "direction", None)
            if direction:
                out["its:dir"] = str(getattr(direction, "value", direction)).lower().rsplit(".", 1)[-1]
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": term_json(term.subject),
                "predicate": term_json(term.predicate),
                "object": term_json(term.object),
            },
        }
    raise TypeError(f"not an RDF term: {term!r}")


def solutions_json(variables: Sequence[str], rows: Iterable[Solution]) -> bytes:
    """Lossless SPARQL JSON of ``rows`` (mappings or QuerySolutions, indexed by variable name)."""
    bindings = []
    for row in rows:
        binding = {}
        for name in variables:
            value = row[name]
            if value is not None:
                binding[name] = term_json(value)
        bindings.append(binding)
    document = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def serialize_solutions(
    variables: Sequence[str], rows: Iterable[Solution], fmt: Format, truncation: Truncation | None = None
) -> bytes:
    """SELECT results as ``fmt`` (a results format of :mod:`zkg.rdf.negotiation`)."""
    parsed = ox.parse_query_results(solutions_json(variables, rows), format=ox.QueryResultsFormat.JSON)
    output = _bytes(parsed.serialize(format=fmt.results_format))
    return output if truncation is None else _mark_results(output, fmt, truncation)


def serialize_boolean(value: bool, fmt: Format) -> bytes:
    """ASK results as ``fmt``."""
    document = b'{"head":{},"boolean":true}' if value else b'{"head":{},"boolean":false}'
    return _bytes(
        ox.parse_query_results(document, format=ox.QueryResultsFormat.JSON).serialize(format=fmt.results_format)
    )


def _bytes(serialized: bytes | None) -> bytes:
    """What pyoxigraph's serialize returns when given no output (bytes; None only with one)."""
    assert serialized is not None
    return serialized


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _mark_results(output: bytes, fmt: Format, truncation: Truncation) -> bytes:
    if fmt is negotiation.SPARQL_JSON:
        document = json.loads(output)
        if truncation.doc_url:
            document["head"]["link"] = [truncation.doc_url]
        document["truncated"] = {"limit": truncation.limit, "message": truncation.message}
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if fmt is negotiation.SPARQL_XML:
        text = output.decode("utf-8")
        link = f'<link href="{_xml_escape(truncation.doc_url)}"/>' if truncation.doc_url else ""
        # The first </head> is the element's own: literal text inside results is escaped.
        text = text.replace("</head>", link + "</head>", 1)
        declaration_end = text.find("?>") + 2 if text.startswith("<?xml") else 0
        comment = f"<!-- {truncation.message.replace('--', '- -')} -->"
        return (text[:declaration_end] + comment + text[declaration_end:]).encode("utf-8")
    return output  # CSV, TSV: the HTTP headers say it


# -- graphs -------------------------------------------------------------------------------------


def used_prefixes(triples: Sequence[ox.Triple], prefixes: Mapping[str, str]) -> dict[str, str]:
    """The prefixes whose namespace starts some IRI of ``triples`` (Turtle declares only those)."""
    iris: set[str] = set()

    def add(term: object) -> None:
        if isinstance(term, ox.NamedNode):
            iris.add(term.value)
        elif isinstance(term, ox.Literal):
            iris.add(term.datatype.value)
        elif isinstance(term, ox.Triple):
            add(term.subject)
            add(term.predicate)
            add(term.object)

    for triple in triples:
        add(triple.subject)
        add(triple.predicate)
        add(triple.object)
    return {name: ns for name, ns in prefixes.items() if any(iri.startswith(ns) for iri in iris)}


def serialize_triples(
    triples: Sequence[ox.Triple],
    fmt: Format,
    *,
    prefixes: Mapping[str, str] | None = None,
    truncation: Truncation | None = None,
) -> bytes:
    """CONSTRUCT/DESCRIBE results as ``fmt`` (a graph format; TriG and N-Quads put the
    triples in the default graph)."""
    shown = used_prefixes(triples, prefixes) if prefixes and fmt in (negotiation.TURTLE, negotiation.TRIG) else None
    output = _bytes(ox.serialize(list(triples), format=fmt.rdf_format, prefixes=shown))
    if truncation is None:
        return output
    if fmt in (negotiation.TURTLE, negotiation.TRIG, negotiation.N_TRIPLES, negotiation.N_QUADS):
        comment = f"# {truncation.message}\n" + (f"# see {truncation.doc_url}\n" if truncation.doc_url else "")
        return comment.encode("utf-8") + output
    if fmt is negotiation.RDF_XML:
        text = output.decode("utf-8")
        declaration_end = text.find("?>") + 2 if text.startswith("<?xml") else 0
        comment = f"\n<!-- {truncation.message.replace('--', '- -')} -->"
        return (text[:declaration_end] + comment + text[declaration_end:]).encode("utf-8")
    return output  # JSON-LD: the HTTP headers say it
