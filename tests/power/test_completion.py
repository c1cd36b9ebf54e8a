"""Completion from the shapes: what a class's shapes allow, what fits a property, prefixes."""

from __future__ import annotations

import pytest

from tests.support.zkg_testing import TEST_BASE
from zkg.power.completion import SCHEMA, ShapeCatalogue, fitting_resources

ORG = "http://www.w3.org/ns/org#"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def shapes(real_store) -> ShapeCatalogue:
    return ShapeCatalogue.from_store(real_store)


def test_a_class_gets_its_shapes_properties(shapes):
    person = shapes.class_properties(SCHEMA + "Person")
    paths = [p.path for p in person]
    # PersonShape's properties (alternative paths unfolded) and EntityShape's label.
    assert {
        SCHEMA + "name",
        ORG + "headOf",
        ORG + "memberOf",
        SCHEMA + "affiliation",
        SCHEMA + "worksFor",
        SCHEMA + "birthPlace",
        SCHEMA + "workLocation",
        "http://www.w3.org/2000/01/rdf-schema#label",
    } <= set(paths)
    required = [p for p in person if p.min_count >= 1]
    assert person[: len(required)] == required  # required first
    name = next(p for p in person if p.path == SCHEMA + "name")
    assert [v.iri for v in name.value_types] == [
        XSD + "string",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString",
    ]
    works_for = next(p for p in person if p.path == SCHEMA + "worksFor")
    assert {v.iri for v in works_for.value_types} >= {
        SCHEMA + "Organization",
        SCHEMA + "Corporation",
        ORG + "FormalOrganization",
    }


def test_inverse_paths_and_superclasses(shapes):
    unit = shapes.class_properties(ORG + "OrganizationalUnit")
    assert any(p.path == ORG + "hasUnit" and p.inverse for p in unit)
    assert any(p.path == ORG + "unitOf" and not p.inverse for p in unit)
    # schema:Corporation is an organisation: it gets the organisation shapes through schema.org's hierarchy.
    assert SCHEMA + "Organization" in shapes.ancestors(SCHEMA + "Corporation")
    assert SCHEMA + "City" in shapes.descendants(SCHEMA + "Place")
    # zkg:Visit is an event by the vocabulary's own rdfs:subClassOf.
    assert SCHEMA + "Event" in shapes.ancestors(TEST_BASE + "def/Visit")


def test_what_fits_a_property(shapes, real_store):
    classes = [
        c
        for v in shapes.property_value_types(SCHEMA + "location")
        if v.kind == "class"
        for c in shapes.descendants(v.iri)
    ]
    assert SCHEMA + "Country" in classes
    found = fitting_resources(real_store, classes=classes, text="si")
    assert TEST_BASE + "id/silicon-valley" in found
    assert all("si" in iri.rsplit("/", 1)[1] for iri in found)
    chinese = fitting_resources(real_store, classes=classes, text="北")
    assert chinese == [TEST_BASE + "id/beijing"]


def test_complete_a_class(client):
    response = client.get("/sparql/complete", query_string={"class": "schema:Person"})
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    answer = response.get_json()
    assert answer["class"]["iri"] == SCHEMA + "Person"
    sources = [p["source"] for p in answer["properties"]]
    assert sources == sorted(sources, key=lambda s: s != "shape")  # the shapes' properties first
    by_curie = {p["curie"]: p for p in answer["properties"]}
    assert by_curie["schema:worksFor"]["shapeName"] == "person's organisations"
    assert "schema:Organization" in {v["curie"] for v in by_curie["schema:worksFor"]["valueTypes"]}
    assert by_curie["schema:name"]["minCount"] == 1
    assert any(p["source"] == "data" for p in answer["properties"])  # e.g. skos:altLabel, used, not in a shape
    assert client.get("/sparql/complete?class=" + SCHEMA + "Person").get_json() == answer


def test_complete_a_property(client):
    answer = client.get("/sparql/complete", query_string={"property": "schema:location", "q": "Si"}).get_json()
    assert {"schema:Place", "schema:Country"} <= {v["curie"] for v in answer["valueTypes"]}
    assert "id:silicon-valley" in [e["curie"] for e in answer["entities"]]
    labels = client.get(
        "/sparql/complete", query_string={"property": "schema:location", "q": "中"}, headers={"Accept-Language": "zh"}
    ).get_json()
    assert [(e["curie"], e["label"]) for e in labels["entities"]] == [("id:china", "中国")]
    classes = client.get("/sparql/complete", query_string={"property": "schema:location", "q": "cit"}).get_json()
    assert [c["curie"] for c in classes["classes"]] == ["schema:City"]
    # No shape says what org:member's values are? Then what the data uses.
    data = client.get("/sparql/complete", query_string={"property": "zkg:owns"}).get_json()
    assert "id:zhongguancun-development-group" in [e["curie"] for e in data["entities"]]


def test_complete_a_prefix(client):
    assert client.get("/sparql/complete?prefix=schema").get_json()["namespace"] == "https://schema.org/"
    partial = client.get("/sparql/complete?prefix=sd").get_json()
    assert partial["namespace"] is None or partial["namespace"].startswith("http")
    assert {m["prefix"] for m in partial["matches"]} >= {"sd", "sdmx-dimension", "sdmx-measure"}
    assert client.get("/sparql/complete?prefix=id").get_json()["namespace"] == TEST_BASE + "id/"


@pytest.mark.parametrize(
    "query", ["", "?class=x&property=y", "?class=nope:x", "?property=a%20b", "?prefix=x&limit=abc"]
)
def test_bad_requests(client, query):
    response = client.get("/sparql/complete" + query)
    assert response.status_code == 400 and response.mimetype == "text/plain"


def test_the_editor_is_told_where_completion_is(client):
    html = client.get("/sparql", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert '"completeUrl": "/sparql/complete"' in html
