"""zkg in front of a remote SPARQL 1.1 engine (a real Oxigraph server): the endpoint, pages
and their twins, search, curation with the same write checks, and two worker processes
sharing the dataset version. Run alone with ``pytest -m remote``."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
import rdflib

from tests.support.json_ld_testing import inline_context
from tests.support.zkg_testing import TEST_BASE

ID = TEST_BASE + "id/"
SOURCE = "https://example.org/remote-test-source"


def get(url: str, accept: str | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, headers={**({"Accept": accept} if accept else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def sparql(server, query: str, accept: str = "application/sparql-results+json", **params):
    return get(server.sparql + "?" + urllib.parse.urlencode({"query": query, **params}), accept)


def post_update(server, text: str, token: str):
    request = urllib.request.Request(
        server.sparql,
        data=text.encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {token}", "ZKG-Source": SOURCE},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def rows(body: bytes) -> list[dict]:
    return json.loads(body)["results"]["bindings"]


# -- the query protocol ---------------------------------------------------------------------------


def test_select_with_predeclared_prefixes_over_the_union_default_graph(remote_server):
    status, headers, body = sparql(remote_server, f"SELECT ?name WHERE {{ <{ID}z-park> schema:name ?name }}")
    assert status == 200 and headers["Content-Type"].startswith("application/sparql-results+json")
    # The union: the English name is the article's graph's, the Chinese one graph:reference's.
    assert sorted(r["name"]["value"] for r in rows(body)) == ["Zhongguancun Science Park", "中关村科技园区"]


def test_every_result_format_and_query_form(remote_server):
    status, headers, body = sparql(remote_server, "SELECT ?s WHERE { ?s a schema:Person } LIMIT 2", "text/csv")
    assert status == 200 and body.decode().splitlines()[0] == "s"
    status, _, body = sparql(remote_server, "ASK { ?s a schema:Organization }")
    assert status == 200 and json.loads(body)["boolean"] is True
    status, headers, body = sparql(remote_server, f"DESCRIBE <{ID}z-park>", "text/turtle")
    graph = rdflib.Graph().parse(data=body, format="turtle")
    assert status == 200 and (rdflib.URIRef(ID + "z-park"), None, None) in graph
    status, _, body = sparql(remote_server, f"CONSTRUCT WHERE {{ <{ID}z-park> ?p ?o }}", "application/n-triples")
    assert status == 200 and body.count(b"\n") >= 5


def test_the_dataset_parameters(remote_server):
    vocabulary = TEST_BASE + "graph/vocabulary"
    status, _, body = sparql(remote_server, f"ASK {{ <{ID}z-park> ?p ?o }}", **{"default-graph-uri": vocabulary})
    assert status == 200 and json.loads(body)["boolean"] is False


def test_errors_and_the_row_cap(remote_server):
    status, _, body = sparql(remote_server, "SELECT ?x WHERE { ?x ?y }")
    assert status == 400 and b"1:" in body  # the parser's position, in the text sent
    status, _, _ = sparql(remote_server, "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    assert status == 400
    status, headers, body = sparql(remote_server, "SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    assert status == 200 and headers["ZKG-Results-Truncated"] == "limit=100" and len(rows(body)) == 100


# -- linked data, search ----------------------------------------------------------------------------


def test_iri_page_and_twins(remote_server):
    request = urllib.request.Request(remote_server.url + "id/z-park", headers={"Accept": "text/turtle"}, method="HEAD")
    opener = urllib.request.build_opener(
        type("NoRedirect", (urllib.request.HTTPRedirectHandler,), {"redirect_request": lambda *a, **k: None})
    )
    with pytest.raises(urllib.error.HTTPError) as seen:
        opener.open(request, timeout=10)
    assert seen.value.code == 303 and seen.value.headers["Location"].endswith("/data/id/z-park.ttl")
    status, headers, body = get(remote_server.url + "page/id/z-park", "text/html")
    assert status == 200 and b"Zhongguancun Science Park" in body
    for extension, rdflib_format in (("ttl", "turtle"), ("jsonld", "json-ld"), ("nt", "nt"), ("rdf", "xml")):
        status, headers, body = get(remote_server.url + f"data/id/z-park.{extension}")
        if extension == "jsonld":  # offline: the context as this server serves it
            body = inline_context(body, get(remote_server.url + "def/context.jsonld")[2])
        graph = rdflib.Graph().parse(data=body, format=rdflib_format)
        assert status == 200 and (rdflib.URIRef(ID + "z-park"), None, None) in graph, extension
    status, headers, _ = get(remote_server.url + "data/id/z-park.trig")
    etag = headers["ETag"]
    status, _, _ = get(remote_server.url + "data/id/z-park.trig", headers={"If-None-Match": etag})
    assert status == 304


def test_search(remote_server):
    status, _, body = get(remote_server.url + "search?q=zhongguancun&format=json")
    assert status == 200 and json.loads(body)["results"][0]["iri"] == ID + "z-park"
    status, _, body = get(remote_server.url + "search?q=" + urllib.parse.quote("中关村") + "&format=json")
    assert status == 200 and ID + "z-park" in [hit["iri"] for hit in json.loads(body)["results"]]


# -- curation: the same write path and checks, seen by every worker ---------------------------------


def test_a_checked_write_is_seen_by_every_worker_and_changes_the_version(remote_server, write_token):
    _, before, _ = get(remote_server.url + "data/id/z-park.ttl")
    fact = (
        f'INSERT DATA {{ GRAPH <{TEST_BASE}graph/reference> {{ <{ID}z-park> schema:slogan "Innovation first"@en }} }}'
    )
    status, headers, text = post_update(remote_server, fact, write_token)
    assert status == 200, text
    assert headers.get("ZKG-Changeset")
    query = f'ASK {{ <{ID}z-park> schema:slogan "Innovation first"@en }}'
    for _ in range(8):  # connections spread over both workers: each sees the write at once
        status, _, body = sparql(remote_server, query)
        assert status == 200 and json.loads(body)["boolean"] is True
        status, after, body = get(remote_server.url + "data/id/z-park.ttl")
        assert after["ETag"] != before["ETag"] and b"Innovation first" in body
        status, _, _ = get(remote_server.url + "data/id/z-park.ttl", headers={"If-None-Match": before["ETag"]})
        assert status == 200


def test_a_write_breaking_the_shapes_is_refused_and_writes_nothing(remote_server, write_token):
    # A membership needs exactly one member, one organisation and a role from the role scheme.
    broken = f'INSERT DATA {{ GRAPH <{TEST_BASE}graph/reference> {{ <{ID}membership-x> a org:Membership ; rdfs:label "x"@en }} }}'
    status, _, text = post_update(remote_server, broken, write_token)
    assert status == 422 and "org:member" in text
    status, _, body = sparql(remote_server, f"ASK {{ <{ID}membership-x> ?p ?o }}")
    assert json.loads(body)["boolean"] is False


def test_writes_need_a_token(remote_server):
    status, _, _ = post_update(remote_server, f'INSERT DATA {{ <{ID}a> <{ID}b> "c" }}', "zkg_not-a-token")
    assert status == 401
