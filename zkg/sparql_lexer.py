"""SPARQL text split into tokens the way Oxigraph's parser splits it.

zkg refuses parts of a request (SERVICE, LOAD, FROM naming no graph of the dataset, deep
nesting) by reading it before the engine does, so its reading must be the engine's. The
parser of pyoxigraph and of the ``oxigraph`` server 0.5 (spargebra 0.4, a PEG grammar)
differs from a textbook tokenizer in three ways that matter:

- **Keywords need no boundary.** ``i("SERVICE")`` compares the next seven characters,
  whatever follows: ``SERVICESILENT<…>`` is ``SERVICE SILENT <…>``, ``LOADSILENT<…>`` a
  LOAD, ``trueSERVICE`` the boolean ``true`` then SERVICE.
- **``<`` is an IRI or less-than by position.** An IRI is ``<`` then anything but ``>``
  then ``>``, checked only afterwards; in an expression, after an operand, ``<`` is the
  operator (``FILTER(?a<1)SERVICE?x#>`` holds a SERVICE that a longest-match tokenizer
  would hide inside an IRI).
- **``\\u`` escapes are decoded inside IRIs and strings only** (its optional
  ``standard-unicode-escaping`` feature, SPARQL 1.1 section 19.2, is off), and the IRI rule
  takes any character but ``>``: ``<http://x/\\u0041'>`` is one IRI.

This lexer mirrors the grammar's terminals (strings, IRIs, prefixed names, variables,
numbers, language tags exactly as its rules, with PEG's no-backtracking repetition written
as possessive quantifiers) and keeps a stack of the brackets it is inside, to tell an
expression (where ``<`` after an operand is less-than) from a pattern, a collection or a
data block. It does not parse SPARQL; :mod:`zkg.sparql_guard` turns its tokens into the
text the engine is given, written so that no other split of it parses (see there).

>>> [(t.kind, t.text) for t in lex("SELECT ?x { <a> ex:p 'b#c' } # done")]
[('word', 'SELECT'), ('var', '?x'), ('punct', '{'), ('iri', '<a>'), ('pname', 'ex:p'), ('string', "'b#c'"), ('punct', '}')]
>>> [t.text for t in lex("FILTER(?a<?b && ?c>1)")]  # '<' after an operand is less-than
['FILTER', '(', '?a', '<', '?b', '&&', '?c', '>', '1', ')']
>>> [t.text for t in lex("SERVICESILENT<http://x/>{}")]  # one word: the guard refuses it
['SERVICESILENT', '<http://x/>', '{', '}']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from zkg.errors import QueryError


class Unreadable(QueryError):
    """Text the lexer cannot split as the engine would (HTTP 400); ``offset`` says where."""

    def __init__(self, message: str, offset: int, *, depth_exceeded: bool = False):
        super().__init__(message)
        self.offset = offset
        self.depth_exceeded = depth_exceeded


# -- the terminals, as spargebra 0.4 writes them ------------------------------------------------

# PN_CHARS_BASE: Oxigraph stops at U+FFFD (the grammar's U+10000-U+EFFFF are not accepted).
_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
         "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD")
_U = _BASE + "_"
_CHARS = _U + "\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_VARNAME = f"[0-9{_U}][0-9\u00B7\u0300-\u036F\u203F-\u2040{_U}]*+"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PREFIX = f"[{_BASE}][{_CHARS}]*+(?:\\.++[{_CHARS}]++)*+"
# PN_LOCAL as Oxigraph has it: at most one run of dots inside (``ex:a.b.c`` is ``ex:a.b``
# then ``.c``).
_LOCAL = (f"(?:[{_U}:0-9]|{_PLX})(?:[{_CHARS}:]|{_PLX})*+"
          f"(?:\\.++(?:[{_CHARS}:]|{_PLX})++)?+")
_ECHAR_UCHAR = r"\\[tbnrf\"'\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"

_SKIP = re.compile(r"(?:[ \t\r\n]++|#[^\r\n]*+)++")
_STRING = re.compile(
    f"'''(?:(?:''|')?+(?:[^'\\\\]|{_ECHAR_UCHAR}))*+'''"
    f'|"""(?:(?:""|")?+(?:[^"\\\\]|{_ECHAR_UCHAR}))*+"""'
    f"|'(?:[^'\\\\\\n\\r]|{_ECHAR_UCHAR})*+'"
    f'|"(?:[^"\\\\\\n\\r]|{_ECHAR_UCHAR})*+"'
)
_IRI = re.compile(r"<[^>]*+>")
_PNAME = re.compile(f"(?:{_PREFIX})?+:(?:{_LOCAL})?+")
_VAR = re.compile(f"[?$]{_VARNAME}")
_BNODE = re.compile(f"_:[0-9{_U}][{_CHARS}]*+(?:\\.++[{_CHARS}]++)*+")
_LANGTAG = re.compile(r"@[a-zA-Z]++(?:-[a-zA-Z0-9]++)*+(?:--[a-zA-Z]++)?+")
_NUMBER = re.compile(r"(?:[0-9]++\.[0-9]*+|\.[0-9]++|[0-9]++)[eE][+-]?+[0-9]++|[0-9]*+\.[0-9]++|[0-9]++")
_WORD = re.compile(f"[{_U}][{_CHARS}]*+")
_PUNCT = re.compile(r"\^\^|&&|\|\||!=|<=|>=|\{\||\|\}|[{}()\[\].,;*/|^?+\-!=<>~]")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})|\\(.)", re.DOTALL)
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}

#: The words of Oxigraph 0.5's grammar (matched ignoring ASCII case), besides ``a``, ``true``
#: and ``false``.
KEYWORDS = frozenset("""
    ABS ADD ADJUST ALL AS ASC ASK AVG BASE BIND BNODE BOUND BY CEIL CLEAR COALESCE CONCAT
    CONSTRUCT CONTAINS COPY COUNT CREATE DATA DATATYPE DAY DEFAULT DELETE DESC DESCRIBE DISTINCT
    DROP ENCODE_FOR_URI EXISTS FILTER FLOOR FROM GRAPH GROUP GROUP_CONCAT HAVING HOURS IF IN
    INSERT INTO IRI LANG LANGDIR LANGMATCHES LATERAL LCASE LIMIT LOAD MAX MD5 MIN MINUS MINUTES
    MONTH MOVE NAMED NOT NOW OBJECT OFFSET OPTIONAL ORDER PREDICATE PREFIX RAND REDUCED REGEX
    REPLACE ROUND SAMPLE SECONDS SELECT SEPARATOR SERVICE SHA1 SHA256 SHA384 SHA512 SILENT STR
    STRAFTER STRBEFORE STRDT STRENDS STRLANG STRLANGDIR STRLEN STRSTARTS STRUUID SUBJECT SUBSTR
    SUM TIMEZONE TO TRIPLE TZ UCASE UNDEF UNION URI USING UUID VALUES VERSION WHERE WITH YEAR
    HASLANG HASLANGDIR ISBLANK ISIRI ISLITERAL ISNUMERIC ISTRIPLE ISURI SAMETERM
""".split())

#: Words after which ``(`` opens an expression: function calls, aggregates, FILTER, BIND,
#: ORDER BY's ASC/DESC, IN and NOT IN.
_CALLS = KEYWORDS - frozenset("""
    ADD ALL AS ASK BASE BY CLEAR CONSTRUCT COPY CREATE DATA DEFAULT DELETE DESCRIBE DISTINCT
    DROP EXISTS FROM GRAPH GROUP HAVING INSERT INTO LATERAL LIMIT LOAD MINUS MOVE NAMED NOT
    OFFSET OPTIONAL ORDER PREFIX REDUCED SELECT SEPARATOR SERVICE SILENT TO UNDEF UNION USING
    VALUES VERSION WHERE WITH
""".split())

# Frames: what a bracket opened. Patterns (triples, paths) and expressions read alike
# characters differently; data blocks and templates hold ground or template triples.
GROUP, EXPR, LIST, BNODE, DATA, TEMPLATE, REIFIED, TRIPLE_TERM, ANNOTATION = (
    "group", "expr", "list", "bnode", "data", "template", "reified", "triple-term", "annotation")
_CLOSERS = {GROUP: "}", DATA: "}", TEMPLATE: "}", ANNOTATION: "|}", EXPR: ")", LIST: ")",
            BNODE: "]", REIFIED: ">>", TRIPLE_TERM: ")>>"}
_OPERAND_ENDS = frozenset({"var", "iri", "pname", "string", "langtag", "number", "bnode"})


@dataclass(slots=True)
class Token:
    kind: str  # iri, pname, var, bnode, string, langtag, number, word, punct
    text: str  # as written
    start: int  # offset in the text
    frame: str = ""  # the bracket it is inside (GROUP, EXPR, …; "" at the top)
    gap: str = ""  # whitespace and comments before it

    @property
    def keyword(self) -> str:
        """The upper-cased text of a bare word (SPARQL keywords ignore ASCII case)."""
        return self.text.upper() if self.kind == "word" else ""


@dataclass
class _Frame:
    kind: str
    clause: str = "pattern"  # in the query or a group: projection, modifiers or pattern


@dataclass
class Lexer:
    """Tokens of one text, with the bracket depth reached; :meth:`run` raises
    :class:`Unreadable` where the engine's reading could differ."""

    text: str
    strict: bool = True
    max_depth: int | None = None  # past it: Unreadable (depth_exceeded), before more is read
    depth: int = 0  # the deepest bracket nesting seen
    frames: list[_Frame] = field(default_factory=lambda: [_Frame("")])

    def run(self) -> Iterator[Token]:
        text, pos, end = self.text, 0, len(self.text)
        prev: Token | None = None
        call_next = False  # the next '(' opens an expression (after FILTER, BIND, a function)
        values_pending = False  # after VALUES, before its data block
        while True:
            skip = _SKIP.match(text, pos)
            gap_start = pos
            if skip:
                pos = skip.end()
            if pos >= end:
                break
            token = self._token(pos, prev)
            if token is None:
                if not self.strict:
                    return
                raise Unreadable(_unexpected(text, pos), pos)
            token.gap = text[gap_start:pos]
            top = self.frames[-1]
            token.frame = top.kind
            kind, value = token.kind, token.text
            word = token.keyword
            if kind == "punct":
                if value in ("{", "{|"):
                    self._open(self._brace_kind(value, prev, values_pending), pos)
                    values_pending = False
                    if top.kind in ("", GROUP) and top.clause == "projection":
                        top.clause = "modifiers"  # the query's group; its modifiers follow it
                elif value == "(":
                    expression = top.kind == EXPR or call_next or (
                        top.kind in ("", GROUP) and top.clause == "modifiers" and not values_pending) or (
                        top.kind in ("", GROUP) and top.clause == "projection")
                    self._open(EXPR if expression else LIST, pos)
                elif value == "[":
                    self._open(BNODE, pos)
                elif value == "<<(":
                    self._open(TRIPLE_TERM, pos)
                elif value == "<<":
                    self._open(REIFIED, pos)
                elif value in ("}", "|}", ")", "]", ">>", ")>>"):
                    if _CLOSERS.get(top.kind) != value:
                        if self.strict:
                            raise Unreadable(f"'{value}' closes nothing that is open here", pos)
                        return
                    self.frames.pop()
            elif word in ("SELECT",) and top.kind in ("", GROUP):
                top.clause = "projection"
            elif word in ("GROUP", "ORDER", "HAVING", "LIMIT", "OFFSET") and top.kind in ("", GROUP):
                top.clause = "modifiers"
            if word == "VALUES":
                values_pending = True
            call_next = word in _CALLS or (kind in ("iri", "pname") and (
                top.kind == EXPR or (prev is not None and prev.keyword == "FILTER")
                or (top.kind in ("", GROUP) and top.clause == "modifiers" and not values_pending)))
            pos += len(value)
            prev = token
            yield token
        if len(self.frames) > 1 and self.strict:
            opened = _CLOSERS[self.frames[-1].kind]
            raise Unreadable(f"the text ends inside a bracket (a '{opened}' is missing)", end)

    def _open(self, kind: str, pos: int) -> None:
        self.frames.append(_Frame(kind))
        self.depth = max(self.depth, len(self.frames) - 1)
        if self.max_depth is not None and self.depth > self.max_depth:
            raise Unreadable(f"brackets nested more than {self.max_depth} levels deep", pos, depth_exceeded=True)

    def _brace_kind(self, value: str, prev: Token | None, values_pending: bool) -> str:
        if value == "{|":
            return ANNOTATION
        top = self.frames[-1].kind
        before = prev.keyword if prev is not None else ""
        if values_pending or before == "DATA" or top == DATA:
            return DATA
        if before in ("INSERT", "DELETE", "CONSTRUCT") or top == TEMPLATE:
            return TEMPLATE
        return GROUP

    def _token(self, pos: int, prev: Token | None) -> Token | None:
        text = self.text
        char = text[pos]
        top = self.frames[-1].kind
        if char in "'\"":
            match = _STRING.match(text, pos)
            return Token("string", match.group(), pos) if match else None
        if char == "<":
            return self._angle(pos, prev, top)
        if char == ")" and top == TRIPLE_TERM and text.startswith(")>>", pos):
            return Token("punct", ")>>", pos)
        if char == ">" and top == REIFIED and text.startswith(">>", pos):
            return Token("punct", ">>", pos)
        if char in "?$":
            match = _VAR.match(text, pos)
            if match:
                return Token("var", match.group(), pos)
            return Token("punct", "?", pos) if char == "?" else None
        if char == "_" and text.startswith("_:", pos):
            match = _BNODE.match(text, pos)
            return Token("bnode", match.group(), pos) if match else None
        if char == "@":
            match = _LANGTAG.match(text, pos)
            if match and prev is not None and prev.kind == "string":
                return Token("langtag", match.group(), pos)
            return None
        if "0" <= char <= "9" or (char == "." and text[pos + 1:pos + 2].isdigit() and text[pos + 1] <= "9"):
            match = _NUMBER.match(text, pos)
            if match:
                return Token("number", match.group(), pos)
        match = _PNAME.match(text, pos)
        if match:
            return Token("pname", match.group(), pos)
        match = _WORD.match(text, pos)
        if match:
            return Token("word", match.group(), pos)
        match = _PUNCT.match(text, pos)
        if match:
            return Token("punct", match.group(), pos)
        return None

    def _angle(self, pos: int, prev: Token | None, top: str) -> Token | None:
        text = self.text
        operand_before = prev is not None and (
            prev.kind in _OPERAND_ENDS or prev.text in (")", ")>>")
            or prev.kind == "word" and prev.text.lower() in ("true", "false"))
        if top == EXPR and operand_before:
            return Token("punct", "<=" if text.startswith("<=", pos) else "<", pos)
        if text.startswith("<<(", pos):
            return Token("punct", "<<(", pos)
        if text.startswith("<<", pos) and top != EXPR:
            return Token("punct", "<<", pos)
        match = _IRI.match(text, pos)
        return Token("iri", match.group(), pos) if match else None


def lex(text: str, *, strict: bool = False) -> list[Token]:
    """The tokens of ``text``; lenient by default (stops where it cannot read on)."""
    return list(Lexer(text, strict=strict).run())


def unescape_iri(body: str) -> str:
    r"""An IRI's text between ``<`` and ``>`` with its ``\u`` escapes decoded; raises
    ValueError for any other backslash (the IRI rule allows none).

    >>> unescape_iri(r"http://x/\u0041\U00000042")
    'http://x/AB'
    """
    if "\\" not in body:
        return body

    def one(match: re.Match) -> str:
        code = match.group(1) or match.group(2)
        if code is None:
            raise ValueError("a backslash that is not a \\u or \\U escape")
        return _codepoint(int(code, 16))

    return _ESCAPE.sub(one, body)


def string_value(token_text: str) -> str:
    r"""The value of a string token (its quotes removed, escapes decoded).

    >>> string_value(r"'a\tb\u0022'"), string_value("'''x'y'''")
    ('a\tb"', "x'y")
    """
    quote = 3 if token_text[:3] in ("'''", '"""') else 1
    body = token_text[quote:-quote]
    if "\\" not in body:
        return body

    def one(match: re.Match) -> str:
        code = match.group(1) or match.group(2)
        return _codepoint(int(code, 16)) if code else _ECHARS[match.group(3)]

    return _ESCAPE.sub(one, body)


def _codepoint(number: int) -> str:
    if number > 0x10FFFF or 0xD800 <= number <= 0xDFFF:
        raise ValueError(f"\\u escape of U+{number:04X}, which is no character")
    return chr(number)


def _unexpected(text: str, pos: int) -> str:
    char = text[pos]
    if char in "'\"":
        return "a string that does not end, or with an escape SPARQL does not have (\\t \\b \\n \\r \\f \\\" \\' \\\\ \\u \\U)"
    if char == "<":
        return "'<' that opens no IRI (an IRI ends with '>')"
    if char == "\\":
        return "a backslash outside a string or IRI (zkg does not read \\u escapes in keywords or names: write the character)"
    if char == "@":
        return "a language tag that does not follow a string"
    shown = char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"
    return f"'{shown}', which no SPARQL token starts with"
