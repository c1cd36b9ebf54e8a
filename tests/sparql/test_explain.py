"""Errors a person can act on (zkg.sparql.explain, zkg.sparql.slips): the offending line quoted
with a caret under the column, and a hint for the common slips.

The unit tests show each hint; the differential test checks the hints and the carets against
the engine itself: the competency queries (zkg/power/queries/*.rq) broken in seeded ways (a '.',
a '}' or a '{' deleted, a PREFIX line deleted, a prefix misspelt, the query made an update, a
stray token inserted), each text given to pyoxigraph as it is and to zkg's protocol.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from zkg.base.errors import QueryError
from zkg.power.canned import QUERIES_DIR
from zkg.rdf.prefixes import prefixes as zkg_prefixes
from zkg.rdf.sparql_lexer import Token, lex
from zkg.sparql import protocol
from zkg.sparql.explain import BRACKET, MISSING_DOT, PREFIX, UPDATE, explain, quote
from zkg.store.local import Store

BASE = "http://zkg.test/"
PREFIXES = zkg_prefixes(BASE)


@pytest.fixture(scope="module")
def store():
    store = Store.open(base_iri=BASE)
    yield store
    store.close()


def refused(store, text: str) -> tuple[QueryError, str]:
    """The error answer() raises for ``text``, and the body of the protocol's 400 answer."""
    with pytest.raises(QueryError) as raised:
        protocol.answer(store, text, row_limit=5, limits_url="")
    answered = protocol.failure(raised.value)
    assert answered.status == 400 and answered.content_type == protocol.PLAIN_TEXT
    return raised.value, answered.body.decode()


# -- each hint ------------------------------------------------------------------------------------


def test_a_missing_dot_is_shown_where_it_belongs(store):
    text = "SELECT ?name ?age WHERE {\n  ?s schema:name ?name\n  ?s schema:age ?age .\n}"
    error, body = refused(store, text)
    # The parser's message first, as it was (one line), then the quote, the caret and the hint.
    assert body.startswith(error.message + "\n\n") and "\n" not in error.message
    assert "error at 3:" in error.message
    assert body.endswith(
        "    3 |   ?s schema:age ?age .\n"
        "      |      ^\n"
        "hint: a '.' is missing after '?name' (line 2, column 23): two triple patterns follow each other, "
        "and each ends with '.' (or ';' to go on with the same subject):\n"
        "    2 |   ?s schema:name ?name\n"
        "      |                       ^ '.' here\n"
    )


def test_an_undeclared_prefix_names_it_and_the_predeclared_ones(store):
    error, body = refused(store, "SELECT * WHERE { ?s schem:name ?o }")
    assert error.message.startswith("unknown prefix 'schem:' at line 1, column 21")
    assert "    1 | SELECT * WHERE { ?s schem:name ?o }\n      |                     ^\n" in body
    assert "hint: the prefix schem: is not declared. Did you mean schema:? zkg predeclares rdf:, rdfs:" in body
    for name in ("schema:", "org:", "zkg:", "id:", "graph:", "skos:", "qb:", "role:"):
        assert name in body.split("predeclares", 1)[1]
    assert "PREFIX schem: <http://…>" in body


def test_an_update_sent_as_a_query_says_how_to_send_it(store):
    error, body = refused(store, "PREFIX ex: <http://example.org/>\nINSERT DATA { ex:a ex:b ex:c }")
    assert error.message.startswith("this is a SPARQL Update (INSERT)")
    assert "    2 | INSERT DATA { ex:a ex:b ex:c }\n      | ^\n" in body
    for words in ("update=", "application/sparql-update", "write token", "Authorization: Bearer"):
        assert words in body


@pytest.mark.parametrize(
    "text, caret, words",
    [
        # A '}' left out: the '{' that lost it, by indentation, and where it belonged.
        (
            "SELECT * {\n  ?s ?p ?o .\n  OPTIONAL {\n    ?s ?q ?r .\n  FILTER(?r > 1)\n}\nORDER BY ?s\n",
            (3, 12),
            "this '{' is never closed: a '}' is missing, probably before line 5.",
        ),
        ("SELECT * { ?s ?p ?o", (1, 10), "this '{' is never closed: a '}' is missing where its group ends."),
        # A '{' left out: after the word that wants it.
        ("SELECT * WHERE ?s ?p ?o . OPTIONAL { ?s ?q ?r } }", (1, 15), "a '{' is missing after WHERE"),
        ("ASK { VALUES ?k zkg:A zkg:B } ?s ?p ?k }", (1, 16), "a '{' is missing after VALUES ?k"),
        # A '}' too many: the one that ends its group too early, or cuts a triple.
        ("SELECT * { ?s ?p ?o } ?t ?u ?v }", (1, 21), "this '}' ends its group too early"),
        ("ASK { { ?s ?p } ?o . }\n}", (1, 15), "this '}' comes in the middle of a triple pattern"),
        ("SELECT * { ?s ?p ?o } }", (1, 23), "there is one '}' more than '{'"),
        # Brackets of two kinds crossed.
        ("ASK { ?s ?p ?o FILTER(?o > 1 }", (1, 22), "this '(' is never closed: the '}' at line 1, column 30"),
    ],
)
def test_brackets_that_do_not_pair(store, text, caret, words):
    error, body = refused(store, text)
    found = explain(error.message, text, PREFIXES)
    assert found.hint == BRACKET and (found.line, found.column) == caret, (found, error.message)
    assert words in found.advice and found.render() in body


def test_a_message_without_a_place_is_left_as_it_is():
    assert explain("query failed: division by zero", "SELECT (1/0 AS ?x) {}", PREFIXES) is None
    assert explain("the query is empty", "", PREFIXES) is None


def test_a_long_text_gets_its_line_quoted_but_is_not_read_again():
    text = "SELECT * { " + "?s ?p ?o . " * 2_000 + "?s ?p ?o ?t ?u ?v }"
    found = explain("SPARQL syntax error: error at 1:22030: expected OPTIONAL", text, PREFIXES)
    assert found.hint is None and found.carets == [(1, 22030)]
    assert found.render().splitlines()[0].startswith("    1 | …")


def test_the_quote_keeps_the_caret_under_the_column():
    # A long line is cut around the column; tabs stay tabs; wide characters take two columns;
    # hidden characters are written out (zkg.rdf.visible) and the caret moves with them.
    long = "?s schema:name " + "x" * 300 + " ?o"
    line, caret = quote(long, 1, 120)
    assert line.startswith("    1 | …") and line.endswith("…") and len(line) == 8 + 1 + 100 + 1
    assert caret.index("^") == 8 + 51 and line[8 + 51] == long[119]  # "…" then 50 characters before it
    assert quote("\tASK {\tx }", 1, 8) == ["    1 | \tASK {\tx }", "      | \t     \t^"]
    assert quote("ASK { '中文' x }", 1, 12) == ["    1 | ASK { '中文' x }", "      |              ^"]
    line, caret = quote("ASK { 'a\u202eb' x }", 1, 13)  # the caret under x
    assert line == "    1 | ASK { 'a\\u202Eb' x }" and caret.index("^") == line.index(" x") + 1
    assert quote("ASK {}", 1, 7, note="here") == ["    1 | ASK {}", "      |       ^ here"]


# -- the engine's verdicts --------------------------------------------------------------------------

ENGINE = ox.Store()
_ENGINE_POSITION = re.compile(r"error at (\d+):(\d+)")


def engine(text: str) -> tuple[int, int] | None:
    """Where pyoxigraph stops reading ``text`` (None: it reads it all)."""
    try:
        ENGINE.query(text, prefixes=PREFIXES, base_iri=BASE)
    except SyntaxError as error:
        found = _ENGINE_POSITION.search(str(error))
        assert found, error
        return int(found.group(1)), int(found.group(2))
    return None


def test_the_engine_counts_columns_without_indentation_and_with_spaces_as_one():
    """What the differential test reads the engine's columns by: the same slip at other
    indentations and spacings is at the same column to pyoxigraph (zkg's own positions are the
    user's: the guard gives the engine a text without indentation, and moves its positions back)."""
    for text in ("SELECT * {\n?s ?p ?o 42 ;\n?q ?r .\n}", "SELECT * {\n   ?s  ?p ?o 42 ;\n        ?q\t?r .\n}"):
        assert engine(text) == (3, 4)


def engine_offset(text: str, line: int, column: int) -> int:
    """The offset in ``text`` of the engine's ``line:column``, counted as the engine counts (above)."""
    lines = text.split("\n")
    if line > len(lines):
        return len(text)
    start, row, counted = sum(len(x) + 1 for x in lines[: line - 1]), lines[line - 1], 0
    index = 0
    while index < len(row):
        if row[index] in " \t\r":
            end = index
            while end < len(row) and row[end] in " \t\r":
                end += 1
            counted += 1 if counted else 0
            if counted >= column:
                return start + index
            index = end
            continue
        counted += 1
        if counted >= column:
            return start + index
        index += 1
    return start + len(row)


def token_at(tokens: list[Token], offset: int) -> int:
    """The index of the token at ``offset``: the first that ends after it."""
    return next((i for i, t in enumerate(tokens) if t.start + len(t.text) > offset), len(tokens))


def offset_of(text: str, line: int, column: int) -> int:
    return sum(len(x) + 1 for x in text.split("\n")[: line - 1]) + column - 1


STRAY = ["}", "{", ".", ";", ",", "?stray", "schema:name", "FILTER", "(", ")", '"x"', "42", "SELECT", "a", "[", "]"]
#: The mutations whose slip is not in doubt, and the hint each must get.
HINTS = {"dot": MISSING_DOT, "close": BRACKET, "open": BRACKET, "prefix-line": PREFIX, "prefix-typo": PREFIX}
HINTS["update"] = UPDATE


def _cut(text: str, token: Token, replacement: str = "") -> str:
    return text[: token.start] + replacement + text[token.start + len(token.text) :]


def mutations(text: str, rng: random.Random):
    """(kind, text): ``text`` broken in each of the ways the module's docstring lists."""
    tokens = lex(text)
    for kind, deleted in (("dot", "."), ("close", "}"), ("open", "{")):
        for token in tokens:
            if token.kind == "punct" and token.text == deleted:
                yield kind, _cut(text, token)
    pnames = [t for t in tokens if t.kind == "pname"]
    # The query with prefixes of its own, declared on PREFIX lines; then one line left out.
    used = sorted({t.text.split(":")[0] for t in pnames})
    own = text
    for token in sorted(pnames, key=lambda t: -t.start):
        name, local = token.text.split(":", 1)
        own = _cut(own, token, f"my{name.replace('-', '')}:{local}")
    declarations = [f"PREFIX my{name.replace('-', '')}: <{PREFIXES[name]}>" for name in used]
    for left_out in range(len(declarations)):
        yield "prefix-line", "\n".join(declarations[:left_out] + declarations[left_out + 1 :]) + "\n" + own
    for token in pnames:
        name, local = token.text.split(":", 1)
        if len(name) > 2 and name[:-1] not in PREFIXES:
            yield "prefix-typo", _cut(text, token, f"{name[:-1]}:{local}")
    form = next(t for t in tokens if t.keyword in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE"))
    for keyword in ("DELETE", "INSERT"):
        yield "update", _cut(text, form, keyword)
    for _ in range(12):
        token = rng.choice(tokens)
        yield "stray", text[: token.start] + rng.choice(STRAY) + " " + text[token.start :]


def broken_queries():
    rng = random.Random(15)
    for path in sorted(Path(QUERIES_DIR).glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        assert engine(text) is None, path  # each competency query reads as it is
        for kind, broken in mutations(text, rng):
            yield path.stem, kind, broken


def test_the_hints_and_carets_agree_with_the_engine(store):
    """For every broken text: (c) what the engine reads, zkg answers; (a) what it refuses, zkg
    refuses with a caret at or before the token where the engine stopped (its position read as
    it counts, above) — the first caret for the slips not in doubt and every error the engine
    itself finds, any caret for stray tokens, where two slips can explain one text; (b) the
    hint named is the slip's, for the slips not in doubt."""
    seen: Counter[str] = Counter()
    problems = []
    for name, kind, text in broken_queries():
        stopped = engine(text)
        try:
            protocol.answer(store, text, row_limit=5, limits_url="")
        except QueryError as error:
            if stopped is None:
                problems.append(f"(c) {name} {kind}: the engine reads it, zkg says {error.message}\n{text}")
                continue
            found = explain(error.message, text, PREFIXES)
            body = protocol.failure(error).body.decode()
            if found is None or found.render() not in body:
                problems.append(f"(a) {name} {kind}: no line quoted for {error.message}")
                continue
            tokens = lex(text)
            engine_token = token_at(tokens, engine_offset(text, *stopped))
            carets = [token_at(tokens, offset_of(text, *caret)) for caret in found.carets]
            strict = kind in HINTS or re.search(r"error at \d+:\d+", error.message)
            if (carets[0] if strict else min(carets)) > engine_token:
                problems.append(f"(a) {name} {kind}: caret {found.carets} after the engine's {stopped}\n{body}")
            if kind in HINTS and found.hint != HINTS[kind]:
                problems.append(f"(b) {name} {kind}: hint {found.hint}, not {HINTS[kind]}\n{body}")
            seen[kind] += 1
        else:
            if stopped is not None:
                problems.append(f"{name} {kind}: the engine stops at {stopped}, zkg answers\n{text}")
    assert problems == [], "\n\n".join(problems[:5]) + f"\n({len(problems)} in all)"
    # Enough of each kind was refused for the test to say something.
    assert all(seen[kind] >= 30 for kind in (*HINTS, "stray")), seen
