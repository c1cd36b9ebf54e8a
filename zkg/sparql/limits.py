"""How much one query or update may ask of the engine's parser, and what zkg says past it.

Oxigraph's parser and evaluator recurse: a text nesting brackets deep enough, or holding a
long enough chain of patterns and operators, exhausts a thread's stack and aborts the whole
engine, for every client. The guard (:mod:`zkg.sparql.guard`) therefore bounds three things
while it reads a text (:mod:`zkg.sparql.reader`): the nesting (:data:`MAX_DEPTH`), the
tokens (:data:`MAX_TOKENS`, which also bounds the guard's own work) and the cost of the
constructs the evaluator recurses on (:data:`MAX_COST` units, priced by :data:`COSTS`). The
numbers and the words of their refusals are kept here, together, so that a refusal always
names the bound it enforces.

>>> PUNCT_COSTS["", "{"], PUNCT_COSTS[EXPR, "+"], (DATA, "{") in PUNCT_COSTS
(1, 2, False)
"""

from __future__ import annotations

from zkg.rdf.sparql_lexer import BNODE, DATA, EXPR, GROUP, TEMPLATE

#: Levels of ``{ ( [ << {|`` allowed in a query or update.
MAX_DEPTH = 200
#: The most cost units (:data:`COSTS`) one query or update may carry.
MAX_COST = 2000
#: What a construct costs. Oxigraph 0.5 builds a left-deep tree of each chain of patterns and
#: operators, and recurses on it. With the 2 MiB thread stacks of an ``oxigraph serve`` that zkg
#: does not start itself (a remote engine; zkg's own gets 64 MiB), one query holding a chain of
#: about 2,750 BIND, MINUS or subqueries, 7,000 OPTIONAL, UNION, GRAPH, path modifiers or
#: additions, or 8,500-11,000 triple patterns, path steps, FILTERs or boolean operators
#: aborted the whole engine (measured on 0.5.13, a fresh engine per query). A construct costs
#: 8,000 units divided by its chain, so MAX_COST units fill at most a quarter of such a stack,
#: whatever the mix; nesting is bounded apart (MAX_DEPTH: 200 nested function calls, the
#: deepest kind, are a fifth of the 937 that aborted it).
COSTS = {
    "subquery": 3,
    "BIND": 3,
    "MINUS": 3,
    "OPTIONAL": 2,
    "UNION": 2,
    "LATERAL": 2,
    "GRAPH": 2,
    "path modifier": 2,
    "arithmetic": 2,
    "triple pattern": 1,
    "|": 1,
    "/": 1,
    "^": 1,
    "FILTER": 1,
    "EXISTS": 1,
    "VALUES": 1,
    "IN": 1,
    "boolean or comparison": 1,
    "{": 1,
    "(": 1,
    "[": 1,
    "<<": 1,
}
#: At most this many tokens in one text (the guard's own work is bounded by it: 0.4 s).
MAX_TOKENS = 100_000

_PATTERN = (GROUP, BNODE, "annotation", "reified", "triple-term", "list")
_COMPARISONS = {"&&", "||", "!", "=", "!=", "<", ">", "<=", ">="}
_ARITHMETIC = {"+", "-", "*", "/"}


def _punct_costs() -> dict[tuple[str, str], int]:
    """The cost of each punctuation token by the frame it is in (see COSTS)."""
    table = {}
    frames = ("", GROUP, EXPR, "list", BNODE, DATA, TEMPLATE, "reified", "triple-term", "annotation")
    for frame in frames:
        if frame in (DATA, TEMPLATE):
            continue
        for opening, name in (("{", "{"), ("{|", "{"), ("(", "("), ("[", "["), ("<<", "<<"), ("<<(", "<<")):
            table[frame, opening] = COSTS[name]
        if frame == EXPR:
            table.update({(frame, op): COSTS["boolean or comparison"] for op in _COMPARISONS})
            table.update({(frame, op): COSTS["arithmetic"] for op in _ARITHMETIC})
        elif frame in _PATTERN:
            table.update({(frame, op): COSTS["triple pattern"] for op in (".", ";", ",")})
            table.update({(frame, op): COSTS[op] for op in ("|", "^", "/")})
            table.update({(frame, op): COSTS["path modifier"] for op in ("*", "+", "?")})
    return table


#: The cost of a punctuation token, by (the frame it is in, its text); absent: free. A table,
#: not a function: the reader looks every token up in it.
PUNCT_COSTS = _punct_costs()


# -- the words of the refusals ---------------------------------------------------------------------


def too_deep(what: str, where: str) -> str:
    """The refusal of a text nesting past :data:`MAX_DEPTH` (``where``: "at line L, column C")."""
    return f"{what} nests brackets more than {MAX_DEPTH} levels deep {where}: zkg refuses deeper nesting"


def too_many_tokens(what: str) -> str:
    """The refusal of a text of more than :data:`MAX_TOKENS` tokens."""
    return (
        f"{what} has more than {MAX_TOKENS:,} tokens (words, names, terms and punctuation): send it as several requests"
    )


def too_costly(what: str) -> str:
    """The refusal of a text costing more than :data:`MAX_COST` units."""
    return (
        f"{what} is too complex for zkg: it costs more than the limit of {MAX_COST} units "
        "(subqueries, BIND and MINUS cost 3 each, OPTIONAL, UNION, GRAPH and arithmetic 2, triple "
        "patterns, path steps, FILTERs, brackets and other operators 1: SECURITY.md, How zkg reads "
        "a query). Split it into several queries, or put long lists of values in VALUES."
    )
