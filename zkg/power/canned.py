"""Canned queries: SPARQL files with named, typed parameters, run as stable APIs.

Each query is one file ``<slug>.rq`` in ``zkg/power/queries/`` (shipped in the package). Its
leading comment block says what it is and what it takes::

    # title: Organisation profile
    # question: What does the graph say about one organisation?
    # param: org   iri      required              the organisation (id:z-park or a full IRI)
    # param: lang  language optional default=en  the language of the labels

``# param:`` is ``NAME TYPE [required|optional] [default=VALUE] [description]``. The types:

========== ================================================ =========================
type       accepted text                                    bound as
========== ================================================ =========================
iri        an absolute IRI, or ``prefix:local`` with a      IRI
           predeclared prefix (``id:z-park``), up to 2000
           characters
string     any text up to 1000 characters                   xsd:string literal
integer    ``-12``, ``2014``                                xsd:integer
decimal    ``40.7``, ``-3``, ``.5``                         xsd:decimal
date       ``2016-03-05`` (a real calendar date)            xsd:date
year       ``2015``                                         xsd:gYear
language   a language tag: ``en``, ``zh-Hans``              xsd:string literal
boolean    ``true``, ``false``, ``1``, ``0``                xsd:boolean
========== ================================================ =========================

Values are never spliced into the query text: each is parsed and checked by its type,
made into an RDF term by pyoxigraph (which writes IRIs and literals in their escaped
N-Triples form), and the terms are given to the query as one ``VALUES`` row at the start of
its WHERE clause. A parameter is therefore bound wherever the WHERE clause's own variables
are: in its triple patterns, its FILTERs, its OPTIONALs (not inside sub-SELECTs, nested
``{ }`` groups or UNION branches, which are evaluated on their own). The same text runs on
the embedded store and on a remote engine. An optional parameter given no value and no
default stays unbound.

>>> query = parse_query_text("demo", '''# title: Demo
... # param: org iri required the organisation
... # param: year integer optional default=2014
... SELECT ?name WHERE { ?org schema:name ?name ; zkg:year ?year }''')
>>> [(p.name, p.type, p.required, p.default) for p in query.params]
[('org', 'iri', True, None), ('year', 'integer', False, '2014')]
>>> print(query.bind({"org": "id:z-park"}, prefixes={"id": "http://zkg.test/id/"}).splitlines()[-1])
SELECT ?name WHERE { VALUES (?org ?year) { (<http://zkg.test/id/z-park> "2014"^^<http://www.w3.org/2001/XMLSchema#integer>) } ?org schema:name ?name ; zkg:year ?year }
>>> query.bind({"year": "2014"})
Traceback (most recent call last):
...
zkg.power.canned.ParameterError: parameter 'org' is required: an IRI (id:z-park, or a full IRI such as http://…)
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable, Iterator, Mapping

import pyoxigraph as ox

from zkg.base.errors import ZkgError
from zkg.linked_data.labels import is_language_tag
from zkg.rdf.namespaces import XSD
from zkg.rdf.sparql_scan import scan, tokens

log = logging.getLogger(__name__)

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
MAX_STRING = 1000
#: Characters of an IRI parameter (no IRI of the dataset is near it).
MAX_IRI = 2000
#: Request parameters the server takes for every canned query (``format=``), which a query
#: cannot declare. ``lang=`` picks the language of labels in the HTML table, and may also be
#: declared by a query (a ``language`` parameter), which then gets it too.
RESERVED = ("format",)
LABEL_LANGUAGE = "lang"

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER = re.compile(r"^#\s*(title|question|param)\s*:\s*(.*?)\s*$", re.IGNORECASE)
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_YEAR = re.compile(r"^[0-9]{4}$")


class ParameterError(ZkgError):
    """A parameter value the query cannot take (HTTP 400)."""

    http_status = 400


class CannedQueryError(ZkgError):
    """A query file that is not a valid canned query (a bug in the file, found at load)."""


@dataclass(frozen=True)
class ParamType:
    name: str
    summary: str  # for messages: "an IRI (…)"
    json_schema: dict  # for the OpenAPI document
    parser: Callable[[str, Mapping[str, str]], object]

    def parse(self, text: str, prefixes: Mapping[str, str]):
        return self.parser(text, prefixes)


def _literal(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


#: Schemes accepted without "//" (everything else written ``x:y`` must be a known prefix).
OPAQUE_SCHEMES = ("urn", "mailto", "tag", "tel", "data")


def _parse_iri(text: str, prefixes: Mapping[str, str]) -> ox.NamedNode:
    if len(text) > MAX_IRI:
        raise ValueError(f"longer than {MAX_IRI} characters")
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    prefix, colon, local = text.partition(":")
    if not colon:
        raise ValueError("not an IRI (no scheme or prefix)")
    if prefix in prefixes and not local.startswith("//"):
        text = prefixes[prefix] + local
    elif not local.startswith("//") and prefix.lower() not in OPAQUE_SCHEMES:
        raise ValueError(f"not an IRI: '{prefix}:' is neither a predeclared prefix nor a URL scheme")
    if not _IRI.match(text):
        raise ValueError("not an absolute IRI (no spaces, quotes or <>{}|\\^` allowed)")
    try:
        return ox.NamedNode(text)
    except ValueError:
        raise ValueError("not a valid IRI") from None


def _parse_string(text: str, prefixes) -> ox.Literal:
    if len(text) > MAX_STRING:
        raise ValueError(f"longer than {MAX_STRING} characters")
    return ox.Literal(text)


def _parse_integer(text: str, prefixes) -> ox.Literal:
    if not _INTEGER.match(text.strip()):
        raise ValueError("not an integer")
    return _literal(str(int(text.strip())), "integer")


def _parse_decimal(text: str, prefixes) -> ox.Literal:
    if not _DECIMAL.match(text.strip()):
        raise ValueError("not a decimal number")
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError("not a decimal number") from None
    canonical = format(value, "f")
    return _literal(canonical if "." in canonical else canonical + ".0", "decimal")


def _parse_date(text: str, prefixes) -> ox.Literal:
    match = _DATE.match(text.strip())
    if not match:
        raise ValueError("not a date YYYY-MM-DD")
    try:
        datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as error:
        raise ValueError(f"not a calendar date ({error})") from None
    return _literal(text.strip(), "date")


def _parse_year(text: str, prefixes) -> ox.Literal:
    if not _YEAR.match(text.strip()):
        raise ValueError("not a four-digit year")
    return _literal(text.strip(), "gYear")


def _parse_language(text: str, prefixes) -> ox.Literal:
    if not is_language_tag(text.strip()):
        raise ValueError("not a language tag")
    return ox.Literal(text.strip())


def _parse_boolean(text: str, prefixes) -> ox.Literal:
    value = text.strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise ValueError("not true or false")
    return _literal("true" if value in ("true", "1") else "false", "boolean")


TYPES: dict[str, ParamType] = {
    t.name: t
    for t in (
        ParamType(
            "iri",
            "an IRI (id:z-park, or a full IRI such as http://…)",
            {"type": "string", "format": "iri", "maxLength": MAX_IRI},
            _parse_iri,
        ),
        ParamType(
            "string",
            f"text (at most {MAX_STRING} characters)",
            {"type": "string", "maxLength": MAX_STRING},
            _parse_string,
        ),
        ParamType("integer", "an integer (2014)", {"type": "integer"}, _parse_integer),
        ParamType(
            "decimal", "a decimal number (40.7)", {"type": "string", "pattern": _DECIMAL.pattern}, _parse_decimal
        ),
        ParamType("date", "a date (2016-03-05)", {"type": "string", "format": "date"}, _parse_date),
        ParamType("year", "a year (2015)", {"type": "string", "pattern": _YEAR.pattern}, _parse_year),
        ParamType(
            "language",
            "a language tag (en, zh-Hans)",
            {"type": "string", "pattern": r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"},
            _parse_language,
        ),
        ParamType("boolean", "true or false", {"type": "boolean"}, _parse_boolean),
    )
}


@dataclass(frozen=True)
class QueryParam:
    name: str
    type: str
    required: bool
    default: str | None = None
    description: str = ""

    @property
    def kind(self) -> ParamType:
        return TYPES[self.type]

    def parse(self, text: str, prefixes: Mapping[str, str]):
        try:
            return self.kind.parse(text, prefixes)
        except (ValueError, TypeError) as error:
            shown = text if len(text) <= 80 else text[:77] + "…"
            raise ParameterError(f"parameter '{self.name}' must be {self.kind.summary}; '{shown}' is {error}") from None


@dataclass(frozen=True)
class CannedQuery:
    slug: str
    title: str
    question: str
    text: str  # the whole file
    form: str  # SELECT, ASK, CONSTRUCT, DESCRIBE
    params: tuple[QueryParam, ...] = field(default_factory=tuple)
    _insert_at: int = 0  # offset just after the WHERE clause's opening brace
    _wrap_end: int | None = None  # offset of its closing brace, when the body is a sub-SELECT

    @property
    def required(self) -> list[QueryParam]:
        return [p for p in self.params if p.required]

    def param(self, name: str) -> QueryParam | None:
        return next((p for p in self.params if p.name == name), None)

    def terms(self, values: Mapping[str, str], prefixes: Mapping[str, str] | None = None) -> dict[str, object]:
        """The RDF term of each parameter that has a value (given, else its default);
        :class:`ParameterError` for an unknown name, a missing required one or a bad value."""
        prefixes = prefixes or {}
        unknown = sorted(set(values) - {p.name for p in self.params})
        if unknown:
            takes = ", ".join(p.name for p in self.params) or "no parameters"
            raise ParameterError(f"unknown parameter '{unknown[0]}': this query takes {takes}")
        bound: dict[str, object] = {}
        for param in self.params:
            text = values.get(param.name)
            if text is None or text == "":
                if param.default is not None:
                    text = param.default
                elif param.required:
                    raise ParameterError(f"parameter '{param.name}' is required: {param.kind.summary}")
                else:
                    continue
            bound[param.name] = param.parse(text, prefixes)
        return bound

    def bind(self, values: Mapping[str, str], prefixes: Mapping[str, str] | None = None) -> str:
        """The query text with the parameters' terms as a VALUES row (see the module)."""
        bound = self.terms(values, prefixes)
        if not bound:
            return self.text
        names = " ".join(f"?{name}" for name in bound)
        row = " ".join(str(term) for term in bound.values())
        block = f" VALUES ({names}) {{ ({row}) }}"
        at, end = self._insert_at, self._wrap_end
        if end is None:
            return self.text[:at] + block + self.text[at:]
        return self.text[:at] + block + " {" + self.text[at:end] + "} " + self.text[end:]

    def as_json(self) -> dict:
        return {
            "slug": self.slug,
            "title": self.title,
            "question": self.question,
            "form": self.form,
            "params": [
                {
                    "name": p.name,
                    "type": p.type,
                    "required": p.required,
                    "default": p.default,
                    "description": p.description,
                }
                for p in self.params
            ],
        }


def _parse_param(line: str, where: str) -> QueryParam:
    parts = line.split(None, 2)
    if len(parts) < 2 or not _NAME.match(parts[0]):
        raise CannedQueryError(f"{where}: '# param: {line}' needs a name and a type")
    name, kind, rest = parts[0], parts[1].lower(), parts[2] if len(parts) > 2 else ""
    if kind not in TYPES:
        raise CannedQueryError(f"{where}: parameter '{name}' has unknown type '{kind}' (one of {', '.join(TYPES)})")
    required, default = False, None
    while rest:
        match = re.match(r'^(required|optional|default=(?:"([^"]*)"|(\S+)))(?:\s+|$)(.*)$', rest, re.DOTALL)
        if not match:
            break
        word = match.group(1)
        if word == "required":
            required = True
        elif word.startswith("default="):
            default = match.group(2) if match.group(2) is not None else match.group(3)
        rest = match.group(4)
    param = QueryParam(name, kind, required, default, rest.strip())
    if default is not None:
        try:
            param.parse(default, {})
        except ParameterError as error:
            if kind != "iri":  # an IRI default may use a predeclared prefix, checked when used
                raise CannedQueryError(f"{where}: the default of {error.message}") from None
    return param


def _where_clause(text: str, form: str, where: str) -> tuple[int, int | None]:
    """Offsets where the VALUES row goes: just after the WHERE clause's ``{``, and that
    group's closing ``}`` when its body is a sub-SELECT (then the body is wrapped)."""
    items = list(tokens(text))
    index = next((i for i, t in enumerate(items) if t.keyword == form), None)
    if index is None:
        raise CannedQueryError(f"{where}: no {form} keyword")
    i = index + 1
    if form == "CONSTRUCT" and i < len(items) and items[i].text == "{":
        depth = 0  # skip the template
        while i < len(items):
            depth += {"{": 1, "}": -1}.get(items[i].text, 0) if items[i].kind == "punct" else 0
            i += 1
            if depth == 0:
                break
    depth = 0
    while i < len(items):
        token = items[i]
        if token.kind == "punct" and token.text == "{" and depth == 0:
            break
        if token.kind == "punct" and token.text in "([":
            depth += 1
        elif token.kind == "punct" and token.text in ")]":
            depth -= 1
        i += 1
    else:
        raise CannedQueryError(f"{where}: no WHERE clause found")
    opening = items[i]
    nxt = items[i + 1] if i + 1 < len(items) else None
    if nxt is None or nxt.keyword != "SELECT":
        return opening.start + 1, None
    depth, j = 0, i
    while j < len(items):
        if items[j].kind == "punct" and items[j].text in "{}":
            depth += 1 if items[j].text == "{" else -1
            if depth == 0:
                return opening.start + 1, items[j].start
        j += 1
    raise CannedQueryError(f"{where}: the WHERE clause is not closed")


def header_fields(text: str) -> Iterator[tuple[str, str]]:
    """The ``# title:``, ``# question:`` and ``# param:`` lines of a query file's leading
    comment block, as (lower-case key, value) pairs in file order. The canned queries and the
    editor's examples are the same files, read by this one function.

    >>> list(header_fields("# Title: Who\\n# note\\n# param: org iri\\nSELECT * {}\\n# title: late"))
    [('title', 'Who'), ('param', 'org iri')]
    """
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            return  # the header is the leading comment block only
        match = _HEADER.match(stripped)
        if match:
            yield match.group(1).lower(), match.group(2)


def parse_query_text(slug: str, text: str, *, where: str | None = None) -> CannedQuery:
    """A canned query from its file's text; :class:`CannedQueryError` if it is malformed."""
    where = where or slug
    if not _SLUG.match(slug):
        raise CannedQueryError(f"{where}: the file name must be a slug (lower-case letters, digits, hyphens)")
    found: dict[str, str] = {}
    params: list[QueryParam] = []
    for key, value in header_fields(text):
        if key == "param":
            param = _parse_param(value, where)
            if any(p.name == param.name for p in params):
                raise CannedQueryError(f"{where}: parameter '{param.name}' is declared twice")
            if param.name in RESERVED:
                raise CannedQueryError(f"{where}: '{param.name}' is reserved ({', '.join(RESERVED)})")
            params.append(param)
        elif key not in found:
            found[key] = value
    form = scan(text).form
    if form is None:
        raise CannedQueryError(f"{where}: not a SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE)")
    variables = {t.text[1:] for t in tokens(text) if t.kind == "var"}
    for param in params:
        if param.name not in variables:
            raise CannedQueryError(f"{where}: parameter '{param.name}' is not a variable of the query")
    insert_at, wrap_end = _where_clause(text, form, where) if params else (0, None)
    return CannedQuery(
        slug=slug,
        title=found.get("title") or slug,
        question=found.get("question", ""),
        text=text.strip() + "\n",
        form=form,
        params=tuple(params),
        _insert_at=insert_at,
        _wrap_end=wrap_end,
    )


def load_queries(directory: str | Path | None = None) -> list[CannedQuery]:
    """Every ``*.rq`` of ``directory`` (default :data:`QUERIES_DIR`), in file-name order.
    A malformed file is left out with an error in the log (the tests check every shipped one)."""
    folder = Path(directory) if directory is not None else QUERIES_DIR
    if not folder.is_dir():
        return []
    queries = []
    for path in sorted(folder.glob("*.rq")):
        try:
            queries.append(parse_query_text(path.stem, path.read_text(encoding="utf-8"), where=path.name))
        except (OSError, UnicodeDecodeError, CannedQueryError) as error:
            log.error("canned query %s left out: %s", path.name, error)
    return queries
