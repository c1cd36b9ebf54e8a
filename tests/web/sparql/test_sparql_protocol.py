"""The SPARQL 1.1 Protocol at /sparql, through Flask's test client on an in-memory store."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SOURCE = "http://zkg.test/graph/example-source"
METADATA = "http://zkg.test/graph/metadata"
NAMES = "SELECT ?name { ?p schema:name ?name } ORDER BY ?name"


def bindings(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.data)["results"]["bindings"]


def values(response, name="name") -> list[str]:
    return [b[name]["value"] for b in bindings(response) if name in b]


# -- the three ways to send a query ----------------------------------------------------------------


def test_get(client):
    response = client.get("/sparql", query_string={"query": NAMES})
    assert response.mimetype == "application/sparql-results+json"
    assert values(response) == ["Alice", "Bob", "爱丽丝"]


def test_post_form(client):
    response = client.post("/sparql", data={"query": NAMES})
    assert values(response) == ["Alice", "Bob", "爱丽丝"]


def test_post_direct(client):
    response = client.post("/sparql", data=NAMES.encode(), content_type="application/sparql-query")
    assert values(response) == ["Alice", "Bob", "爱丽丝"]


def test_post_direct_with_utf8_charset(client):
    response = client.post("/sparql", data=NAMES.encode(), content_type="application/sparql-query; charset=UTF-8")
    assert response.status_code == 200


def test_every_query_form(client):
    ask = client.get("/sparql", query_string={"query": "ASK { id:alice schema:knows id:bob }"})
    assert json.loads(ask.data) == {"head": {}, "boolean": True}
    construct = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { id:bob schema:name ?n }"})
    assert construct.mimetype == "text/turtle"
    graph = list(ox.parse(construct.data, format=ox.RdfFormat.TURTLE))
    assert [t.object.value for t in graph] == ["Bob"]
    describe = client.get("/sparql", query_string={"query": "DESCRIBE id:bob"})
    assert describe.status_code == 200 and b"Bob" in describe.data


def test_predeclared_prefixes_and_base(client):
    # schema:, id: are not declared; <id/alice> is relative to the base IRI.
    response = client.get(
        "/sparql", query_string={"query": "SELECT ?n { <id/alice> schema:name ?n FILTER(lang(?n) = 'en') }"}
    )
    assert values(response, "n") == ["Alice"]


def test_a_declared_prefix_wins_over_the_predeclared_one(client):
    query = "PREFIX schema: <http://schema.org/> ASK { ?s schema:name ?n }"
    assert json.loads(client.get("/sparql", query_string={"query": query}).data)["boolean"] is False


def test_unknown_parameters_are_ignored(client):
    # SPARQLWrapper sends output= and results= besides format=.
    response = client.get("/sparql", query_string={"query": NAMES, "output": "json", "results": "json", "x": "y"})
    assert response.status_code == 200


# -- the dataset ------------------------------------------------------------------------------------


def test_default_graph_is_the_union(client):
    query = "ASK { id:alice schema:name ?n . id:example-article a schema:NewsArticle }"
    assert json.loads(client.get("/sparql", query_string={"query": query}).data)["boolean"] is True


def test_default_graph_uri(client):
    query = "SELECT ?name { ?p schema:name ?name } ORDER BY ?name"
    only_metadata = client.get("/sparql", query_string={"query": query, "default-graph-uri": METADATA})
    assert values(only_metadata) == []
    only_source = client.get("/sparql", query_string={"query": query, "default-graph-uri": SOURCE})
    assert values(only_source) == ["Alice", "Bob", "爱丽丝"]


def test_named_graph_uri(client):
    query = "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"
    response = client.get("/sparql?" + urlencode([("query", query), ("named-graph-uri", METADATA)]))
    assert values(response, "g") == [METADATA]


def test_default_and_named_graphs_together(client):
    query = "SELECT ?g ?name { ?a a schema:NewsArticle GRAPH ?g { ?p schema:name ?name } }"
    params = [("query", query), ("default-graph-uri", METADATA), ("named-graph-uri", SOURCE)]
    response = client.post("/sparql", data=urlencode(params), content_type="application/x-www-form-urlencoded")
    assert {b["g"]["value"] for b in bindings(response)} == {SOURCE}


def test_from_picks_the_default_graph(client):
    query = f"SELECT ?name FROM <{METADATA}> {{ ?p schema:name ?name }}"
    assert values(client.get("/sparql", query_string={"query": query})) == []
    query = f"SELECT ?name FROM <{SOURCE}> {{ ?p schema:name ?name }} ORDER BY ?name"
    assert values(client.get("/sparql", query_string={"query": query})) == ["Alice", "Bob", "爱丽丝"]


def test_protocol_dataset_overrides_from(client):
    query = f"SELECT ?name FROM <{METADATA}> {{ ?p schema:name ?name }} ORDER BY ?name"
    response = client.get("/sparql", query_string={"query": query, "default-graph-uri": SOURCE})
    assert values(response) == ["Alice", "Bob", "爱丽丝"]


# -- errors ------------------------------------------------------------------------------------------


def test_syntax_error_has_the_parser_message_and_position(client):
    response = client.get("/sparql", query_string={"query": "SELECT ?x\nWHERE { ?x ?y }"})
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert "error at 2:" in response.get_data(as_text=True)  # line 2: the parser's own position


def test_a_syntax_error_quotes_the_line_with_a_caret_and_a_hint(client):
    """What curl shows (zkg.sparql.explain): the parser's message, then the line quoted with a
    caret under the column, and a hint for the common slips."""
    response = client.get("/sparql", query_string={"query": "SELECT ?x\nWHERE { ?x schem:name ?y }"})
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == (
        "unknown prefix 'schem:' at line 2, column 12: declare it with PREFIX schem: <…> (the predeclared "
        "prefixes are listed in the service description)\n"
        "\n"
        "    2 | WHERE { ?x schem:name ?y }\n"
        "      |            ^\n"
        "hint: the prefix schem: is not declared. Did you mean schema:? zkg predeclares rdf:, rdfs:, xsd:, "
        "owl:, schema:, org:, prov:, dcterms:, skos:, qb:, sdmx-dimension:, sdmx-measure:, sdmx-attribute:, "
        "void:, sd:, sh:, dcat:, foaf:, zkg:, id:, graph:, kind:, role:, category:, indicator:, unit:, "
        "transformation:; any other prefix needs a line such as PREFIX schem: <http://…> before the query.\n"
    )
    update = client.post("/sparql", data={"query": "INSERT DATA { id:a schema:name 'A' }"})
    assert update.status_code == 400
    assert "POST to this endpoint" in update.get_data(as_text=True) and "update=" in update.get_data(as_text=True)


@pytest.mark.parametrize(
    "query_string", ["query=ASK%7B%7D&query=ASK%7B%7D", "update=CLEAR%20ALL", "query=ASK%7B%7D&update=CLEAR%20ALL"]
)
def test_get_negatives(client, query_string):
    response = client.get("/sparql?" + query_string)
    assert response.status_code == 400
    assert response.mimetype == "text/plain"


def test_update_needs_a_token_and_is_no_query(client):
    # SPARQL Update is curation's (tests/web/curation/test_curation_http.py): without a token, 401.
    for response in (
        client.post("/sparql", data={"update": "CLEAR ALL"}),
        client.post("/sparql", data=b"CLEAR ALL", content_type="application/sparql-update"),
    ):
        assert response.status_code == 401, response.data
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = client.post("/sparql", data=b"INSERT DATA { <a> <b> <c> }", content_type="application/sparql-query")
    assert response.status_code == 400, response.data
    assert client.get("/sparql", query_string={"query": "ASK { <a> <b> <c> }"}).json["boolean"] is False


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json"])
def test_post_needs_a_sparql_or_form_content_type(client, content_type):
    response = client.post("/sparql", data=b"ASK {}", content_type=content_type)
    assert response.status_code == 415
    assert "application/sparql-query" in response.get_data(as_text=True)


def test_utf16_body_is_refused(client):
    response = client.post(
        "/sparql", data="ASK {}".encode("utf-16"), content_type="application/sparql-query; charset=UTF-16"
    )
    assert response.status_code == 415
    response = client.post("/sparql", data="ASK {}".encode("utf-16"), content_type="application/sparql-query")
    assert response.status_code == 400 and "UTF-8" in response.get_data(as_text=True)


def test_query_in_both_url_and_body(client):
    response = client.post("/sparql?query=ASK%7B%7D", data=b"ASK {}", content_type="application/sparql-query")
    assert response.status_code == 400


def test_post_without_query(client):
    assert client.post("/sparql", data={"default-graph-uri": SOURCE}).status_code == 400


def test_empty_query(client):
    assert client.get("/sparql", query_string={"query": "  "}).status_code == 400


def test_other_methods(client):
    for response in (client.put("/sparql", data=b"ASK {}"), client.delete("/sparql")):
        assert response.status_code == 405
        assert "GET" in response.headers["Allow"]


def test_errors_show_no_traceback(app, client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("internal detail that must not leak")

    monkeypatch.setattr(app.config["ZKG_STORE"], "query", broken, raising=False)
    plain = client.get("/sparql", query_string={"query": "SELECT * {}"})
    as_json = client.get("/sparql", query_string={"query": "SELECT * {}"}, headers={"Accept": "application/json"})
    monkeypatch.undo()
    assert plain.status_code == 500 and plain.mimetype == "text/plain"
    assert as_json.status_code == 500 and as_json.mimetype == "application/json" and "error" in as_json.json
    for response in (plain, as_json):
        text = response.get_data(as_text=True)
        assert "Traceback" not in text and "internal detail" not in text
    assert "internal detail that must not leak" in caplog.text  # logged, for the operator


# -- size limit --------------------------------------------------------------------------------------


def test_request_size_limit(client, web_settings):
    big = "ASK {} #" + "x" * web_settings.max_request_bytes
    assert client.post("/sparql", data=big.encode(), content_type="application/sparql-query").status_code == 413
    assert client.post("/sparql", data={"query": big}).status_code == 413
    assert client.get("/sparql", query_string={"query": big}).status_code == 413
    just_under = "ASK {} #" + "x" * (web_settings.max_request_bytes - 100)
    assert client.post("/sparql", data=just_under.encode(), content_type="application/sparql-query").status_code == 200


# -- CORS ---------------------------------------------------------------------------------------------


def test_cors_on_reads(client):
    response = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://notebook.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "ZKG-Results-Truncated" in response.headers["Access-Control-Expose-Headers"]
    assert client.get("/.well-known/void").headers["Access-Control-Allow-Origin"] == "*"


def test_cors_preflight(client):
    response = client.options(
        "/sparql",
        headers={
            "Origin": "https://notebook.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-requested-with",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "content-type, x-requested-with"


def test_errors_are_cors_readable_too(client):
    response = client.get("/sparql", query_string={"query": "SELEKT"})
    assert response.status_code == 400 and response.headers["Access-Control-Allow-Origin"] == "*"


# -- the editor -----------------------------------------------------------------------------------------


def test_browsers_get_the_editor(client):
    response = client.get("/sparql", query_string={"query": NAMES}, headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]
    assert client.get("/sparql", headers={"Accept": BROWSER}).mimetype == "text/html"


def test_format_parameter_beats_a_browser_accept(client):
    response = client.get("/sparql", query_string={"query": NAMES, "format": "csv"}, headers={"Accept": BROWSER})
    assert response.mimetype == "text/csv"
