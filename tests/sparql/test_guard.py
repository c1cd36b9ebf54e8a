"""The request guard (zkg.sparql.guard): query forms, refusals, and the lexer under them."""

from __future__ import annotations

import re

import pytest

from zkg.base.errors import QueryError, QueryRefused
from zkg.rdf.prefixes import prefixes
from zkg.rdf.sparql_scan import scan, tokens, undeclared_prologue
from zkg.sparql.guard import check_query, check_update

BASE = "http://zkg.test/"
GRAPHS = {BASE + "graph/example-source", "http://example.org/g"}


def check(text):
    return check_query(text, base_iri=BASE, prefixes=prefixes(BASE), graph_exists=GRAPHS.__contains__)


@pytest.mark.parametrize(
    "text,form",
    [
        ("SELECT * {}", "SELECT"),
        ("select * {}", "SELECT"),
        ("ASK {}", "ASK"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <http://x>", "DESCRIBE"),
        ("PREFIX ask: <http://a/> BASE <http://b/> SELECT (ask:x AS ?y) {}", "SELECT"),
        ("# ASK in a comment\nCONSTRUCT {} WHERE {}", "CONSTRUCT"),
        ("PREFIX : <http://a/#select> DESCRIBE :x", "DESCRIBE"),
        ("", None),
        ("SELEKT", None),
    ],
)
def test_query_form(text, form):
    assert scan(text).form == form


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * { SERVICE <http://dbpedia.org/sparql> { ?s ?p ?o } }",
        "SELECT * { service silent <http://127.0.0.1:9/x> { ?s ?p ?o } }",
        "SELECT * { ?a ?b ?c OPTIONAL { SERVICE ?endpoint { ?s ?p ?o } } }",
        "PREFIX ex: <http://example.org/>\nASK {\n  SERVICE ex:sparql {}\n}",
    ],
)
def test_service_is_refused(text):
    with pytest.raises(QueryRefused, match="SERVICE at line .* is not allowed"):
        check(text)


def test_the_refusal_gives_the_position():
    with pytest.raises(QueryRefused, match=r"SERVICE at line 3, column 3 "):
        check("PREFIX ex: <http://example.org/>\nASK {\n  SERVICE ex:sparql {}\n}")


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * { ?s ?p 'SERVICE <http://x> {}' }",
        'SELECT * { ?s ?p """multi\nSERVICE <http://x> {}""" }',
        "SELECT * { ?s ?p ?o } # SERVICE <http://x> {}",
        "SELECT * { ?s <http://example.org/SERVICE> ?service }",
        "PREFIX service: <http://example.org/> SELECT * { ?s service:x ?o }",
        "SELECT ?load { ?s ?p ?load }",
        "SELECT * { ?s ?p 'it''s' . FILTER(?p != <urn:load>) }",
    ],
)
def test_keywords_inside_strings_iris_comments_or_names_are_not_keywords(text):
    assert check(text).form == "SELECT"


@pytest.mark.parametrize(
    "text,iri",
    [
        ("SELECT * FROM <http://evil.example/data.ttl> { ?s ?p ?o }", "http://evil.example/data.ttl"),
        ("SELECT * FROM NAMED <http://evil.example/g> { GRAPH ?g { ?s ?p ?o } }", "http://evil.example/g"),
        ("SELECT * FROM <graph/nope> { ?s ?p ?o }", BASE + "graph/nope"),
        (
            "BASE <http://other.example/> SELECT * FROM <graph/example-source> {}",
            "http://other.example/graph/example-source",
        ),
        ("PREFIX ex: <http://example.org/> SELECT * FROM ex:h {}", "http://example.org/h"),
        ("SELECT * FROM graph:missing {}", BASE + "graph/missing"),
    ],
)
def test_from_outside_the_dataset_is_refused(text, iri):
    with pytest.raises(QueryRefused) as raised:
        check(text)
    assert f"<{iri}>" in str(raised.value) and "names no graph of this dataset" in str(raised.value)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * FROM <http://zkg.test/graph/example-source> { ?s ?p ?o }",
        "SELECT * FROM <graph/example-source> {}",
        "SELECT * FROM graph:example-source FROM NAMED <http://example.org/g> {}",
        "PREFIX ex: <http://example.org/> SELECT * FROM NAMED ex:g {}",
    ],
)
def test_from_inside_the_dataset_is_fine(text):
    found = check(text)
    assert found.has_dataset_clause


@pytest.mark.parametrize(
    "text,keyword",
    [
        ("INSERT DATA { <a> <b> <c> }", "INSERT"),
        ("PREFIX ex: <http://e/> DELETE WHERE { ?s ?p ?o }", "DELETE"),
        ("LOAD <http://example.org/data.ttl>", "LOAD"),
        ("clear all", "CLEAR"),
        ("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
        ("DROP GRAPH <http://g>", "DROP"),
    ],
)
def test_updates_are_refused_at_the_query_endpoint(text, keyword):
    with pytest.raises(QueryRefused, match=f"this is a SPARQL Update \\({keyword}\\)"):
        check(text)


def test_update_check_refuses_load_and_service():
    with pytest.raises(QueryRefused, match="LOAD at line 1, column 1 is not allowed"):
        check_update("LOAD <http://example.org/x.ttl> INTO GRAPH <http://g>")
    with pytest.raises(QueryRefused, match="SERVICE"):
        check_update("INSERT { ?s ?p ?o } WHERE { SERVICE <http://x/sparql> { ?s ?p ?o } }")
    assert check_update("INSERT DATA { <a> <b> 'LOAD' }").update_keyword == "INSERT"


def test_an_unterminated_string_is_refused_not_passed_on():
    # What the guard cannot read is never handed to the engine.
    with pytest.raises(QueryRefused, match="line 1, column 18: a string that does not end"):
        check("SELECT * { ?s ?p 'unterminated SERVICE <http://x> {} }")


def test_lexer_keeps_iris_and_operators_apart():
    kinds = [(t.kind, t.text) for t in tokens("FILTER(?a <= 3 && ?b < ?c || <http://x#y> = ?d)")]
    assert ("iri", "<http://x#y>") in kinds and ("punct", "<=") in kinds and ("punct", "<") in kinds


def test_prefixed_names_with_escapes_and_unicode():
    found = scan("SELECT * { ?s 中文:名字 ?o ; ex:a\\.b ?x ; ex:%41 ?y . }")
    assert found.used_prefixes == {"中文", "ex"}


def test_prologue_adds_only_the_used_undeclared_prefixes():
    found = scan("PREFIX schema: <http://schema.org/> SELECT * { ?s schema:name ?n ; rdfs:label ?l ; foo:x ?y }")
    lines = undeclared_prologue(found, prefixes(BASE), BASE)
    assert lines == [f"BASE <{BASE}>", "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>"]


# -- reading as the engine reads (issue 13) --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * { SERVICESILENT<http://127.0.0.1:9/>{} }",
        "SELECT * { ?s ?p ?o SERVICE<http://127.0.0.1:9/>{} }",
        "SELECT * { ?s <http://x/r> trueSERVICE<http://127.0.0.1:9/>{} }",
        "SELECT * { ?s ?p 1SERVICE<http://127.0.0.1:9/>{} }",
        "SELECT * { {}SeRvIcE\t#c\n<http://127.0.0.1:9/>{} }",
        "SELECT * { ?s ?p ?o FILTER(?o<1)SERVICE?x#>\n{} }",
        "SELECT * { ?s ?p <http://x/\\u0041'> . SERVICE <http://127.0.0.1:9/> {} }",
        "SELECT * { \u017fERVICE <http://127.0.0.1:9/> {} }",  # a long s: upper-cases to S
    ],
)
def test_service_is_refused_however_it_is_glued(text):
    with pytest.raises(QueryRefused, match="SERVICE at line"):
        check(text)


@pytest.mark.parametrize(
    "text",
    [
        "LOADSILENT<http://127.0.0.1:9/x>",
        "INSERT DATA { <a> <b> 1 } ;LOAD<http://127.0.0.1:9/x>",
        "PREFIX c: <http://127.0.0.1:9/> LOADc:x",
    ],
)
def test_load_is_refused_however_it_is_glued(text):
    with pytest.raises(QueryRefused, match="LOAD at line"):
        check_update(text, base_iri=BASE, prefixes=prefixes(BASE))


@pytest.mark.parametrize(
    "text,message",
    [
        ("SELECT * { ?s ?p ?o } LIMIT10", "'LIMIT10' is no SPARQL keyword"),
        ("SELECT * { \\u0053ELECT }", "a backslash outside a string or IRI"),
        ("SELECT * { ?s nope:p ?o }", "unknown prefix 'nope:'"),
        ("SELECT * { ?s <http://x/a b> ?o }", "opens no IRI"),
        ("SELECT * { ?s <http://x/\\u003E> ?o }", "invalid IRI"),
        ("SELECT * { ?s ?p '\\uD800' }", "invalid string"),
        ("SELECT * { ?s ?p ?o ", "the text ends inside a bracket"),
        ("SELECT * { ?s ?p ?o ) }", "')' closes nothing"),
        ("ASK { FILTER(TRUE) } \u00a0", "U+00A0"),
        ("SELECT * { ?s ?p ?o } Limit 1 A", "'A' is no SPARQL keyword"),
    ],
)
def test_what_the_guard_cannot_read_is_refused_with_its_place(text, message):
    with pytest.raises(QueryRefused, match=re.escape(message)):
        check(text)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT*WHERE{?s ?p ?o}LIMIT 1",
        "select distinct ?s where { ?s a schema:Person . } order by desc(?s) limit 2 offset 1",
        "PREFIX service: <http://example.org/> SELECT * { ?s service:x ?o }",
        "SELECT * { ?s ?p ?o FILTER(?o<1&&?o>0) }",
        "SELECT * { ?s ?p ?o } ORDER BY ?s <http://example.org/f>(?o)",
        "ASK { << <http://a> <http://b> <http://c> >> ?p ?o }",
        "SELECT * { VALUES (?x ?y) { (1 2) (UNDEF .5) } }",
        "SELECT (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?s HAVING (COUNT(*) > 1)",
        "ASK { FILTER(TRUE) }",
    ],
)
def test_queries_the_engine_reads_are_read(text):
    assert check(text).form in ("SELECT", "ASK")


def test_the_engine_text_has_no_other_reading():
    reading = check(
        "PREFIX ex: <http://example.org/>\n# a comment {\nSELECT ?n WHERE {\n"
        "  ?s ex:p 'it\\u0027s' ; ex:q ?o . FILTER(?o<.5)\n}"
    )
    text = reading.engine_text
    assert "#" not in text and "ex:" not in text and "PREFIX" not in text
    assert "<\\u0068ttp://example.org/p>" in text  # an IRI's first character escaped
    assert "'it\\'s'" in text and "0.5" in text
    assert text.count("\n") == reading.text.count("\n")  # lines where they were


def test_engine_errors_point_into_the_users_text():
    from zkg.store.local import Store

    store = Store.open(base_iri=BASE)
    reading = check("PREFIX ex: <http://example.org/>\nSELECT * { ?s ex:p ?o ?x }")
    with pytest.raises(QueryError) as raised:
        list(store.query(reading.engine_text))
    # pyoxigraph says "error at 2:27" for the user's own text; for the guard's, at 2:50, moved back.
    assert "at 2:50:" in str(raised.value) and "error at 2:27:" in reading.locate(str(raised.value))


@pytest.mark.parametrize(
    "text,refused",
    [
        ("ASK { " + " ".join(["OPTIONAL { ?s ?p ?o }"] * 300) + " }", False),
        ("ASK { " + " ".join(["OPTIONAL { ?s ?p ?o }"] * 700) + " }", True),
        ("ASK { FILTER(" + "||".join(["true"] * 1900) + ") }", False),
        ("ASK { FILTER(" + "||".join(["true"] * 2100) + ") }", True),
        ("INSERT DATA { " + " ".join(f"<http://x/s> <http://x/p> {i} ." for i in range(5000)) + " }", False),
        ("ASK { VALUES ?x { " + " ".join(str(i) for i in range(20000)) + " } }", False),
    ],
)
def test_the_cost_budget(text, refused):
    try:
        reading = (
            check_update(text, base_iri=BASE, prefixes=prefixes(BASE)) if text.startswith("INSERT") else check(text)
        )
    except QueryRefused as refusal:
        assert refused and "too complex" in str(refusal), refusal
    else:
        assert not refused and reading.cost <= 2000


def test_reading_a_long_text_sets_off_no_full_collection():
    """The guard reads tokens as they come: 100,000 tokens kept at once survived the young
    generations and set off a full collection of the whole process (a second and more in a
    big one; seen as a flaky CPU bound in tests/hardening/test_work_bounds.py)."""
    import gc

    text = "INSERT DATA { " + "; " * 200_000
    full_collections = gc.get_stats()[2]["collections"]
    with pytest.raises(QueryRefused, match="more than 100,000 tokens"):
        check_update(text, base_iri=BASE, prefixes=prefixes(BASE))
    assert gc.get_stats()[2]["collections"] == full_collections
