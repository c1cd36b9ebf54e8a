"""What a SPARQL request asks for, found by a small lexer, and what zkg refuses to run.

The endpoint must know a query's form (SELECT, ASK, CONSTRUCT, DESCRIBE) before running it,
to negotiate the response format, and must refuse what would reach outside the dataset:
``SERVICE`` (federated query), ``LOAD``, and ``FROM``/``FROM NAMED`` naming a graph the
dataset does not have (engines that fetch such graphs from the web exist; zkg's never
does, and says so clearly instead of silently answering from an empty graph). Updates
sent to the query endpoint are refused too.

The lexer does not parse SPARQL: it splits the text into tokens, skipping comments and
whitespace and keeping strings and IRIs whole, so that a keyword inside a string, an IRI
or a comment is never taken for one. The engine's parser still checks the syntax.

>>> scan("PREFIX ex: <http://ex/> # a SELECT in a comment\\nASK { ex:a ?p 'SERVICE' }").form
'ASK'
>>> check_query("SELECT * { SERVICE <http://dbpedia.org/sparql> { ?s ?p ?o } }")
Traceback (most recent call last):
...
zkg.sparql_guard.QueryRefused: SERVICE at line 1, column 12 is not allowed: zkg makes no requests to other endpoints (no federated query). Run that part of the query at the other endpoint.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator
from urllib.parse import urljoin

import pyoxigraph as ox

from zkg.errors import QueryError

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")


class QueryRefused(QueryError):
    """A well-formed request zkg will not run (HTTP 400): outbound access, or an update
    where only queries are accepted."""


# -- the lexer ----------------------------------------------------------------------------

# Characters of PN_CHARS_BASE beyond ASCII letters (SPARQL 1.1 grammar, production 164).
_PN_BASE = (
    "A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
    "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF"
)
_PN_CHARS = _PN_BASE + "_\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PN_PREFIX = f"[{_PN_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_LOCAL = (
    f"(?:[{_PN_CHARS}:]|{_PLX})"
    f"(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
)

# Order matters: longer and more specific tokens first. Whitespace and comments are skipped.
_TOKEN = re.compile(
    "|".join([
        r"(?P<space>\s+)",
        r"(?P<comment>#[^\r\n]*)",
        r"(?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^\"\\]|\\.|\"(?!\"\"))*\"\"\""
        r"|'(?:[^'\\\r\n]|\\.)*'|\"(?:[^\"\\\r\n]|\\.)*\")",
        r"(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)",
        r"(?P<bnode>_:[^\s.;,(){}\[\]]*)",
        f"(?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)",
        f"(?P<var>[?$][{_PN_CHARS}]+)",
        r"(?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*(?:--[A-Za-z]+)?)",
        r"(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)",
        f"(?P<word>[{_PN_BASE}_][{_PN_CHARS}]*)",
        r"(?P<unclosed>'''|\"\"\"|['\"])",
        r"(?P<punct>\^\^|&&|\|\||<=|>=|!=|.)",
    ]),
    re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # string, iri, bnode, pname, var, langtag, number, word, punct, unclosed
    text: str
    start: int  # offset in the query text

    @property
    def keyword(self) -> str:
        """The upper-cased text of a bare word (SPARQL keywords are case-insensitive)."""
        return self.text.upper() if self.kind == "word" else ""


def tokens(text: str) -> Iterator[Token]:
    """The tokens of ``text``, comments and whitespace left out.

    >>> [(t.kind, t.text) for t in tokens("SELECT ?x { <a> ex:p 'b#c' } # done")]
    [('word', 'SELECT'), ('var', '?x'), ('punct', '{'), ('iri', '<a>'), ('pname', 'ex:p'), ('string', "'b#c'"), ('punct', '}')]
    >>> [t.kind for t in tokens("FILTER(?a<?b)")]  # '<' can be less-than
    ['word', 'punct', 'var', 'punct', 'var', 'punct']
    """
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("space", "comment"):
            continue
        yield Token(kind, match.group(), match.start())
        if kind == "unclosed":
            return  # the rest is inside a string that never ends: no keywords there


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` (columns count characters, as the parser's do)."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


# -- what a request asks for -------------------------------------------------------------


@dataclass
class Scan:
    """What the lexer found in one query or update text."""

    form: str | None = None  # SELECT, ASK, CONSTRUCT or DESCRIBE; None when not a query
    update_keyword: str | None = None  # the first update operation's keyword, e.g. INSERT
    base: str | None = None  # the last BASE declared in the prologue
    declared_prefixes: dict[str, str] = field(default_factory=dict)
    used_prefixes: set[str] = field(default_factory=set)
    from_graphs: list[tuple[Token, bool]] = field(default_factory=list)  # (graph token, NAMED?)
    service: Token | None = None  # the first SERVICE keyword
    load: Token | None = None  # the first LOAD keyword

    @property
    def has_dataset_clause(self) -> bool:
        """True when the query picks its own dataset with FROM or FROM NAMED."""
        return bool(self.from_graphs)


def scan(text: str) -> Scan:
    """Lex ``text`` once and record its form, prologue, dataset clauses and dangerous parts.

    >>> s = scan("BASE <http://b/> PREFIX x: <y#> SELECT * FROM <g> FROM NAMED x:h { ?s schema:p ?o }")
    >>> s.form, s.base, s.declared_prefixes, sorted(s.used_prefixes)
    ('SELECT', 'http://b/', {'x': 'http://b/y#'}, ['schema', 'x'])
    >>> [(t.text, named) for t, named in s.from_graphs]
    [('<g>', False), ('x:h', True)]
    >>> scan("insert data { <a> <b> <c> }").update_keyword
    'INSERT'
    """
    # The same texts come back (editors, scripts, the endpoint and the engine facade both scan
    # each request): the scan of a short text is remembered. Nothing mutates a Scan.
    return _scan_cached(text) if len(text) <= 20_000 else _scan(text)


def _scan(text: str) -> Scan:
    result = Scan()
    items = list(tokens(text))
    in_prologue = True
    declarations: set[int] = set()  # indices of the pname tokens that PREFIX declares
    for index, token in enumerate(items):
        following = items[index + 1] if index + 1 < len(items) else None
        if token.kind == "pname" and index not in declarations:
            result.used_prefixes.add(token.text.split(":", 1)[0])
        keyword = token.keyword
        if not keyword:
            continue
        if in_prologue and keyword == "BASE" and following is not None and following.kind == "iri":
            result.base = _resolve(following.text[1:-1], result.base)
        elif in_prologue and keyword == "PREFIX" and following is not None and following.kind == "pname":
            declared_iri = items[index + 2] if index + 2 < len(items) else None
            if declared_iri is not None and declared_iri.kind == "iri":
                name = following.text.split(":", 1)[0]
                result.declared_prefixes[name] = _resolve(declared_iri.text[1:-1], result.base)
                declarations.add(index + 1)
        elif in_prologue and keyword in QUERY_FORMS:
            result.form, in_prologue = keyword, False
        elif in_prologue and keyword in UPDATE_KEYWORDS:
            result.update_keyword, in_prologue = keyword, False
        if keyword == "FROM" and following is not None:
            named = following.keyword == "NAMED"
            graph = items[index + 2] if named and index + 2 < len(items) else following
            if graph is not None and graph.kind in ("iri", "pname"):
                result.from_graphs.append((graph, named))
        elif keyword == "SERVICE" and result.service is None:
            result.service = token
        elif keyword == "LOAD" and result.load is None:
            result.load = token
    return result


_scan_cached = functools.lru_cache(maxsize=256)(_scan)


def _resolve(iri: str, base: str | None) -> str:
    """RFC 3986 resolution, done by pyoxigraph's IRI parser (urljoin drops empty fragments)."""
    if not base:
        return iri
    try:
        triple = next(iter(ox.parse(f"<{iri}> <{iri}> <{iri}> .", format=ox.RdfFormat.TURTLE, base_iri=base)))
        return triple.subject.value
    except (SyntaxError, ValueError, StopIteration):
        return urljoin(base, iri)


def _unescape_local(local: str) -> str:
    # PN_LOCAL_ESC: a backslash quotes the next character; %XX stays as it is (in the IRI).
    return re.sub(r"\\(.)", r"\1", local)


def graph_iri_of(token: Token, found: Scan, *, base_iri: str | None, prefixes: dict[str, str]) -> str | None:
    """The absolute IRI a FROM token names, or None when its prefix is unknown (the parser
    reports that)."""
    if token.kind == "iri":
        return _resolve(token.text[1:-1], found.base or base_iri)
    name, local = token.text.split(":", 1)
    namespace = found.declared_prefixes.get(name, prefixes.get(name))
    return None if namespace is None else namespace + _unescape_local(local)


# -- the checks -------------------------------------------------------------------------------


def _where(text: str, token: Token) -> str:
    line, column = position(text, token.start)
    return f"at line {line}, column {column}"


def check_query(text: str, *, base_iri: str | None = None, prefixes: dict[str, str] | None = None,
                graph_exists: Callable[[str], bool] | None = None) -> Scan:
    """The scan of a query the endpoint may run; raises :class:`QueryRefused` otherwise.

    ``graph_exists(iri)`` says whether the dataset has a named graph; without it FROM is
    not checked. A text that is no query at all passes (the parser gives that message).

    >>> check_query("CLEAR ALL")
    Traceback (most recent call last):
    ...
    zkg.sparql_guard.QueryRefused: this is a SPARQL Update (CLEAR), and this endpoint only answers queries (SELECT, ASK, CONSTRUCT, DESCRIBE)
    >>> check_query("SELECT * FROM <http://example.org/x> {}", graph_exists=lambda iri: False)
    Traceback (most recent call last):
    ...
    zkg.sparql_guard.QueryRefused: FROM <http://example.org/x> at line 1, column 15 names no graph of this dataset, and zkg fetches nothing from the web. The dataset's named graphs are listed in the service description (GET /sparql) and at /.well-known/void.
    """
    from zkg.nesting_guard import check_nesting

    check_nesting(text)  # deep nesting overflows the parser's stack: refused first
    found = scan(text)
    if found.update_keyword is not None:
        raise QueryRefused(
            f"this is a SPARQL Update ({found.update_keyword}), and this endpoint only answers "
            f"queries ({', '.join(QUERY_FORMS)})"
        )
    _refuse_outbound(text, found)
    if graph_exists is not None:
        for token, named in found.from_graphs:
            iri = graph_iri_of(token, found, base_iri=base_iri, prefixes=prefixes or {})
            if iri is not None and not graph_exists(iri):
                clause = "FROM NAMED" if named else "FROM"
                raise QueryRefused(
                    f"{clause} <{iri}> {_where(text, token)} names no graph of this dataset, and zkg "
                    "fetches nothing from the web. The dataset's named graphs are listed in the "
                    "service description (GET /sparql) and at /.well-known/void."
                )
    return found


def check_update(text: str) -> Scan:
    """The scan of an update that may run; raises :class:`QueryRefused` for LOAD and SERVICE.

    >>> check_update("LOAD <http://example.org/data.ttl>")
    Traceback (most recent call last):
    ...
    zkg.sparql_guard.QueryRefused: LOAD at line 1, column 1 is not allowed: zkg fetches nothing from the web. Load files with `zkg load`, or send the data itself in INSERT DATA.
    """
    from zkg.nesting_guard import check_nesting

    check_nesting(text, "the update")  # deep nesting overflows the parser's stack: refused first
    found = scan(text)
    _refuse_outbound(text, found)
    return found


def _refuse_outbound(text: str, found: Scan) -> None:
    if found.service is not None:
        raise QueryRefused(
            f"SERVICE {_where(text, found.service)} is not allowed: zkg makes no requests to other "
            "endpoints (no federated query). Run that part of the query at the other endpoint."
        )
    if found.load is not None:
        raise QueryRefused(
            f"LOAD {_where(text, found.load)} is not allowed: zkg fetches nothing from the web. "
            "Load files with `zkg load`, or send the data itself in INSERT DATA."
        )


def undeclared_prologue(found: Scan, prefixes: dict[str, str], base_iri: str | None) -> list[str]:
    """Prologue lines that give a query the predeclared prefixes it uses without declaring
    them, and the base IRI; each line is a whole line, so a parser's line numbers shift by
    exactly ``len(lines)``.

    >>> undeclared_prologue(scan("SELECT * { ?s rdfs:label ?o ; ex:p ?q }"), {"rdfs": "http://r#", "owl": "http://o#"}, "http://b/")
    ['BASE <http://b/>', 'PREFIX rdfs: <http://r#>']
    """
    lines = [f"BASE <{base_iri}>"] if base_iri else []
    lines += [f"PREFIX {name}: <{prefixes[name]}>" for name in sorted(found.used_prefixes)
              if name in prefixes and name not in found.declared_prefixes]
    return lines


def iter_graph_iris(found: Scan, *, base_iri: str | None, prefixes: dict[str, str]) -> Iterable[str]:
    """The IRIs named by the query's FROM and FROM NAMED clauses."""
    for token, _named in found.from_graphs:
        iri = graph_iri_of(token, found, base_iri=base_iri, prefixes=prefixes)
        if iri is not None:
            yield iri
