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
data block. It does not parse SPARQL; :mod:`zkg.sparql.reader` turns its tokens into the
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
from typing import Iterator, cast

from zkg.base.errors import QueryError


class Unreadable(QueryError):
    """Text the lexer cannot split as the engine would (HTTP 400); ``offset`` says where."""

    def __init__(self, message: str, offset: int, *, depth_exceeded: bool = False, too_long: bool = False):
        super().__init__(message)
        self.offset = offset
        self.depth_exceeded = depth_exceeded
        self.too_long = too_long


# -- the terminals, as spargebra 0.4 writes them ------------------------------------------------

# PN_CHARS_BASE: Oxigraph stops at U+FFFD (the grammar's U+10000-U+EFFFF are not accepted).
_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
)
_U = _BASE + "_"
_CHARS = _U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_VARNAME = f"[0-9{_U}][0-9\u00b7\u0300-\u036f\u203f-\u2040{_U}]*+"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PREFIX = f"[{_BASE}][{_CHARS}]*+(?:\\.++[{_CHARS}]++)*+"
# PN_LOCAL as Oxigraph has it: at most one run of dots inside (``ex:a.b.c`` is ``ex:a.b``
# then ``.c``).
_LOCAL = f"(?:[{_U}:0-9]|{_PLX})(?:[{_CHARS}:]|{_PLX})*+(?:\\.++(?:[{_CHARS}:]|{_PLX})++)?+"
_ECHAR_UCHAR = r"\\[tbnrf\"'\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"

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
# One pattern for a token and the whitespace and comments before it, in the order the first
# character decides in the grammar. An IRI is matched with the characters an IRI may hold (the
# engine's rule takes anything but '>', then refuses the rest: the same verdict, without a scan
# to a far '>' at every less-than). '<' and '>' are then decided by position (Lexer.run).
_IRI_CHARS = r"<(?:[^\x00-\x20<>\"{}|^`\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*+>"
_MASTER = re.compile(
    r"(?:[ \t\r\n]++|#[^\r\n]*+)*+(?:"
    f"(?P<string>{_STRING.pattern})"
    f"|(?P<var>{_VAR.pattern})"
    f"|(?P<bnode>{_BNODE.pattern})"
    f"|(?P<langtag>{_LANGTAG.pattern})"
    f"|(?P<number>{_NUMBER.pattern})"
    f"|(?P<pname>{_PNAME.pattern})"
    f"|(?P<word>{_WORD.pattern})"
    r"|(?P<angle><<\(|<<)"
    f"|(?P<iri>{_IRI_CHARS})"
    r"|(?P<punct>\^\^|&&|\|\||!=|<=|>=|\)>>|>>|\{\||\|\}|[{}()\[\].,;*/|^?+\-!=<>~])"
    "|(?P<other>.)|(?P<end>$))",
    re.DOTALL,
)
_CLOSING = frozenset({"}", "|}", ")", "]", ">>", ")>>"})
_OPENING = frozenset({"{", "{|", "(", "[", "<<", "<<("})
_MODIFIERS = frozenset({"GROUP", "ORDER", "HAVING", "LIMIT", "OFFSET"})
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})|\\(.)", re.DOTALL)
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}

#: The words of Oxigraph 0.5's grammar (matched ignoring ASCII case), besides ``a``, ``true``
#: and ``false``.
KEYWORDS = frozenset(
    """
    ABS ADD ADJUST ALL AS ASC ASK AVG BASE BIND BNODE BOUND BY CEIL CLEAR COALESCE CONCAT
    CONSTRUCT CONTAINS COPY COUNT CREATE DATA DATATYPE DAY DEFAULT DELETE DESC DESCRIBE DISTINCT
    DROP ENCODE_FOR_URI EXISTS FILTER FLOOR FROM GRAPH GROUP GROUP_CONCAT HAVING HOURS IF IN
    INSERT INTO IRI LANG LANGDIR LANGMATCHES LATERAL LCASE LIMIT LOAD MAX MD5 MIN MINUS MINUTES
    MONTH MOVE NAMED NOT NOW OBJECT OFFSET OPTIONAL ORDER PREDICATE PREFIX RAND REDUCED REGEX
    REPLACE ROUND SAMPLE SECONDS SELECT SEPARATOR SERVICE SHA1 SHA256 SHA384 SHA512 SILENT STR
    STRAFTER STRBEFORE STRDT STRENDS STRLANG STRLANGDIR STRLEN STRSTARTS STRUUID SUBJECT SUBSTR
    SUM TIMEZONE TO TRIPLE TZ UCASE UNDEF UNION URI USING UUID VALUES VERSION WHERE WITH YEAR
    HASLANG HASLANGDIR ISBLANK ISIRI ISLITERAL ISNUMERIC ISTRIPLE ISURI SAMETERM
""".split()
)

#: Words after which ``(`` opens an expression: function calls, aggregates, FILTER, BIND,
#: ORDER BY's ASC/DESC, IN and NOT IN.
_CALLS = KEYWORDS - frozenset(
    """
    ADD ALL AS ASK BASE BY CLEAR CONSTRUCT COPY CREATE DATA DEFAULT DELETE DESCRIBE DISTINCT
    DROP EXISTS FROM GRAPH GROUP HAVING INSERT INTO LATERAL LIMIT LOAD MINUS MOVE NAMED NOT
    OFFSET OPTIONAL ORDER PREFIX REDUCED SELECT SEPARATOR SERVICE SILENT TO UNDEF UNION USING
    VALUES VERSION WHERE WITH
""".split()
)

# Frames: what a bracket opened. Patterns (triples, paths) and expressions read alike
# characters differently; data blocks and templates hold ground or template triples.
GROUP, EXPR, LIST, BNODE, DATA, TEMPLATE, REIFIED, TRIPLE_TERM, ANNOTATION = (
    "group",
    "expr",
    "list",
    "bnode",
    "data",
    "template",
    "reified",
    "triple-term",
    "annotation",
)
_CLOSERS = {
    GROUP: "}",
    DATA: "}",
    TEMPLATE: "}",
    ANNOTATION: "|}",
    EXPR: ")",
    LIST: ")",
    BNODE: "]",
    REIFIED: ">>",
    TRIPLE_TERM: ")>>",
}
_OPERAND_ENDS = frozenset({"var", "iri", "pname", "string", "langtag", "number", "bnode"})


@dataclass(slots=True)
class Token:
    kind: str  # iri, pname, var, bnode, string, langtag, number, word, punct
    text: str  # as written
    start: int  # offset in the text
    frame: str = ""  # the bracket it is inside (GROUP, EXPR, …; "" at the top)
    newlines: int = 0  # line ends in the whitespace and comments before it
    spaced: bool = False  # whitespace or a comment before it

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
    max_tokens: int | None = None  # past it: Unreadable (too_long), before more is read
    depth: int = 0  # the deepest bracket nesting seen
    frames: list[_Frame] = field(default_factory=lambda: [_Frame("")])

    def run(self) -> Iterator[Token]:
        text, pos, end = self.text, 0, len(self.text)
        frames = self.frames
        prev: Token | None = None
        prev_keyword = ""
        call_next = False  # the next '(' opens an expression (after FILTER, BIND, a function)
        values_pending = False  # after VALUES, before its data block
        finditer = _MASTER.finditer
        matches = finditer(text)
        count = text.count
        tokens, limit = 0, (self.max_tokens + 1 if self.max_tokens is not None else -1)
        while True:
            match = next(matches)
            kind = cast(str, match.lastgroup)  # every alternative of the master pattern is a named group
            if kind == "end":
                break
            start = match.start(kind)
            value = match.group(kind)
            top = frames[-1]
            top_kind = top.kind
            if kind in ("angle", "iri") or (kind == "punct" and value[0] in "<)>"):
                # Decided by position: the split the master pattern made may not be the engine's.
                kind, value = self._position(kind, value, start, prev, top_kind)
                if kind == "":
                    return self._stop(start)
                if start + len(value) != match.end():
                    matches = finditer(text, start + len(value))
            elif kind == "other" or (kind == "langtag" and (prev is None or prev.kind != "string")):
                return self._stop(start)
            if start > pos:
                token = Token(kind, value, start, top_kind, count("\n", pos, start), True)
            else:
                token = Token(kind, value, start, top_kind)
            word = ""
            if kind == "punct":
                if value in _OPENING:
                    if value == "(":
                        clause_expression = top_kind in ("", GROUP) and (
                            top.clause == "projection" or (top.clause == "modifiers" and not values_pending)
                        )
                        self._open(EXPR if top_kind == EXPR or call_next or clause_expression else LIST, start)
                    elif value == "[":
                        self._open(BNODE, start)
                    elif value == "<<(":
                        self._open(TRIPLE_TERM, start)
                    elif value == "<<":
                        self._open(REIFIED, start)
                    else:  # { or {|
                        self._open(self._brace_kind(value, prev_keyword, values_pending), start)
                        values_pending = False
                        if top_kind in ("", GROUP) and top.clause == "projection":
                            top.clause = "modifiers"  # the query's group; its modifiers follow it
                elif value in _CLOSING:
                    if _CLOSERS.get(top_kind) != value:
                        if self.strict:
                            raise Unreadable(f"'{value}' closes nothing that is open here", start)
                        return
                    frames.pop()
                call_next = False
            elif kind == "word":
                word = value.upper()
                if top_kind in ("", GROUP):
                    if word == "SELECT":
                        top.clause = "projection"
                    elif word in _MODIFIERS:
                        top.clause = "modifiers"
                if word == "VALUES":
                    values_pending = True
                call_next = word in _CALLS
            elif kind == "iri" or kind == "pname":
                call_next = (
                    top_kind == EXPR
                    or prev_keyword == "FILTER"
                    or (top_kind in ("", GROUP) and top.clause == "modifiers" and not values_pending)
                )
            else:
                call_next = False
            pos = start + len(value)
            prev, prev_keyword = token, word
            tokens += 1
            if tokens == limit:
                raise Unreadable("too many tokens", start, too_long=True)
            yield token
        if len(frames) > 1 and self.strict:
            opened = _CLOSERS[frames[-1].kind]
            raise Unreadable(f"the text ends inside a bracket (a '{opened}' is missing)", end)

    def _stop(self, pos: int) -> None:
        if self.strict:
            raise Unreadable(_unexpected(self.text, pos), pos)

    def _open(self, kind: str, pos: int) -> None:
        self.frames.append(_Frame(kind))
        if len(self.frames) - 1 > self.depth:
            self.depth = len(self.frames) - 1
            if self.max_depth is not None and self.depth > self.max_depth:
                raise Unreadable(f"brackets nested more than {self.max_depth} levels deep", pos, depth_exceeded=True)

    def _brace_kind(self, value: str, before: str, values_pending: bool) -> str:
        if value == "{|":
            return ANNOTATION
        top = self.frames[-1].kind
        if values_pending or before == "DATA" or top == DATA:
            return DATA
        if before in ("INSERT", "DELETE", "CONSTRUCT") or top == TEMPLATE:
            return TEMPLATE
        return GROUP

    def _position(self, kind: str, value: str, pos: int, prev: Token | None, top: str) -> tuple[str, str]:
        """(kind, text) of the token at ``pos`` that starts with '<', ')' or '>', as the
        engine splits it there; ("", "") where it reads nothing."""
        text = self.text
        if value[0] == ")":  # ")>>" closes a triple term, and nothing else
            return ("punct", ")>>") if top == TRIPLE_TERM else ("punct", ")")
        if value[0] == ">":  # ">>" closes a reified triple; elsewhere '>' and '>=' are operators
            if top == REIFIED and value == ">>":
                return "punct", ">>"
            return "punct", ">=" if text.startswith(">=", pos) else ">"
        operand_before = prev is not None and (
            prev.kind in _OPERAND_ENDS
            or prev.text in (")", ")>>")
            or prev.kind == "word"
            and prev.text.lower() in ("true", "false")
        )
        if top == EXPR and operand_before:  # after an operand, in an expression: less-than
            return "punct", "<=" if text.startswith("<=", pos) else "<"
        if value == "<<(":
            return "punct", "<<("
        if value == "<<":
            return ("", "") if top == EXPR else ("punct", "<<")
        if kind == "iri":
            return "iri", value
        return "", ""  # '<' where an operand is due, opening no IRI


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

    def one(match: re.Match[str]) -> str:
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

    def one(match: re.Match[str]) -> str:
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
