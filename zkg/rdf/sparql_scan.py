r"""zkg's own SPARQL texts, scanned: the form, the prologue and the dataset clauses of a query
zkg wrote itself or of the text the guard wrote for the engine (:mod:`zkg.sparql.guard`, which
checks the users' texts), and the lenient tokens of such a text.

The scan applies none of the guard's checks: it is for texts zkg trusts.

>>> scan("PREFIX ex: <http://ex/> # a SELECT in a comment\nASK { ex:a ?p 'SERVICE' }").form
'ASK'
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence
from urllib.parse import urljoin

import pyoxigraph as ox

from zkg.rdf.sparql_lexer import Lexer, Token, unescape_iri

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")
_CACHED_LENGTH = 4096


def resolve_iri(iri: str, base: str) -> str | None:
    """RFC 3986 resolution, done by pyoxigraph's IRI parser; None for no valid IRI."""
    try:
        triple = next(iter(ox.parse(f"<{iri}> <{iri}> <{iri}> .", format=ox.RdfFormat.TURTLE, base_iri=base)))
        return str(triple.subject.value)
    except (SyntaxError, ValueError, StopIteration):
        return None


@dataclass
class Scan:
    """What the lexer found in one of zkg's own texts (the guard's checks not applied)."""

    form: str | None = None
    update_keyword: str | None = None
    base: str | None = None
    declared_prefixes: dict[str, str] = field(default_factory=dict)
    used_prefixes: set[str] = field(default_factory=set)
    from_graphs: list[tuple[Token, bool]] = field(default_factory=list)  # (graph token, NAMED?)
    service: Token | None = None
    load: Token | None = None

    @property
    def has_dataset_clause(self) -> bool:
        return bool(self.from_graphs)


def tokens(text: str) -> Iterator[Token]:
    """The tokens of ``text`` (lenient: stops where it cannot read on)."""
    return Lexer(text, strict=False).run()


def scan(text: str) -> Scan:
    """Form, prologue and dataset clauses of a text zkg trusts (its own queries, or the
    :attr:`Reading.engine_text` of a checked one).

    >>> s = scan("BASE <http://b/> PREFIX x: <y#> SELECT * FROM <g> FROM NAMED x:h { ?s schema:p ?o }")
    >>> s.form, s.base, s.declared_prefixes, sorted(s.used_prefixes)
    ('SELECT', 'http://b/', {'x': 'http://b/y#'}, ['schema', 'x'])
    >>> scan("insert data { <a> <b> <c> }").update_keyword
    'INSERT'
    """
    return _scan_cached(text) if len(text) <= _CACHED_LENGTH else _scan(text)


def _scan(text: str) -> Scan:
    result = Scan()
    items = list(tokens(text))
    in_prologue = True
    declarations: set[int] = set()
    for index, token in enumerate(items):
        following = items[index + 1] if index + 1 < len(items) else None
        if token.kind == "pname" and index not in declarations:
            result.used_prefixes.add(token.text.split(":", 1)[0])
        keyword = token.keyword
        if not keyword:
            continue
        if in_prologue and keyword == "BASE" and following is not None and following.kind == "iri":
            result.base = _resolve_text(following, result.base)
        elif in_prologue and keyword == "PREFIX" and following is not None and following.kind == "pname":
            declared = items[index + 2] if index + 2 < len(items) else None
            if declared is not None and declared.kind == "iri":
                result.declared_prefixes[following.text.split(":", 1)[0]] = _resolve_text(declared, result.base)
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

# A text zkg wrote whose form keyword comes first (no prologue, no comment before it).
_BARE_FORM = re.compile(r"\s*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
_FROM_WORD = re.compile(r"(?<![?$])\bFROM\b", re.IGNORECASE)  # not a variable ?from


def own_query_scan(text: str, prefix_names: Iterable[str]) -> Scan:
    """What :func:`scan` finds in a query zkg wrote itself, without running the lexer over it:
    the stores' trusted path (``query(..., trusted=True)``). A page's queries carry hundreds
    of IRIs in VALUES blocks, and lexing them cost a tenth of a page's time, to learn what
    zkg knew already. The form is the text's first word; the used prefixes are those of
    ``prefix_names`` the text has as ``name:`` anywhere (one substring test each: one named
    where no prefixed name uses it only adds a declaration, which changes nothing). A text
    with a prologue, or the word FROM anywhere but as a variable (a dataset clause, or an
    IRI or literal that merely holds the word), is scanned as before: only the plain case is short-cut.

    >>> s = own_query_scan("SELECT ?l { <http://x/a> rdfs:label ?l }", ["rdfs", "owl"])
    >>> s.form, s.used_prefixes, s.has_dataset_clause
    ('SELECT', {'rdfs'}, False)
    >>> own_query_scan("SELECT * FROM <g> { ?s ?p ?o }", []).has_dataset_clause
    True
    >>> own_query_scan("SELECT (BOUND(?from) AS ?b) { ?s ?p ?from }", []).has_dataset_clause
    False
    >>> own_query_scan("PREFIX x: <urn:x#> ASK { x:a ?p ?o }", []).declared_prefixes
    {'x': 'urn:x#'}
    """
    bare = _BARE_FORM.match(text)
    if bare is None or _FROM_WORD.search(text) is not None:
        return scan(text)
    return Scan(form=bare.group(1).upper(), used_prefixes={name for name in prefix_names if name + ":" in text})


def _resolve_text(token: Token, base: str | None) -> str:
    try:
        iri = unescape_iri(token.text[1:-1])
    except ValueError:
        iri = token.text[1:-1]
    if not base:
        return iri
    return resolve_iri(iri, base) or urljoin(base, iri)


_PAIRS = {"(": ")", "{": "}", "[": "]"}


def closing_index(items: Sequence[Token], opening: int) -> int | None:
    """The index of the bracket closing the one at ``opening`` (a "(", "{" or "["); None
    when it is not closed.

    >>> closing_index(list(tokens("f(a, (b), ')') x")), 1)
    9
    """
    open_text = items[opening].text
    close_text = _PAIRS[open_text]
    depth = 0
    for index in range(opening, len(items)):
        token = items[index]
        if token.kind == "punct":
            if token.text == open_text:
                depth += 1
            elif token.text == close_text:
                depth -= 1
                if depth == 0:
                    return index
    return None


def iri_text(token: Token) -> str:
    """An IRI token as a person reads it: ``<…>`` with its escapes decoded."""
    try:
        return f"<{unescape_iri(token.text[1:-1])}>" if token.kind == "iri" else token.text
    except ValueError:
        return token.text


def graph_iri_of(token: Token, found: Scan, *, base_iri: str | None, prefixes: dict[str, str]) -> str | None:
    """The absolute IRI a FROM (or USING, GRAPH) token names, or None when its prefix is
    unknown (the parser reports that)."""
    if token.kind == "iri":
        return _resolve_text(token, found.base or base_iri)
    name, local = token.text.split(":", 1)
    namespace = found.declared_prefixes.get(name, prefixes.get(name))
    return None if namespace is None else namespace + re.sub(r"\\(.)", r"\1", local)


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` (columns count characters, as the parser's do)."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def undeclared_prologue(found: Scan, prefixes: dict[str, str], base_iri: str | None) -> list[str]:
    """Prologue lines that give a text the predeclared prefixes it uses without declaring
    them, and the base IRI; each line is a whole line, so a parser's line numbers shift by
    exactly ``len(lines)``.

    >>> undeclared_prologue(scan("SELECT * { ?s rdfs:label ?o ; ex:p ?q }"), {"rdfs": "http://r#", "owl": "http://o#"}, "http://b/")
    ['BASE <http://b/>', 'PREFIX rdfs: <http://r#>']
    """
    lines = [f"BASE <{base_iri}>"] if base_iri else []
    lines += [
        f"PREFIX {name}: <{prefixes[name]}>"
        for name in sorted(found.used_prefixes)
        if name in prefixes and name not in found.declared_prefixes
    ]
    return lines


def iter_graph_iris(found: Scan, *, base_iri: str | None, prefixes: dict[str, str]) -> Iterable[str]:
    """The IRIs named by the query's FROM and FROM NAMED clauses."""
    for token, _named in found.from_graphs:
        iri = graph_iri_of(token, found, base_iri=base_iri, prefixes=prefixes)
        if iri is not None:
            yield iri
