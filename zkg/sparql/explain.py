r"""A refused or failed query explained to the person who wrote it: the offending line quoted
with a caret under the column, and a hint for the common slips.

The parser's own message (the guard's, :mod:`zkg.sparql.reader`, or the engine's, moved back to
the user's text by :meth:`zkg.sparql.reading.Reading.locate`) says where reading stopped and
which tokens would have done; people then have to count columns and guess what they did wrong.
:func:`explain` adds, from the message and the text alone (no engine, no web):

- the line at the message's position, with ``^`` under the column;
- a hint, when the slip is one of the common ones (:data:`MISSING_DOT`, :data:`BRACKET`,
  :data:`PREFIX`, :data:`UPDATE`; found by :mod:`zkg.sparql.slips`), naming what to write and
  where.

>>> text = "SELECT * WHERE {\n  ?s schema:name ?name\n  ?s schema:age ?age .\n}"
>>> found = explain("SPARQL syntax error: error at 3:17: expected OPTIONAL", text, {})
>>> found.hint, (found.line, found.column)
('missing-dot', (3, 17))
>>> print(found.render())
    3 |   ?s schema:age ?age .
      |                 ^
hint: a '.' is missing after '?name' (line 2, column 23): two triple patterns follow each other, and each ends with '.' (or ';' to go on with the same subject):
    2 |   ?s schema:name ?name
      |                       ^ '.' here
>>> explain("query failed: the store is away", "SELECT * {}", {}) is None
True
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from zkg.rdf.sparql_lexer import lex
from zkg.rdf.sparql_scan import UPDATE_KEYWORDS, position
from zkg.rdf.visible import is_hidden, visible_text
from zkg.sparql import slips
from zkg.sparql.slips import CLOSERS, OPENERS

#: The kinds of hint.
MISSING_DOT, BRACKET, PREFIX, UPDATE = "missing-dot", "bracket", "undeclared-prefix", "update"

#: Texts longer than this get the quoted line but no hint: a hint reads the text again, and a
#: person's query is far shorter (a megabyte is a machine's, and costs a second to read).
MAX_EXPLAINED = 10_000
#: Lines longer than this are quoted around the column only.
QUOTE_WIDTH = 100

_POSITION = re.compile(r"\bat line (\d+), column (\d+)|\bat (\d+):(\d+)")


@dataclass(frozen=True)
class Explanation:
    """Where a message points in the text, and what probably went wrong there."""

    text: str
    line: int  # 1-based, of the caret
    column: int  # 1-based character column of the caret
    hint: str | None = None  # MISSING_DOT, BRACKET, PREFIX, UPDATE or None
    advice: str = ""  # the hint in words
    fix_at: tuple[int, int] | None = None  # (line, column) where to write the fix, when elsewhere
    fix: str = ""  # what the quote of fix_at says is due there

    @property
    def carets(self) -> list[tuple[int, int]]:
        """The (line, column) of each caret :meth:`render` draws, in order."""
        return [(self.line, self.column)] + ([self.fix_at] if self.fix_at else [])

    def render(self) -> str:
        """The quoted line with its caret, then the hint (plain text, for a 400 answer)."""
        lines = quote(self.text, self.line, self.column)
        if self.advice:
            lines.append(f"hint: {self.advice}" + (":" if self.fix_at else ""))
            if self.fix_at:
                lines += quote(self.text, *self.fix_at, note=self.fix)
        return "\n".join(lines)


def explain(message: str, text: str, prefixes: Mapping[str, str]) -> Explanation | None:
    """What to add to ``message``, an error about ``text``: None when it names no place in it
    (an evaluation error, a refusal of the whole text) and is no update sent as a query.
    ``prefixes``: the predeclared ones, named by the hint on an undeclared prefix.

    >>> explain("this is a SPARQL Update (DELETE), and …", "PREFIX a: <b>\\nDELETE WHERE {}", {}).carets
    [(2, 1)]
    """
    if "this is a SPARQL Update (" in message:
        return _update(text)
    spot = _position(message)
    if spot is None:
        return None
    line, column = _clamped(text, *spot)
    plain = Explanation(text, line, column)
    if len(text) > MAX_EXPLAINED:
        return plain
    plain = _at_token(plain)
    prefix = re.search(r"unknown prefix '([^':]*):'", message)
    if prefix is not None:
        return _prefix(plain, prefix.group(1), prefixes)
    if "closes nothing that is open here" in message:
        return _stray_closer(plain)
    if "the text ends inside a bracket" in message:
        return _unclosed(plain)
    if "syntax error" in message:
        return _missing_dot(plain)
    return plain


def quote(text: str, line: int, column: int, *, note: str = "") -> list[str]:
    """Line ``line`` of ``text`` and a caret under ``column`` (1-based), as two lines with a
    gutter; long lines are cut around the column, hidden characters written out.

    >>> print("\\n".join(quote("SELECT ?x\\nWHERE { ?x 中文 }", 2, 12)))
        2 | WHERE { ?x 中文 }
          |            ^
    >>> print("\\n".join(quote("ASK { 'a\\u202eb' x }", 1, 14)))
        1 | ASK { 'a\\u202Eb' x }
          |                   ^
    """
    source = text.split("\n")[line - 1].rstrip("\r")
    start = 0
    if len(source) > QUOTE_WIDTH:
        start = max(0, min(column - 1 - QUOTE_WIDTH // 2, len(source) - QUOTE_WIDTH))
    end = start + QUOTE_WIDTH
    shown, pad = ["…"] if start else [], [" "] if start else []
    for index, character in enumerate(source[start:end], start):
        written = visible_text(character) if is_hidden(character) else character
        shown.append(written)
        if index < column - 1:
            pad.append("\t" if character == "\t" else " " * _width(character, written))
    if end < len(source):
        shown.append("…")
    gutter = f"{line:>5} | "
    caret = "^" + (f" {note}" if note else "")
    return [(gutter + "".join(shown)).rstrip(), " " * (len(gutter) - 2) + "| " + "".join(pad) + caret]


# -- the hints ---------------------------------------------------------------------------------


def _update(text: str) -> Explanation:
    words = [t for t in lex(text[:MAX_EXPLAINED]) if t.keyword in UPDATE_KEYWORDS]
    keyword = words[0].keyword if words else "this update"
    line, column = position(text, words[0].start) if words else (1, 1)
    advice = (
        f"{keyword} changes data, and a query cannot. Send an update as a POST to this endpoint: a form "
        "with update=… (application/x-www-form-urlencoded) or the update itself as the body with "
        "Content-Type: application/sparql-update, with a write token (Authorization: Bearer …)."
    )
    return Explanation(text, line, column, UPDATE, advice)


def _prefix(plain: Explanation, name: str, prefixes: Mapping[str, str]) -> Explanation:
    names = ", ".join(f"{p}:" for p in prefixes)
    close = difflib.get_close_matches(name, list(prefixes), n=1, cutoff=0.6)
    guess = f" Did you mean {close[0]}:?" if close else ""
    advice = (
        f"the prefix {name}: is not declared.{guess} zkg predeclares {names}; any other prefix needs "
        f"a line such as PREFIX {name}: <http://…> before the query."
    )
    return _at(plain, plain.line, plain.column, PREFIX, advice)


def _unclosed(plain: Explanation) -> Explanation:
    """The text ends inside brackets: the '{' that lost its '}', by indentation, else the
    innermost bracket still open."""
    text = plain.text
    still_open, pairs = slips.pair_brackets(lex(text))
    if not still_open:
        return plain
    lost = slips.lost_brace(text, pairs)
    opener, before = lost if lost is not None else (still_open[-1], None)
    where = f", probably before line {before}" if before is not None else " where its group ends"
    advice = f"this '{opener.text}' is never closed: a '{OPENERS[opener.text]}' is missing{where}."
    return _at(plain, *position(text, opener.start), BRACKET, advice)


def _stray_closer(plain: Explanation) -> Explanation:
    """A closer with nothing to close: a bracket left open before it, a '{' left out, or a '}'
    too many (the first that breaks what came before, where the parser stops)."""
    text = plain.text
    offset = _offset(text, plain.line, plain.column)
    closer = next((c for c in ("|}", ")>>", ">>", "}", ")", "]") if text.startswith(c, offset)), None)
    if closer is None:
        return plain
    # (The lenient lexer stops before the closer that closes nothing.)
    tokens = [t for t in lex(text) if t.start < offset]
    still_open, _pairs = slips.pair_brackets(tokens)
    where = f"line {plain.line}, column {plain.column}"
    if still_open and closer != OPENERS[still_open[-1].text]:
        opener = still_open[-1]
        advice = (
            f"this '{opener.text}' is never closed: the '{closer}' at {where} comes while it is open, so "
            f"a '{OPENERS[opener.text]}' is missing before that '{closer}' (or this '{opener.text}' is one too many)."
        )
        return _at(plain, *position(text, opener.start), BRACKET, advice)
    if closer != "}":
        opening = CLOSERS[closer]
        advice = (
            f"there is one '{closer}' more than '{opening}': this one closes nothing, or a '{opening}' is "
            "missing before it."
        )
        return _at(plain, plain.line, plain.column, BRACKET, advice)
    nothing = f" (so the '}}' at {where} has nothing to close)"
    early = slips.early_end(tokens)
    cut = slips.cutting_brace(tokens, until=offset)
    if cut is not None and (early is None or cut.start < early.start):
        advice = (
            "this '}' comes in the middle of a triple pattern: it is one '}' too many, or the pattern "
            f"misses a term{nothing}."
        )
        return _at(plain, *position(text, cut.start), BRACKET, advice)
    missing = slips.missing_opening_brace(tokens, until=early.start + 1 if early is not None else offset)
    if missing is not None:
        token, words, after = missing
        at = token.start + len(token.text) if after else token.start
        advice = f"a '{{' is missing after {words}{nothing}."
        if not after:
            advice = f"a '{{' is missing before this SELECT (a subquery is written {{ SELECT … }}){nothing}."
        return _at(plain, *position(text, at), BRACKET, advice)
    if early is not None:
        advice = (
            "this '}' ends its group too early (what follows it cannot come after it): it is one '}' "
            f"too many, or a '{{' is missing before it{nothing}."
        )
        return _at(plain, *position(text, early.start), BRACKET, advice)
    advice = "there is one '}' more than '{': this one closes nothing, or a '{' is missing before it."
    return _at(plain, plain.line, plain.column, BRACKET, advice)


def _missing_dot(plain: Explanation) -> Explanation:
    """Two triple patterns with no '.' between them, before the place the parser stopped."""
    text = plain.text
    last = slips.missing_dot(lex(text), until=_offset(text, plain.line, plain.column))
    if last is None:
        return plain
    line, column = position(text, last.start + len(last.text))
    shown = visible_text(last.text if len(last.text) <= 40 else last.text[:37] + "...")
    advice = (
        f"a '.' is missing after '{shown}' (line {line}, column {column}): two triple patterns follow "
        "each other, and each ends with '.' (or ';' to go on with the same subject)"
    )
    return Explanation(text, plain.line, plain.column, MISSING_DOT, advice, fix_at=(line, column), fix="'.' here")


def _at_token(plain: Explanation) -> Explanation:
    """``plain`` with its caret at the start of the token it falls inside: the engine stops inside
    a word where part of it could start a keyword, which says nothing to a person."""
    offset = _offset(plain.text, plain.line, plain.column)
    for token in lex(plain.text):
        if token.start >= offset:
            break
        if offset < token.start + len(token.text):
            return Explanation(plain.text, *position(plain.text, token.start))
    return plain


def _at(plain: Explanation, line: int, column: int, hint: str, advice: str) -> Explanation:
    return Explanation(plain.text, line, column, hint, advice)


# -- positions ---------------------------------------------------------------------------------


def _position(message: str) -> tuple[int, int] | None:
    match = _POSITION.search(message)
    if match is None:
        return None
    line, column = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    return int(line), int(column)


def _clamped(text: str, line: int, column: int) -> tuple[int, int]:
    """(line, column) inside ``text``: a position past its end is just after its last character."""
    lines = text.split("\n")
    if line > len(lines) or (line == len(lines) and column > len(lines[-1]) and not lines[-1].strip()):
        row = max((i for i, content in enumerate(lines) if content.strip()), default=0)
        return row + 1, len(lines[row].rstrip()) + 1
    return max(line, 1), max(1, min(column, len(lines[line - 1].rstrip("\r")) + 1))


def _offset(text: str, line: int, column: int) -> int:
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    return start + column - 1


def _width(character: str, written: str) -> int:
    """Columns ``character`` takes in a monospaced font, written as ``written``."""
    if written != character:
        return len(written)
    if unicodedata.combining(character):
        return 0
    return 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1
