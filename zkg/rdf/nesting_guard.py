r"""A bound on how deeply an uploaded RDF document nests.

pyoxigraph's JSON-LD and RDF-star Turtle parsers recurse on nesting: 10,000 nested JSON
objects or 100,000 nested ``<<( … )>>`` killed the process (a segmentation fault, measured on
0.5.13), and 100,000 nested RDF/XML elements took over a minute. Real data nests a few
levels, so anything past :data:`MAX_DEPTH` is refused with 400 before a parser sees it.
(Queries and updates are bounded by :mod:`zkg.sparql.limits`, as the guard reads them whole.)

The count is conservative: brackets are skipped only inside what the format's own grammar
makes a comment, a string or an IRI, matched exactly (``\u`` escapes included); where such a
token is not well formed the count goes on through it, never stops. A parser reads
left to right, so a text this scan splits differently fails to parse at that point anyway.

>>> check_nesting("<a> <b> ( ( '((((' ) ) .", limit=2)
>>> check_nesting('{"a": [[["]]]]"]]]}', limit=3, syntax="json")
Traceback (most recent call last):
...
zkg.rdf.nesting_guard.TooDeep: the body nests more than 3 levels deep (at offset 8): zkg refuses deeper nesting
"""

from __future__ import annotations

import re

from zkg.base.errors import ZkgError

#: Levels of nesting allowed in an uploaded document.
MAX_DEPTH = 200

_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = r"\\[tbnrf\"'\\]"
_TURTLE = re.compile(
    "|".join(
        [
            r"(?P<skip>#[^\r\n]*+"  # comments, strings and IRIs of Turtle, TriG, N-Triples, N-Quads
            f"|'''(?:(?:''|')?+(?:[^'\\\\]|{_ECHAR}|{_UCHAR}))*+'''"
            f'|"""(?:(?:""|")?+(?:[^"\\\\]|{_ECHAR}|{_UCHAR}))*+"""'
            f"|'(?:[^'\\\\\\n\\r]|{_ECHAR}|{_UCHAR})*+'"
            f'|"(?:[^"\\\\\\n\\r]|{_ECHAR}|{_UCHAR})*+"'
            f'|<(?:[^\\x00-\\x20<>"{{}}|^`\\\\]|{_UCHAR})*+>)',
            r"(?P<open><<\(|<<|[{(\[])",
            r"(?P<close>\)>>|>>|[})\]])",
            r"(?P<other>[^#'\"<>(){}\[\]]++|.)",
        ]
    ),
    re.DOTALL,
)
_JSON = re.compile(
    r'(?P<skip>"(?:[^"\\]|\\.)*+")|(?P<open>[{\[])|(?P<close>[}\]])|(?P<other>[^"{}\[\]]++|.)', re.DOTALL
)
_XML = re.compile(
    r"(?P<skip><!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<![^>]*+>"
    r"|<[^/!?<>\"'][^<>\"']*+(?:(?:\"[^\"]*+\"|'[^']*+')[^<>\"']*+)*+/>)"  # an empty element
    r"|(?P<close></[^>]*+>)"
    r"|(?P<open><[^/!?<>\"'][^<>\"']*+(?:(?:\"[^\"]*+\"|'[^']*+')[^<>\"']*+)*+>)"
    r"|(?P<other>[^<]++|.)",
    re.DOTALL,
)
_SYNTAX = {"turtle": _TURTLE, "json": _JSON, "xml": _XML}


class TooDeep(ZkgError):
    http_status = 400


def check_nesting(text: str | bytes, what: str = "the body", limit: int = MAX_DEPTH, *, syntax: str = "turtle") -> None:
    """Raise :class:`TooDeep` when ``text`` (``syntax``: turtle, json or xml) nests more than
    ``limit`` deep."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    pattern = _SYNTAX[syntax]
    depth = 0
    for match in pattern.finditer(text):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
            if depth > limit:
                raise TooDeep(
                    f"{what} nests more than {limit} levels deep (at offset {match.start()}): "
                    "zkg refuses deeper nesting"
                )
        elif kind == "close" and depth:
            depth -= 1
