"""Content negotiation: which format answers a request, from tables of what each query form offers.

SELECT and ASK answer with SPARQL results (JSON by default, XML, CSV, TSV); CONSTRUCT and
DESCRIBE with RDF (Turtle by default, N-Triples, JSON-LD, RDF/XML, TriG, N-Quads). The
client says what it wants with an ``Accept`` header (RFC 9110, section 12.5.1: q-values,
wildcards, the most specific range deciding) or with a ``format=`` parameter, which wins
over Accept, as in Fuseki and Virtuoso; SPARQLWrapper sends both. Nothing acceptable: 406,
with the list of what is offered.

>>> negotiate("text/csv;q=0.5, application/sparql-results+xml", RESULTS_FORMATS).name
'xml'
>>> negotiate(None, GRAPH_FORMATS).name
'ttl'
>>> negotiate("image/png", GRAPH_FORMATS) is None
True
>>> from_parameter(["xml"], GRAPH_FORMATS).media_type
'application/rdf+xml'
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import pyoxigraph as ox

from zkg.base.errors import ZkgError
from zkg.rdf.namespaces import FORMATS


@dataclass(frozen=True)
class Format:
    """One representation the server can send."""

    name: str  # the short name, e.g. "json"; also a value of format=
    media_type: str  # what the response's Content-Type says
    label: str  # for people: "SPARQL JSON"
    aliases: tuple[str, ...] = ()  # other media types that ask for this format
    names: tuple[str, ...] = ()  # other format= values for it
    text: bool = False  # a text/* type: Content-Type gets "; charset=utf-8"
    oxigraph: ox.QueryResultsFormat | ox.RdfFormat | None = None  # pyoxigraph's format, when there is one
    w3c_format: str | None = None  # its IRI in http://www.w3.org/ns/formats/

    @property
    def results_format(self) -> ox.QueryResultsFormat:
        """The pyoxigraph results format (of a results format)."""
        if not isinstance(self.oxigraph, ox.QueryResultsFormat):
            raise TypeError(f"{self.label} is no query results format")
        return self.oxigraph

    @property
    def rdf_format(self) -> ox.RdfFormat:
        """The pyoxigraph RDF format (of a graph format)."""
        if not isinstance(self.oxigraph, ox.RdfFormat):
            raise TypeError(f"{self.label} is no RDF format")
        return self.oxigraph

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.text else self.media_type

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)


_F = FORMATS
SPARQL_JSON = Format(
    "json",
    "application/sparql-results+json",
    "SPARQL JSON",
    ("application/json",),
    ("srj",),
    oxigraph=ox.QueryResultsFormat.JSON,
    w3c_format=_F + "SPARQL_Results_JSON",
)
SPARQL_XML = Format(
    "xml",
    "application/sparql-results+xml",
    "SPARQL XML",
    ("application/xml", "text/xml"),
    ("srx",),
    oxigraph=ox.QueryResultsFormat.XML,
    w3c_format=_F + "SPARQL_Results_XML",
)
SPARQL_CSV = Format(
    "csv",
    "text/csv",
    "CSV",
    (),
    (),
    text=True,
    oxigraph=ox.QueryResultsFormat.CSV,
    w3c_format=_F + "SPARQL_Results_CSV",
)
SPARQL_TSV = Format(
    "tsv",
    "text/tab-separated-values",
    "TSV",
    (),
    (),
    text=True,
    oxigraph=ox.QueryResultsFormat.TSV,
    w3c_format=_F + "SPARQL_Results_TSV",
)

TURTLE = Format(
    "ttl",
    "text/turtle",
    "Turtle",
    ("application/x-turtle", "application/turtle"),
    ("turtle", "n3"),
    text=True,
    oxigraph=ox.RdfFormat.TURTLE,
    w3c_format=_F + "Turtle",
)
N_TRIPLES = Format(
    "nt",
    "application/n-triples",
    "N-Triples",
    (),
    ("ntriples", "n-triples"),
    oxigraph=ox.RdfFormat.N_TRIPLES,
    w3c_format=_F + "N-Triples",
)
JSON_LD = Format(
    "jsonld",
    "application/ld+json",
    "JSON-LD",
    ("application/x-json+ld", "application/json"),
    ("json-ld", "json"),
    oxigraph=ox.RdfFormat.JSON_LD,
    w3c_format=_F + "JSON-LD",
)
RDF_XML = Format(
    "rdf",
    "application/rdf+xml",
    "RDF/XML",
    ("application/xml", "text/xml"),
    ("rdfxml", "rdf+xml", "xml"),
    oxigraph=ox.RdfFormat.RDF_XML,
    w3c_format=_F + "RDF_XML",
)
TRIG = Format("trig", "application/trig", "TriG", (), (), oxigraph=ox.RdfFormat.TRIG, w3c_format=_F + "TriG")
N_QUADS = Format(
    "nq",
    "application/n-quads",
    "N-Quads",
    (),
    ("nquads", "n-quads"),
    oxigraph=ox.RdfFormat.N_QUADS,
    w3c_format=_F + "N-Quads",
)

HTML = Format("html", "text/html", "HTML", ("application/xhtml+xml",), (), text=True)

#: What answers SELECT and ASK, the default first.
RESULTS_FORMATS: tuple[Format, ...] = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV)
#: What answers CONSTRUCT and DESCRIBE (and describes the service), the default first.
GRAPH_FORMATS: tuple[Format, ...] = (TURTLE, N_TRIPLES, JSON_LD, RDF_XML, TRIG, N_QUADS)
#: Per query form.
FORMATS_BY_FORM: dict[str, tuple[Format, ...]] = {
    "SELECT": RESULTS_FORMATS,
    "ASK": RESULTS_FORMATS,
    "CONSTRUCT": GRAPH_FORMATS,
    "DESCRIBE": GRAPH_FORMATS,
}


class NotAcceptable(ZkgError):
    """Nothing offered is acceptable (HTTP 406); ``offers`` lists what is."""

    http_status = 406

    def __init__(self, offers: Sequence[Format], asked: str):
        listing = ", ".join(f"{f.media_type} (format={f.name})" for f in offers if f is not HTML)
        super().__init__(f"cannot answer with {asked}; this request can be answered as: {listing}")
        self.offers = tuple(offers)


# -- Accept -----------------------------------------------------------------------------------

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_RANGE = re.compile(rf"^\s*({_TOKEN})/({_TOKEN})\s*((?:;.*)?)$")
_QVALUE = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")


@dataclass(frozen=True)
class MediaRange:
    """One element of an Accept header."""

    type: str
    subtype: str
    params: tuple[tuple[str, str], ...]  # lower-cased names, without q
    q: float

    @property
    def specificity(self) -> int:
        """*/* < type/* < type/subtype < type/subtype;param (RFC 9110: the most specific wins)."""
        if self.type == "*":
            return 0
        if self.subtype == "*":
            return 1
        return 3 if self.params else 2

    def matches(self, media_type: str) -> bool:
        kind, _, subtype = media_type.partition("/")
        if self.type != "*" and self.type != kind:
            return False
        if self.subtype != "*" and self.subtype != subtype:
            return False
        # zkg's representations carry no parameter but charset=utf-8 (text types): a range
        # naming another parameter (text/plain;format=flowed) is about something else.
        for name, value in self.params:
            if name != "charset" or value.strip('"').lower() not in ("utf-8", "utf8"):
                return False
        return True


def _split_params(text: str) -> list[tuple[str, str]]:
    params = []
    # Parameters are separated by ';' outside quoted strings.
    for part in re.findall(r'(?:[^;"]|"(?:[^"\\]|\\.)*")+', text):
        name, sep, value = part.partition("=")
        if sep and name.strip():
            params.append((name.strip().lower(), value.strip()))
    return params


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed elements are left out.

    >>> [(r.type, r.subtype, r.q) for r in parse_accept('text/*;q=0.3, text/html;level=1, */*;q="x"')]
    [('text', '*', 0.3), ('text', 'html', 1.0)]
    """
    ranges = []
    for element in re.findall(r'(?:[^,"]|"(?:[^"\\]|\\.)*")+', header or ""):
        match = _RANGE.match(element)
        if not match:
            continue
        kind, subtype = match.group(1).lower(), match.group(2).lower()
        if kind == "*" and subtype != "*":
            continue
        params, q, valid = [], 1.0, True
        for name, value in _split_params(match.group(3)):
            if name == "q":
                if not _QVALUE.match(value):
                    valid = False
                q = float(value) if valid else 0.0
                break  # what follows q= are accept-extensions, not media type parameters
            params.append((name, value))
        if valid:
            ranges.append(MediaRange(kind, subtype, tuple(params), q))
    return ranges


def quality(media_type: str, ranges: Iterable[MediaRange]) -> tuple[float, int]:
    """(q, specificity) of the most specific range matching ``media_type``; (0, -1) if none.

    >>> quality("text/turtle", parse_accept("text/*;q=0.2, text/turtle;q=0.7, */*"))
    (0.7, 2)
    """
    best: MediaRange | None = None
    for media_range in ranges:
        if media_range.matches(media_type) and (best is None or media_range.specificity > best.specificity):
            best = media_range
    return (0.0, -1) if best is None else (best.q, best.specificity)


def negotiate(accept: str | None, offers: Sequence[Format]) -> Format | None:
    """The best of ``offers`` for an Accept header; None when none is acceptable.

    No header, an empty one or one with nothing parseable gives the first offer. Ties go
    to the offer named more specifically, then to the earlier offer.

    >>> negotiate("application/rdf+xml, */*", GRAPH_FORMATS).name  # named beats wildcard
    'rdf'
    >>> negotiate("application/sparql-results+json;q=0, */*", RESULTS_FORMATS).name
    'xml'
    """
    if accept is not None and len(accept) <= 512:
        return _negotiate_remembered(accept, tuple(offers))
    return _negotiate(accept, offers)


@functools.lru_cache(maxsize=1024)
def _negotiate_remembered(accept: str, offers: tuple[Format, ...]) -> Format | None:
    # Clients send the same few Accept headers again and again: parse each once.
    return _negotiate(accept, offers)


def _negotiate(accept: str | None, offers: Sequence[Format]) -> Format | None:
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0] if offers else None
    best, best_key = None, None
    for index, offer in enumerate(offers):
        # Over the offer's media types, the most specific mention decides: a q=0 on the
        # main type is not undone by */* matching an alias.
        # Aliases count only when named: text/* must not pick XML results for text/xml.
        mentions = [quality(offer.media_type, ranges)]
        mentions += [(q, s) for q, s in (quality(t, ranges) for t in offer.aliases) if s >= 2]
        specificity, q = max((s, q) for q, s in mentions)
        key = (q, specificity, -index)
        if q > 0 and (best_key is None or key > best_key):
            best, best_key = offer, key
    return best


def from_parameter(values: Sequence[str], offers: Sequence[Format]) -> Format | None:
    """The format a ``format=`` parameter names (a short name or a media type); None when
    there is no such parameter; :class:`NotAcceptable` when none of its values is offered.

    >>> from_parameter(["tsv", "text/tab-separated-values"], RESULTS_FORMATS).name
    'tsv'
    >>> from_parameter(["text/turtle"], RESULTS_FORMATS)
    Traceback (most recent call last):
    ...
    zkg.rdf.negotiation.NotAcceptable: cannot answer with format=text/turtle; this request can be answered as: application/sparql-results+json (format=json), application/sparql-results+xml (format=xml), text/csv (format=csv), text/tab-separated-values (format=tsv)
    """
    wanted = [v.strip() for v in values if v.strip()]
    if not wanted:
        return None
    for value in wanted:
        key = value.split(";", 1)[0].strip().lower()
        for offer in offers:
            if key == offer.name or key in offer.names or key in offer.media_types:
                return offer
    raise NotAcceptable(offers, "format=" + ", ".join(wanted))


def choose(accept: str | None, format_values: Sequence[str], offers: Sequence[Format]) -> Format:
    """``format=`` if given, else Accept; raises :class:`NotAcceptable`."""
    chosen = from_parameter(format_values, offers)
    if chosen is None:
        chosen = negotiate(accept, offers)
    if chosen is None:
        raise NotAcceptable(offers, f"Accept: {accept}")
    return chosen
