"""The common slips of a SPARQL text, found in its tokens (:mod:`zkg.rdf.sparql_lexer`) without
parsing it: where a '.' between two triple patterns is missing, which bracket was left open,
and which '}' has nothing to close. :mod:`zkg.sparql.explain` words them for people.

These are a reader's guesses, checked against the engine's verdicts on thousands of broken
queries (tests/sparql/test_explain.py): each finder answers only where its slip is the one
that explains the text, and None otherwise.

>>> dot = missing_dot(lex("ASK { ?s ?p ?o ?t ?u ?v }"), until=99)
>>> dot.text, dot.start
('?o', 12)
"""

from __future__ import annotations

from dataclasses import dataclass

from zkg.rdf.sparql_lexer import EXPR, GROUP, TEMPLATE, Token, lex  # noqa: F401 (lex: the examples)

OPENERS = {"{": "}", "(": ")", "[": "]", "{|": "|}", "<<": ">>", "<<(": ")>>"}
CLOSERS = {closer: opener for opener, closer in OPENERS.items()}

# Words a '{' follows, and words a '{' follows after one term (VALUES (?a ?b) is not tried).
_BRACE_AFTER = frozenset({"WHERE", "OPTIONAL", "MINUS", "EXISTS", "UNION", "DATA"})
_BRACE_AFTER_TERM = frozenset({"GRAPH", "SERVICE", "VALUES"})
_TERM_KINDS = frozenset({"var", "iri", "pname"})
# What may follow the query's pattern: its modifiers, VALUES, or WHERE after a CONSTRUCT template.
_AFTER_PATTERN = frozenset({"GROUP", "ORDER", "HAVING", "LIMIT", "OFFSET", "VALUES", "WHERE"})
_CLAUSE_WORDS = frozenset({"SELECT", "ORDER", "GROUP", "HAVING", "LIMIT", "OFFSET"})


def missing_dot(tokens: list[Token], *, until: int) -> Token | None:
    """The term after which a '.' is missing: the first place, at or before offset ``until``
    (where the parser stopped), where a term follows a complete triple pattern."""
    return _TriplePatterns(cuts=False).first(tokens, until)


def cutting_brace(tokens: list[Token], *, until: int) -> Token | None:
    """A '}' that comes in the middle of a triple pattern (after its subject or predicate),
    if that is the first slip before ``until``.

    >>> cutting_brace(lex("ASK { { ?s ?p } ?o . [ ?q ?r ] }"), until=99).start
    14
    >>> cutting_brace(lex("ASK { ?s ?p ?o ; } "), until=99) is None
    True
    """
    found = _TriplePatterns(cuts=True).first(tokens, until)
    return found if found is not None and found.text == "}" else None


def pair_brackets(tokens: list[Token]) -> tuple[list[Token], list[tuple[Token, Token]]]:
    """The brackets still open at the end of ``tokens``, and the pairs closed (by position)."""
    still_open: list[Token] = []
    pairs: list[tuple[Token, Token]] = []
    for token in tokens:
        if token.kind == "punct" and token.text in OPENERS:
            still_open.append(token)
        elif token.kind == "punct" and token.text in CLOSERS and still_open:
            pairs.append((still_open.pop(), token))
    return still_open, pairs


def lost_brace(text: str, pairs: list[tuple[Token, Token]]) -> tuple[Token, int | None] | None:
    """The '{' whose '}' went missing, by indentation, and the line before which it belongs.

    Matched by position, the '}' of an inner group closes an outer one when the inner '}' is
    missing; a '}' is written under the line that opened its group, so the first '{' closed
    by a '}' indented otherwise is the one that lost its own.

    >>> text = "ASK {\\n  OPTIONAL {\\n    ?s ?p ?o .\\n  FILTER(?o)\\n}"
    >>> opener, before = lost_brace(text, pair_brackets(lex(text))[1])
    >>> opener.start, before
    (17, 4)
    """
    lines = text.split("\n")
    for opener, closer in sorted(pairs, key=lambda pair: pair[0].start):
        row, closing_row = _line(text, opener.start), _line(text, closer.start)
        indent = _indent(lines[row - 1])
        if opener.text == "{" and closing_row > row and _indent(lines[closing_row - 1]) != indent:
            return opener, _next_line_at_most(lines, row, indent)
    return None


def early_end(tokens: list[Token]) -> Token | None:
    """The '}' that ends a group too early: one that ';' or ',' follows (the triple it cut goes
    on), or one that closes the outermost group while what follows it cannot follow a query's
    pattern (a triple, a FILTER, UNION …).

    >>> early_end(lex("ASK { ?s ?p ?o } ?t ?u ?v }")).start
    15
    >>> early_end(lex("SELECT * { ?s ?p ?o } LIMIT 1 }")) is None
    True
    """
    depth = 0
    for index, token in enumerate(tokens):
        if token.kind != "punct":
            continue
        if token.text in OPENERS:
            depth += 1
        elif token.text in CLOSERS:
            depth -= 1
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if token.text == "}" and following is not None and following.text in (";", ","):
                return token
            if depth == 0 and token.text == "}" and following is not None:
                if following.keyword not in _AFTER_PATTERN and following.text != "{":
                    return token
                return None  # the pattern ended where it should: what is wrong is further on
    return None


def missing_opening_brace(tokens: list[Token], *, until: int) -> tuple[Token, str, bool] | None:
    """Where a '{' is due and missing, before offset ``until``: (the token after which it is
    due, or before which for a subquery's SELECT; the words that want it; whether it is due
    after the token).

    >>> token, words, after = missing_opening_brace(lex("SELECT * WHERE ?s ?p ?o }"), until=99)
    >>> token.text, words, after
    ('WHERE', 'WHERE', True)
    >>> missing_opening_brace(lex("ASK { VALUES ?k zkg:A zkg:B } ?s ?p ?k }"), until=99)[1]
    'VALUES ?k'
    """
    tokens = [t for t in tokens if t.start < until]
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.keyword in _BRACE_AFTER and (following is None or following.text != "{"):
            return token, token.text, True
        if token.keyword in _BRACE_AFTER_TERM and following is not None and following.kind in _TERM_KINDS:
            after = tokens[index + 2] if index + 2 < len(tokens) else None
            if after is None or after.text != "{":
                return following, f"{token.text} {following.text}", True
        if token.keyword == "SELECT" and token.frame == GROUP and index and tokens[index - 1].text != "{":
            return token, "a subquery", False
    return None


# -- triple patterns ---------------------------------------------------------------------------


@dataclass
class _Level:
    """One bracket's worth of tokens, as far as triple patterns go."""

    checked: bool  # triple patterns separated by "." are written here: a group, a CONSTRUCT template
    allowed: int = 3  # terms a pattern may still have: 3 after '.', 2 after ';', 1 after ','
    count: int = 0  # terms since the last '.', ';' or ','
    glued: bool = False  # the next term continues a path or a literal ('/', '|', '^^')
    keyword: bool = False  # FILTER, GRAPH …: the terms are its own until its bracket closes
    clause: bool = False  # a projection or solution modifiers: until the next '{' or '}'
    last: Token | None = None  # the last token of the last term
    unit: bool = False  # this bracket is a term of the level around it ('[…]', '(…)')
    group: bool = False  # a '{…}' group: after it, a new triple pattern may start


class _TriplePatterns:
    """Counts the terms of each triple pattern: a fourth term where three end a pattern (two
    after ';', one after ',') means a '.' is missing after the third. With ``cuts``, a '}'
    that comes before a pattern has its predicate or object is found too."""

    def __init__(self, *, cuts: bool) -> None:
        self.cuts = cuts

    def first(self, tokens: list[Token], until: int) -> Token | None:
        levels = [_Level(checked=False)]
        values = False  # after VALUES, until its data block opens
        for index, token in enumerate(tokens):
            if token.start > until:
                break
            level, text = levels[-1], token.text
            if token.kind == "punct" and text in OPENERS:
                inner = tokens[index + 1].frame if index + 1 < len(tokens) else ""
                counted = level.checked and not (level.keyword or level.clause) and inner != EXPR
                counted = counted and text not in ("{", "{|")
                if counted and self._term(level, token):
                    return level.last
                if text == "{":
                    level.clause = False
                checked = text == "{" and not values and _strict_patterns(tokens, index, inner)
                values = values and text != "{"
                levels.append(_Level(checked=checked, unit=counted, group=text == "{"))
            elif token.kind == "punct" and text in CLOSERS:
                if len(levels) == 1:
                    return None
                closed = levels.pop()
                if self.cuts and text == "}" and closed.checked and self._cut(closed):
                    return token
                outer = levels[-1]
                outer.keyword = False
                if closed.unit:
                    outer.last = token
                elif closed.group:
                    outer.count, outer.allowed, outer.glued = 0, 3, False
                elif outer.checked:  # FILTER(…), BIND(…): a new pattern may follow
                    outer.count, outer.allowed = 0, 3
            elif not level.checked or level.clause:
                values = values or token.keyword == "VALUES"
                if level.clause is False and token.keyword in _CLAUSE_WORDS:
                    level.clause = True
            elif token.kind == "word" and text != "a" and token.keyword not in ("TRUE", "FALSE"):
                level.keyword = True
                level.clause = token.keyword in _CLAUSE_WORDS
                values = values or token.keyword == "VALUES"
            elif level.keyword:
                continue
            elif token.kind == "punct":
                self._punct(level, text)
            elif token.kind == "langtag":
                level.last = token
            elif self._term(level, token):
                return level.last
        return None

    @staticmethod
    def _term(level: _Level, token: Token) -> bool:
        """Count one term; True if it is one too many (a '.' missing after ``level.last``)."""
        if level.glued:
            level.glued = False
        else:
            level.count += 1
            if level.count > level.allowed and level.last is not None:
                return True
        level.last = token
        return False

    @staticmethod
    def _cut(level: _Level) -> bool:
        """Whether the pattern being written at the end of ``level`` lacks its predicate or object
        (a '[…]' or '(…)' alone is a whole pattern)."""
        if level.keyword or level.clause:
            return False
        alone = level.count == 1 and level.last is not None and level.last.text in ("]", ")")
        return (level.allowed == 3 and 0 < level.count < 3 and not alone) or level.count == level.allowed - 1 < 2

    @staticmethod
    def _punct(level: _Level, text: str) -> None:
        if text in (".", ";", ","):
            level.count, level.allowed, level.glued = 0, {".": 3, ";": 2, ",": 1}[text], False
        elif text in ("/", "|", "^^"):
            level.glued = True


def _strict_patterns(tokens: list[Token], index: int, inner: str) -> bool:
    """Whether the '{' at ``index`` opens triple patterns that must be separated by '.': a
    group, or a CONSTRUCT template. (Oxigraph reads the quads of INSERT DATA, DELETE DATA,
    INSERT {…}, DELETE {…} and DELETE WHERE {…} without the dots.)"""
    before = [t.keyword for t in tokens[max(0, index - 2) : index]]
    if inner == TEMPLATE:
        return before[-1:] == ["CONSTRUCT"]
    return inner == GROUP and before != ["DELETE", "WHERE"]


# -- lines -------------------------------------------------------------------------------------


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _next_line_at_most(lines: list[str], row: int, indent: int) -> int | None:
    """The number of the first line after line ``row`` with something on it, indented at most
    ``indent``: where the group that line ``row`` opens ended."""
    for number in range(row + 1, len(lines) + 1):
        content = lines[number - 1]
        if content.strip() and not content.lstrip().startswith("#") and _indent(content) <= indent:
            return number
    return None
