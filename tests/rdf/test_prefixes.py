import pyoxigraph as ox

from zkg.rdf.prefixes import compact, graph_iri, prefixes, sparql_prologue

BASE = "http://zkg.test/"


def test_standard_and_own_prefixes():
    p = prefixes(BASE)
    assert p["schema"] == "https://schema.org/"
    assert p["org"] == "http://www.w3.org/ns/org#"
    assert p["dcterms"] == "http://purl.org/dc/terms/"
    assert p["qb"] == "http://purl.org/linked-data/cube#"
    assert p["sdmx-dimension"] == "http://purl.org/linked-data/sdmx/2009/dimension#"
    assert p["sdmx-measure"] == "http://purl.org/linked-data/sdmx/2009/measure#"
    assert p["sdmx-attribute"] == "http://purl.org/linked-data/sdmx/2009/attribute#"
    assert p["sd"] == "http://www.w3.org/ns/sparql-service-description#"
    for name in ("rdf", "rdfs", "xsd", "owl", "prov", "skos", "void", "sh", "dcat", "foaf"):
        assert name in p
    assert (p["zkg"], p["id"], p["graph"]) == (BASE + "def/", BASE + "id/", BASE + "graph/")
    assert graph_iri(BASE, "vocabulary") == BASE + "graph/vocabulary"


def test_each_call_returns_a_new_dict():
    prefixes(BASE)["id"] = "mutated"
    assert prefixes(BASE)["id"] == BASE + "id/"


def test_prologue_parses_in_pyoxigraph():
    query = sparql_prologue(prefixes(BASE)) + "\nSELECT * { GRAPH graph:g { id:a sdmx-dimension:refArea ?x } }"
    assert list(ox.Store().query(query)) == []


def test_compact():
    p = prefixes(BASE)
    assert compact(BASE + "id/luo-wei", p) == "id:luo-wei"
    assert compact("https://schema.org/name", p) == "schema:name"
    assert compact("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", p) == "rdf:type"
    assert compact(BASE + "graph/metadata", p) == "graph:metadata"
    # Not expressible as a plain prefixed name: kept as an IRI.
    assert compact(BASE + "id/a/b", p) == f"<{BASE}id/a/b>"
    assert compact(BASE + "id/x.", p) == f"<{BASE}id/x.>"
    assert compact("http://elsewhere.org/x", p) == "<http://elsewhere.org/x>"
    # The base itself (longest match wins; no prefix for it).
    assert compact(BASE, p) == f"<{BASE}>"
