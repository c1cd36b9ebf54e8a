"""The service description (GET /sparql), VoID (/.well-known/void) and the limits page."""

from __future__ import annotations

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from zkg.web import create_app

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
VOID_URL = "http://localhost/.well-known/void"


def rdf(response, fmt="turtle") -> Graph:
    assert response.status_code == 200, response.data
    return Graph().parse(data=response.data, format=fmt)


def test_service_description(client, web_store):
    graph = rdf(client.get("/sparql", headers={"Accept": "text/turtle"}))
    service = next(graph.subjects(RDF.type, SD.Service))
    assert (service, SD.endpoint, URIRef("http://localhost/sparql")) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert (service, SD.feature, SD.BasicFederatedQuery) not in graph  # SERVICE is refused
    formats = set(graph.objects(service, SD.resultFormat))
    assert {FORMATS.SPARQL_Results_JSON, FORMATS.SPARQL_Results_CSV, FORMATS.Turtle, FORMATS["JSON-LD"]} <= formats
    dataset = graph.value(service, SD.defaultDataset)
    assert str(dataset) == VOID_URL + "#dataset"
    names = {str(graph.value(ng, SD.name)) for ng in graph.objects(dataset, SD.namedGraph)}
    assert names == {g.value for g in web_store.named_graphs()}


def test_service_description_formats(client):
    assert client.get("/sparql").mimetype == "text/turtle"  # no Accept: the graph default
    rdf(client.get("/sparql", headers={"Accept": "application/rdf+xml"}), "xml")
    rdf(client.get("/sparql", headers={"Accept": "application/ld+json"}), "json-ld")
    rdf(client.get("/sparql", query_string={"format": "nt"}), "nt")
    assert client.get("/sparql", headers={"Accept": "application/sparql-results+json"}).status_code == 406


def test_void(client, web_store):
    graph = rdf(client.get("/.well-known/void"))
    dataset = URIRef(VOID_URL + "#dataset")
    assert (dataset, RDF.type, VOID.Dataset) in graph
    assert (dataset, VOID.sparqlEndpoint, URIRef("http://localhost/sparql")) in graph
    assert (dataset, VOID.uriSpace, Literal("http://zkg.test/id/")) in graph
    assert graph.value(dataset, VOID.triples).toPython() == web_store.count()
    for term in (VOID.entities, VOID.classes, VOID.properties):
        assert graph.value(dataset, term).toPython() > 0
    entities = {
        row["s"].value
        for row in web_store.query("SELECT DISTINCT ?s { ?s ?p ?o FILTER(STRSTARTS(STR(?s), 'http://zkg.test/id/')) }")
    }
    assert graph.value(dataset, VOID.entities).toPython() == len(entities)
    subsets = {
        str(graph.value(s, SD.name)): graph.value(s, VOID.triples).toPython()
        for s in graph.objects(dataset, VOID.subset)
    }
    assert subsets == {g.value: web_store.count(g) for g in web_store.named_graphs()}
    assert (dataset, VOID.vocabulary, URIRef("https://schema.org/")) in graph


def test_void_lists_the_dumps(web_settings, web_store):
    app = create_app(
        {
            "ZKG_SETTINGS": web_settings,
            "ZKG_STORE": web_store,
            "ZKG_DATA_DUMPS": ["/dumps/zkg.trig.gz", "https://mirror.example/zkg.nq.gz"],
        }
    )
    graph = rdf(app.test_client().get("/.well-known/void"))
    dumps = {str(o) for o in graph.objects(URIRef(VOID_URL + "#dataset"), VOID.dataDump)}
    assert dumps == {"http://localhost/dumps/zkg.trig.gz", "https://mirror.example/zkg.nq.gz"}


def test_void_finds_dump_routes_by_itself(web_settings, web_store):
    app = create_app({"ZKG_SETTINGS": web_settings, "ZKG_STORE": web_store})
    app.add_url_rule("/test-dumps/zkg.nq.gz", "test_dump_nq", lambda: "")
    graph = rdf(app.test_client().get("/.well-known/void"))
    assert "http://localhost/test-dumps/zkg.nq.gz" in {str(o) for o in graph.objects(None, VOID.dataDump)}


@pytest.mark.parametrize("accept,fmt", [("application/rdf+xml", "xml"), ("application/n-triples", "nt")])
def test_void_formats(client, accept, fmt):
    rdf(client.get("/.well-known/void", headers={"Accept": accept}), fmt)


def test_void_not_acceptable(client):
    response = client.get("/.well-known/void", headers={"Accept": "image/png"})
    assert response.status_code == 406 and "text/turtle" in response.get_data(as_text=True)


def test_limits_page(client, web_settings):
    response = client.get("/sparql/limits")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    for anchor in ("row-limit", "time-limit", "request-size", "outbound"):
        assert f'id="{anchor}"' in text
    assert str(web_settings.row_limit) in text


class _CountsTimeOut:
    """The real store, except that its aggregate queries run past the time limit (as they
    may on a big store)."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def query(self, text, **options):
        from zkg.store.http_exchange import QueryTimeout

        if "COUNT" in text:
            raise QueryTimeout(1)
        return self._store.query(text, **options)


def test_descriptions_leave_out_what_times_out(web_settings, web_store):
    app = create_app({"ZKG_SETTINGS": web_settings, "ZKG_STORE": _CountsTimeOut(web_store)})
    client = app.test_client()
    void = rdf(client.get("/.well-known/void"))
    assert not list(void.objects(None, VOID.triples))
    assert len(list(void.objects(None, SD.name))) == len(web_store.named_graphs())
    description = rdf(client.get("/sparql"))
    assert len(list(description.objects(None, SD.name))) == len(web_store.named_graphs())
