"""Writes over HTTP (Flask's test client, a fresh in-memory store per test): SPARQL Update at
/sparql and the Graph Store Protocol at /graph-store, through the one write path, with
bearer tokens (401/403), a required source (400), the SHACL check (422), stale removals
(409) and conditional requests (412); no CORS on writes; history and recent changes."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from tests.support.curation_testing import SOURCE
from tests.support.zkg_testing import TEST_BASE

ALICE = f"<{TEST_BASE}id/alice>"
NEW_FACT = f'INSERT DATA {{ {ALICE} <https://schema.org/jobTitle> "Director"@en }}'
NAMELESS_PERSON = (
    f"INSERT DATA {{ GRAPH <{TEST_BASE}graph/extra> {{ <{TEST_BASE}id/carol> a <https://schema.org/Person> }} }}"
)


def has(cur, pattern: str) -> bool:
    return bool(cur.store.query(f"ASK {{ {pattern} }}"))


# -- SPARQL Update: who may write ---------------------------------------------------------------------


def test_update_without_a_token_is_401_with_a_bearer_challenge(cur):
    response = cur.client.post("/sparql", data=NEW_FACT, headers={"Content-Type": "application/sparql-update"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert not has(cur, f"{ALICE} <https://schema.org/jobTitle> ?t")


def test_update_with_an_unknown_token_is_401(cur):
    response = cur.update(NEW_FACT, token="zkg_not-a-token")
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_update_with_a_read_only_token_is_403(cur):
    response = cur.update(NEW_FACT, token=cur.read_token)
    assert response.status_code == 403
    assert not has(cur, f"{ALICE} <https://schema.org/jobTitle> ?t")


def test_update_without_a_source_is_400(cur):
    response = cur.client.post(
        "/sparql",
        data=NEW_FACT,
        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {cur.write_token}"},
    )
    assert response.status_code == 400 and "ZKG-Source" in response.get_data(as_text=True)


def test_update_with_a_token_is_a_changeset_in_its_own_graph(cur):
    response = cur.update(NEW_FACT)
    assert response.status_code == 200, response.get_data(as_text=True)
    changeset = response.headers["ZKG-Changeset"]
    assert f"/changes/{changeset}" in response.headers["Link"]
    assert has(
        cur, f'GRAPH <{TEST_BASE}graph/changes/{changeset}> {{ {ALICE} <https://schema.org/jobTitle> "Director"@en }}'
    )
    assert "Access-Control-Allow-Origin" not in response.headers


def test_update_as_a_form_with_source_and_message_parameters(cur):
    response = cur.client.post(
        "/sparql",
        data={"update": NEW_FACT, "source": SOURCE, "message": "from the interview"},
        headers={"Authorization": f"Bearer {cur.write_token}"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def test_update_that_changes_nothing_makes_no_changeset(cur):
    response = cur.update(f'DELETE DATA {{ {ALICE} <https://schema.org/jobTitle> "Nobody" }}')
    assert response.status_code == 200 and "ZKG-Changeset" not in response.headers
    assert "nothing to change" in response.get_data(as_text=True)


def test_update_protocol_errors(cur):
    assert cur.client.get("/sparql", query_string={"update": NEW_FACT}).status_code == 400
    assert (
        cur.client.post("/sparql", data=NEW_FACT, headers={**cur.auth(), "Content-Type": "text/plain"}).status_code
        == 415
    )
    both = cur.client.post("/sparql", data={"update": NEW_FACT, "query": "ASK {}"}, headers=cur.auth())
    assert both.status_code == 400
    assert cur.update("CLEAR XYZ").status_code == 400
    refused = cur.update("LOAD <http://example.org/x.ttl>")
    assert refused.status_code == 400 and "LOAD" in refused.get_data(as_text=True)


def test_an_update_with_a_syntax_error_quotes_its_line_with_a_hint(cur):
    """An update's syntax error is explained as a query's is (zkg.sparql.explain): the line, a
    caret, and where the '.' goes."""
    text = "INSERT { ?p schema:jobTitle 'A' } WHERE {\n  ?p a schema:Person\n  ?p schema:name ?n .\n}"
    response = cur.update(text)
    assert response.status_code == 400 and response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert body.startswith("SPARQL syntax error: error at 3:")
    assert "    3 |   ?p schema:name ?n .\n" in body
    assert "hint: a '.' is missing after 'schema:Person' (line 2, column 21)" in body


def test_update_dry_run_writes_nothing(cur):
    before = cur.store.dump(format="nquads")
    response = cur.update(NEW_FACT, **{"ZKG-Dry-Run": "1"})
    assert response.status_code == 200 and "dry run" in response.get_data(as_text=True)
    assert cur.store.dump(format="nquads") == before


def test_preflight_never_allows_authorization(cur):
    response = cur.client.options(
        "/sparql",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert "authorization" not in response.headers.get("Access-Control-Allow-Headers", "").lower()


# -- rejected, stale ----------------------------------------------------------------------------------


def test_rejected_update_is_422_with_a_readable_report_and_writes_nothing(cur):
    before = cur.store.dump(format="nquads")
    response = cur.update(NAMELESS_PERSON)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "a person needs a name" in text and "nothing was written" in text
    assert cur.store.dump(format="nquads") == before


def test_rejected_update_report_as_rdf_and_html(cur):
    response = cur.update(NAMELESS_PERSON, Accept="text/turtle")
    assert response.status_code == 422 and response.mimetype == "text/turtle"
    report = ox.Dataset(ox.parse(response.get_data(), format=ox.RdfFormat.TURTLE))
    assert any(q.object == ox.NamedNode("http://www.w3.org/ns/shacl#ValidationReport") for q in report)
    html = cur.update(NAMELESS_PERSON, Accept="text/html")
    assert (
        html.status_code == 422
        and html.mimetype == "text/html"
        and "a person needs a name" in html.get_data(as_text=True)
    )


def test_stale_correction_is_409(cur):
    from zkg.curation.writer import Attribution
    from zkg.web.curation import writes

    with cur.app.test_request_context("/"):
        removals = [
            ox.Quad(
                ox.NamedNode(f"{TEST_BASE}id/alice"),
                ox.NamedNode("https://schema.org/name"),
                ox.Literal("Never"),
                ox.NamedNode(f"{TEST_BASE}graph/example-source"),
            )
        ]
        from zkg.curation.apply import Conflict

        with pytest.raises(Conflict):
            writes.app_curator().write(Attribution.of_token("alice", source=SOURCE), removals=removals)
        assert writes.error_response(Conflict("gone")).status_code == 409


# -- Graph Store Protocol -----------------------------------------------------------------------------

GRAPH = "http://example.org/graphs/people"
PEOPLE = (
    f'<{TEST_BASE}id/dave> a <https://schema.org/Person> ; <https://schema.org/name> "Dave" ; '
    '<http://www.w3.org/2000/01/rdf-schema#comment> "A person." .'
)


def gsp(cur, method: str, body: str | None = None, *, graph: str | None = GRAPH, **headers):
    query = {"graph": graph} if graph else {"default": ""}
    send = {**cur.auth(), **headers}
    if body is not None:
        send.setdefault("Content-Type", "text/turtle")
    return cur.client.open("/graph-store", method=method, query_string=query, data=body, headers=send)


def test_graph_store_put_get_head_post_delete(cur):
    created = gsp(cur, "PUT", PEOPLE)
    assert created.status_code == 201 and created.headers["Location"] == GRAPH and "ZKG-Changeset" in created.headers
    got = cur.client.get("/graph-store", query_string={"graph": GRAPH}, headers={"Accept": "text/turtle"})
    assert got.status_code == 200 and got.mimetype == "text/turtle" and "Dave" in got.get_data(as_text=True)
    assert got.headers["ETag"] and "Access-Control-Allow-Origin" not in got.headers
    assert cur.client.head("/graph-store", query_string={"graph": GRAPH}).status_code == 200
    revalidated = cur.client.get(
        "/graph-store",
        query_string={"graph": GRAPH},
        headers={"Accept": "text/turtle", "If-None-Match": got.headers["ETag"]},
    )
    assert revalidated.status_code == 304
    merged = gsp(cur, "POST", f'<{TEST_BASE}id/dave> <https://schema.org/jobTitle> "Analyst" .')
    assert merged.status_code == 204
    assert has(
        cur,
        f'GRAPH <{GRAPH}> {{ <{TEST_BASE}id/dave> <https://schema.org/jobTitle> "Analyst" ; <https://schema.org/name> "Dave" }}',
    )
    replaced = gsp(cur, "PUT", PEOPLE)
    assert replaced.status_code == 204
    assert not has(cur, f"GRAPH <{GRAPH}> {{ ?s <https://schema.org/jobTitle> ?t }}")
    deleted = gsp(cur, "DELETE")
    assert deleted.status_code == 204 and "Content-Type" not in deleted.headers and not deleted.data
    assert cur.client.get("/graph-store", query_string={"graph": GRAPH}).status_code == 404
    assert gsp(cur, "DELETE").status_code == 404


def test_graph_store_writes_need_a_write_token(cur):
    anonymous = cur.client.put(
        "/graph-store", query_string={"graph": GRAPH}, data=PEOPLE, headers={"Content-Type": "text/turtle"}
    )
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert gsp(cur, "PUT", PEOPLE, Authorization=f"Bearer {cur.read_token}").status_code == 403
    assert cur.client.get("/graph-store", query_string={"graph": GRAPH}).status_code == 404


def test_graph_store_conditional_writes(cur):
    assert gsp(cur, "PUT", PEOPLE, **{"If-None-Match": "*"}).status_code == 201
    assert gsp(cur, "PUT", PEOPLE, **{"If-None-Match": "*"}).status_code == 412  # exists now
    etag = cur.client.get(
        "/graph-store", query_string={"graph": GRAPH}, headers={"Accept": "application/n-triples"}
    ).headers["ETag"]
    changed = PEOPLE.replace('"Dave"', '"David"')
    assert gsp(cur, "PUT", changed, **{"If-Match": '"stale"'}).status_code == 412
    assert has(cur, f'GRAPH <{GRAPH}> {{ ?s <https://schema.org/name> "Dave" }}')
    assert gsp(cur, "PUT", changed, **{"If-Match": etag}).status_code == 204  # any format's ETag
    assert gsp(cur, "PUT", PEOPLE, **{"If-Match": etag}).status_code == 412  # it changed since
    assert gsp(cur, "DELETE", graph="http://example.org/none", **{"If-Match": "*"}).status_code == 412


def test_graph_store_rejected_write_is_422_and_the_dump_is_unchanged(cur):
    before = cur.store.dump(format="nquads")
    response = gsp(cur, "PUT", f"<{TEST_BASE}id/erin> a <https://schema.org/Person> .")
    assert response.status_code == 422 and "a person needs a name" in response.get_data(as_text=True)
    assert cur.store.dump(format="nquads") == before


def test_graph_store_default_graph_and_new_graphs(cur):
    assert gsp(cur, "PUT", PEOPLE, graph=None).status_code in (201, 204)
    got = cur.client.get("/graph-store?default", headers={"Accept": "application/n-triples"})
    assert got.status_code == 200 and '"Dave"' in got.get_data(as_text=True)
    created = cur.client.post(
        "/graph-store",
        data=f'<{TEST_BASE}id/dave> <https://schema.org/jobTitle> "Analyst" .',
        headers={**cur.auth(), "Content-Type": "text/turtle"},
    )
    assert created.status_code == 201 and created.headers["Location"].startswith(TEST_BASE + "graph-store/")
    assert cur.client.get("/graph-store", query_string={"graph": created.headers["Location"]}).status_code == 200


def test_graph_store_direct_identification(cur):
    response = cur.client.put(
        "/graph-store/people/1.ttl", data=PEOPLE, headers={**cur.auth(), "Content-Type": "text/turtle"}
    )
    assert response.status_code == 201
    assert has(cur, f"GRAPH <{TEST_BASE}graph-store/people/1.ttl> {{ ?s ?p ?o }}")
    assert cur.client.get("/graph-store/people/1.ttl").status_code == 200


def test_graph_store_bad_requests(cur):
    assert gsp(cur, "PUT", "this is not turtle").status_code == 400
    assert gsp(cur, "PUT", PEOPLE, **{"Content-Type": "application/pdf"}).status_code == 415
    assert cur.client.get("/graph-store?graph=relative/iri").status_code == 400
    assert cur.client.get("/graph-store?graph=http://a.example/&default").status_code == 400
    assert (
        cur.client.get("/graph-store", query_string={"graph": GRAPH}, headers={"Accept": "image/png"}).status_code
        == 406
    )


# -- history and recent changes -----------------------------------------------------------------------


def test_history_and_recent_changes(cur):
    changeset = cur.update(NEW_FACT, **{"ZKG-Message": "the job title"}).headers["ZKG-Changeset"]
    iri = f"{TEST_BASE}id/alice"
    page = cur.client.get("/history", query_string={"iri": iri})
    assert (
        page.status_code == 200 and changeset in page.get_data(as_text=True) and SOURCE in page.get_data(as_text=True)
    )
    rdf = cur.client.get("/history", query_string={"iri": iri}, headers={"Accept": "text/turtle"})
    triples = list(ox.parse(rdf.get_data(), format=ox.RdfFormat.TURTLE))
    assert any(t.subject == ox.NamedNode(f"{TEST_BASE}graph/changes/{changeset}") for t in triples)
    feed = cur.client.get("/changes?format=atom")
    assert feed.mimetype == "application/atom+xml" and changeset in feed.get_data(as_text=True)
    json_feed = json.loads(cur.client.get("/changes", headers={"Accept": "application/feed+json"}).get_data())
    assert json_feed["items"][0]["id"].endswith(changeset)
    assert changeset in cur.client.get("/changes").get_data(as_text=True)
    patch = cur.client.get(f"/changes/{changeset}?format=rdfp").get_data(as_text=True)
    assert "TX ." in patch and '"Director"@en' in patch
    assert cur.client.get("/changes/20990101T000000000000Z-00000000").status_code == 404


# -- warnings in the answer (issue 16: a dry run has no changeset page) -----------------------------


def test_a_dry_run_says_its_warnings_in_the_answer(tmp_path):
    from tests.support.curation_testing import make_curation
    from tests.support.zkg_testing import GRAPH_DIR

    cur = make_curation(tmp_path, project=GRAPH_DIR.parent)
    headers = {
        "Authorization": "Bearer " + cur.write_token,
        "ZKG-Source": "https://example.org/dry-run",
        "Content-Type": "application/sparql-update",
    }
    update = (
        "INSERT DATA { id:dry-run-co a schema:Organization, org:FormalOrganization ; "
        'rdfs:label "Dry Run Co"@en ; schema:name "Dry Run Co"@en ; zkg:organizationKind kind:company }'
    )
    dry = cur.client.post("/sparql", data=update, headers={**headers, "ZKG-Dry-Run": "1"})
    text = dry.get_data(as_text=True)
    assert dry.status_code == 200 and text.startswith("dry run: nothing written")
    assert "SHACL warning(s), not blocking:" in text and "warning: id:dry-run-co schema:description" in text
    assert "changeset's page" not in text and "ZKG-Changeset" not in dry.headers and "Link" not in dry.headers
    assert not cur.store.query("ASK { id:dry-run-co ?p ?o }")
    done = cur.client.post("/sparql", data=update, headers=headers)  # committed: the same warnings, said
    assert done.status_code == 200 and "warning: id:dry-run-co schema:description" in done.get_data(as_text=True)
