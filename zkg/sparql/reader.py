r"""A SPARQL text read as the engine reads it, and the text the engine is given instead.

The guard (:mod:`zkg.sparql.guard`) decides on what this reader finds; the reading itself is
here, with the refusals that reading alone can give (text it cannot read as the engine
would, the bounds of :mod:`zkg.sparql.limits`, and ``SERVICE`` and ``LOAD``, which are found
as words are read, glued to what follows or not).

**Read as the engine reads, then hand it only what was read.** :mod:`zkg.rdf.sparql_lexer`
splits a text the way Oxigraph's parser does; anything it cannot split so (a word that is
no keyword, such as ``SERVICESILENT``; a prefix never declared; a ``\u`` escape outside a
string or IRI; an IRI that is not one) is refused, never passed on. The engine is then not
given the user's text but :attr:`Reading.engine_text`, written from the tokens so that no
other reading of it parses: comments gone, prefixed names written as the full IRIs they
stand for, every IRI with its first character as a ``\u`` escape (so a ``<`` the engine took
for less-than would be followed by a backslash, which starts nothing), a space after every
less-than (so that no IRI starts there), ``.5`` as `` 0.5``, and the ``\u`` escapes of quotes,
backslashes and line ends in strings written as ``\"``, ``\\``, ``\n`` (so an engine
that decodes escapes before parsing, as SPARQL 1.1 section 19.2 says, reads the same
strings). Lines stay where they were, so the engine's error positions are mapped back to
the user's text (:meth:`Reading.locate`).

>>> read("PREFIX ex: <http://ex/> SELECT ?s { ?s ex:p 'it\\u0027s' }", base_iri=None, prefixes={}).engine_text
"SELECT ?s { ?s <\\u0068ttp://ex/p> 'it\\'s' }"
"""

from __future__ import annotations

import functools
import re
from array import array
from collections.abc import Iterator
from itertools import accumulate

import pyoxigraph as ox

from zkg.base.errors import QueryRefused
from zkg.rdf.sparql_lexer import DATA, KEYWORDS, TEMPLATE, Lexer, Token, Unreadable, string_value, unescape_iri
from zkg.rdf.sparql_scan import QUERY_FORMS, UPDATE_KEYWORDS, position, resolve_iri
from zkg.sparql.limits import (
    COSTS,
    MAX_COST,
    MAX_DEPTH,
    MAX_TOKENS,
    PUNCT_COSTS,
    too_costly,
    too_deep,
    too_many_tokens,
)
from zkg.sparql.reading import Reading


def read(text: str, *, base_iri: str | None, prefixes: dict[str, str], what: str = "the query") -> Reading:
    """Read ``text`` as the engine would, or raise :class:`QueryRefused` where zkg cannot
    read it so (see the module's docstring); the reading's checks are
    :func:`zkg.sparql.guard.check_query` and :func:`zkg.sparql.guard.check_update`.

    >>> r = read("BASE <http://b/> PREFIX x: <y#> SELECT * FROM <g> FROM NAMED x:h { ?s schema:p ?o }",
    ...          base_iri="http://zkg.test/", prefixes={"schema": "https://schema.org/"})
    >>> r.form, r.base, r.declared_prefixes, sorted(r.used_prefixes)
    ('SELECT', 'http://b/', {'x': 'http://b/y#'}, ['schema', 'x'])
    >>> [(iri, named) for iri, named, _ in r.from_graphs]
    [('http://b/g', False), ('http://b/y#h', True)]
    >>> r.engine_text
    'BASE <\\\\u0068ttp://b/> SELECT * FROM <\\\\u0068ttp://b/g> FROM NAMED <\\\\u0068ttp://b/y#h> { ?s <\\\\u0068ttps://schema.org/p> ?o }'
    """
    if len(text) <= _CACHED_LENGTH:
        return _read_cached(text, base_iri, tuple(sorted(prefixes.items())), what)
    return _Reader(text, base_iri, prefixes, what).run()


_CACHED_LENGTH = 4096


@functools.lru_cache(maxsize=256)
def _read_cached(text: str, base_iri: str | None, prefixes: tuple[tuple[str, str], ...], what: str) -> Reading:
    # The same texts come back (editors, scripts, the answer cache's misses): a short text's
    # reading is kept. A Reading is never changed once made.
    return _Reader(text, base_iri, dict(prefixes), what).run()


class _Window:
    """Tokens as the lexer gives them, with a look a few tokens ahead."""

    def __init__(self, tokens: Iterator[Token]) -> None:
        self._tokens = tokens
        self._ahead: list[Token] = []

    def peek(self, k: int) -> Token | None:
        while len(self._ahead) <= k:
            token = next(self._tokens, None)
            if token is None:
                return None
            self._ahead.append(token)
        return self._ahead[k]

    def take(self) -> Token | None:
        if self._ahead:
            return self._ahead.pop(0)
        return next(self._tokens, None)


class _Reader:
    """One text read once: its tokens taken in order, the engine text written as they come."""

    def __init__(self, text: str, base_iri: str | None, prefixes: dict[str, str], what: str) -> None:
        self.text, self.what = text, what
        self.predeclared = prefixes
        self.reading = Reading(text, base=base_iri)
        self.user_base: str | None = None  # the base the text declares (BASE), written first for the engine
        self.out: list[str] = []
        self.newlines = 0  # line ends owed to the output (of dropped tokens, gaps)

    def fail(self, message: str, offset: int) -> QueryRefused:
        if self.reading.service is not None or self.reading.load is not None:
            try:  # SERVICE or LOAD came before: that is the refusal to give
                refuse_outbound(self.text, self.reading)
            except QueryRefused as refusal:
                return refusal
        line, column = position(self.text, offset)
        return QueryRefused(
            f"{message} at line {line}, column {column}"
            if "{where}" not in message
            else message.replace("{where}", f"at line {line}, column {column}")
        )

    def run(self) -> Reading:
        lexer = Lexer(self.text, strict=True, max_depth=MAX_DEPTH, max_tokens=MAX_TOKENS)
        # Tokens are read as they come, a few ahead at most: 100,000 of them kept at once would
        # survive the collector's young generations and could set off a full collection.
        items = _Window(lexer.run())
        try:
            cost = self._read(items)
        except Unreadable as error:
            if error.depth_exceeded:
                raise QueryRefused(too_deep(self.what, where(self.text, error.offset))) from None
            if error.too_long:
                raise QueryRefused(too_many_tokens(self.what)) from None
            raise self.fail(f"SPARQL syntax error {{where}}: {error.message}", error.offset) from None
        reading = self.reading
        reading.depth = lexer.depth
        return self._finish(cost)

    def _read(self, items: _Window) -> int:
        """Read the tokens, writing the engine text into ``self.out``; the cost."""
        reading = self.reading
        out = self.out
        pieces, starts, lengths = reading._pieces, reading._starts, reading._lengths
        costs = PUNCT_COSTS
        cost = 0
        # The prologue: BASE, PREFIX and VERSION declarations, until the first other token.
        while (token := items.peek(0)) is not None:
            keyword = token.text.upper() if token.kind == "word" else ""
            if keyword in ("BASE", "PREFIX"):
                self.newlines += token.newlines
                items.take()
                self._declaration(token, items)
            else:
                if keyword != "VERSION":
                    reading.form = keyword if keyword in QUERY_FORMS else None
                    reading.update_keyword = keyword if keyword in UPDATE_KEYWORDS else None
                break
        newlines = self.newlines
        after_less_than = False
        while (token := items.take()) is not None:
            kind, text, frame = token.kind, token.text, token.frame
            if kind == "punct":
                cost += costs.get((frame, text), 0)
                written = text
            elif kind == "word":
                upper = text.upper()
                if upper in COSTS and frame != DATA and frame != TEMPLATE:
                    cost += COSTS[upper]
                elif upper == "SELECT" and frame:  # a subquery (the query's own SELECT is at the top)
                    cost += COSTS["subquery"]
                self._word(token, upper)
                written = text if text == "a" else upper.lower() if upper in ("TRUE", "FALSE") else upper
                if upper == "FROM":
                    self._from(items)
            elif kind == "iri" or kind == "pname":
                written = _engine_iri(self._iri_of(token))
            elif kind == "string":
                written = self._string(token)
                newlines += written.count("\n") - text.count("\n")  # (long strings keep their lines)
            elif kind == "number" and text[0] == ".":
                # ".5" after a term could be a triple's "." then 5 to the engine: "0.5" cannot.
                written = "0" + text
            else:
                written = text
            newlines += token.newlines
            if newlines:
                out.append("\n" * newlines)
                newlines = 0
            elif out and (token.spaced or after_less_than or written[0] == "0" and text[0] == "."):
                # Spacing as written (Oxigraph wants none in places: CONCAT(…), <f>(…)); and a
                # space after less-than, so that no IRI starts there (see the module's docstring).
                out.append(" ")
            after_less_than = kind == "punct" and text in ("<", "<=")
            pieces.append(len(out))
            starts.append(token.start)
            lengths.append(len(text))
            out.append(written)
            if cost > MAX_COST:
                break
        self.newlines = newlines
        return cost

    def _finish(self, cost: int) -> Reading:
        reading, out, newlines = self.reading, self.out, self.newlines
        reading.cost = cost
        if cost > MAX_COST:
            raise self.fail(too_costly(self.what), 0)
        if self.user_base is not None:  # before every piece: its offset counts from the second piece
            base = f"BASE {_engine_iri(self.user_base)} "
            out.insert(0, base)
            reading._piece_starts = array("q", accumulate(map(len, out[1:]), initial=len(base)))
        else:
            reading._piece_starts = array("q", accumulate(map(len, out), initial=0))
        reading.engine_text = "".join(out) + "\n" * newlines
        return reading

    def _from(self, items: _Window) -> None:
        following = items.peek(0)
        if following is None:
            return
        named = following.keyword == "NAMED"
        graph = items.peek(1) if named else following
        if graph is not None and graph.kind in ("iri", "pname"):
            self.reading.from_graphs.append((self._iri_of(graph), named, graph.start))

    # -- the prologue ------------------------------------------------------------------------

    def _declaration(self, token: Token, items: _Window) -> None:
        """Read the BASE or PREFIX declaration ``token`` starts, taken from ``items`` (dropped
        from the engine text: every IRI is written whole)."""
        reading = self.reading
        if token.keyword == "BASE":
            iri = items.take()
            if iri is None or iri.kind != "iri":
                raise self.fail("SPARQL syntax error {where}: BASE is followed by an IRI in <>", token.start)
            reading.base = self.user_base = self._resolve(iri)
            self.newlines += iri.newlines
            return
        name, iri = items.take(), items.take()
        if name is None or name.kind != "pname" or not name.text.endswith(":") or iri is None or iri.kind != "iri":
            raise self.fail(
                "SPARQL syntax error {where}: PREFIX is followed by a name ending in ':' and an IRI in <>", token.start
            )
        reading.declared_prefixes[name.text[:-1]] = self._resolve(iri)
        self.newlines += name.newlines + iri.newlines

    # -- terms -------------------------------------------------------------------------------

    def _resolve(self, token: Token) -> str:
        """The absolute IRI an IRI token names (escapes decoded, resolved against the base)."""
        try:
            value = unescape_iri(token.text[1:-1])
        except ValueError as error:
            raise self.fail(f"invalid IRI {_shown(token.text)} {{where}}: {error}", token.start) from None
        base = self.reading.base
        if base is not None:
            # Resolved against the base even when absolute: the engine does so, which also
            # removes dot segments (<http://x/a/../b> is <http://x/b> to it).
            resolved = resolve_iri(value, base)
        elif resolve_iri(value, "http://base.invalid/") is not None:
            resolved = value  # relative, and no base known here: the engine resolves it
        else:
            resolved = None
        if resolved is None:
            raise self.fail(f"invalid IRI {_shown(token.text)} {{where}}", token.start)
        return resolved

    def _iri_of(self, token: Token) -> str:
        if token.kind == "iri":
            return self._resolve(token)
        name, local = token.text.split(":", 1)
        namespace = self.reading.declared_prefixes.get(name, self.predeclared.get(name))
        if namespace is None and ("SERVICE" in name.upper() or "LOAD" in name.upper()):
            # LOADc:x is LOAD c:x to the engine (keywords need no boundary): refused as that.
            if "SERVICE" in name.upper():
                self.reading.service = token.start
            else:
                self.reading.load = token.start
        if namespace is None:
            raise self.fail(
                f"unknown prefix '{name}:' {{where}}: declare it with PREFIX {name}: <…> "
                "(the predeclared prefixes are listed in the service description)",
                token.start,
            )
        self.reading.used_prefixes.add(name)
        iri = namespace + re.sub(r"\\(.)", r"\1", local)
        try:
            return ox.NamedNode(iri).value
        except ValueError as error:
            raise self.fail(
                f"the prefixed name {_shown(token.text)} {{where}} stands for no valid IRI ({error})", token.start
            ) from None

    def _word(self, token: Token, upper: str) -> None:
        reading = self.reading
        # A word holding SERVICE or LOAD is refused as that, glued or not (SERVICESILENT,
        # trueSERVICE: the engine reads the keyword inside it).
        if "SERVICE" in upper or "LOAD" in upper:
            if "SERVICE" in upper and reading.service is None:
                reading.service = token.start
            if "LOAD" in upper and reading.load is None:
                reading.load = token.start
            return  # refused by check_query / check_update, glued or not
        # ASCII only: the engine ignores ASCII case alone ("ſELECT" is no SELECT to it).
        if token.text.isascii() and (upper in KEYWORDS or token.text == "a" or upper in ("TRUE", "FALSE")):
            return
        raise self.fail(
            f"SPARQL syntax error {{where}}: '{_shown(token.text)}' is no SPARQL keyword (keywords "
            "are separated from what follows by a space or punctuation)",
            token.start,
        )

    # -- strings ---------------------------------------------------------------------------

    def _string(self, token: Token) -> str:
        try:
            string_value(token.text)  # a \\u escape of no character: the engine refuses the string
        except ValueError as error:
            raise self.fail(f"invalid string {{where}}: {error}", token.start) from None
        if "\\u" not in token.text and "\\U" not in token.text:
            return token.text
        return _ESCAPED_SYNTAX.sub(_echar, token.text)


_ESCAPED_SYNTAX = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})|\\.", re.DOTALL)
_ECHAR_OF = {"'": "\\'", '"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r"}


def _echar(match: re.Match[str]) -> str:
    code = match.group(1) or match.group(2)
    if code is None:
        return match.group(0)  # an ECHAR: kept
    return _ECHAR_OF.get(chr(int(code, 16)), match.group(0))


def _engine_iri(iri: str) -> str:
    """``<iri>`` with its first character as a ``\\u`` escape (see the module's docstring)."""
    first = ord(iri[0])
    escape = f"\\u{first:04X}" if first <= 0xFFFF else f"\\U{first:08X}"
    return f"<{escape}{iri[1:]}>"


def _shown(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


# -- where, and the refusal of outbound requests -------------------------------------------------


def where(text: str, offset: int) -> str:
    """``at line L, column C`` of ``offset`` in ``text``, as refusals say it."""
    line, column = position(text, offset)
    return f"at line {line}, column {column}"


def refuse_outbound(text: str, found: Reading) -> None:
    """Raise :class:`QueryRefused` if ``found`` holds a SERVICE or a LOAD (zkg makes no
    request elsewhere). The reader gives this refusal before any other it meets after them."""
    if found.service is not None:
        raise QueryRefused(
            f"SERVICE {where(text, found.service)} is not allowed: zkg makes no requests to other "
            "endpoints (no federated query). Run that part of the query at the other endpoint."
        )
    if found.load is not None:
        raise QueryRefused(
            f"LOAD {where(text, found.load)} is not allowed: zkg fetches nothing from the web. "
            "Load files with `zkg load`, or send the data itself in INSERT DATA."
        )
