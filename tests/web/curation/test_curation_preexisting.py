"""Writes over HTTP on a graph that already breaks a shape (an organisation loaded without its
name): the answer says what the change causes and, apart, what was already there; a 422
is a sh:ValidationReport of what the change causes, the same in every RDF format."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from tests.support.broken_data import NAMELESS, project_with_a_nameless_organisation
from tests.support.curation_testing import make_curation
from tests.support.zkg_testing import TEST_BASE

SH = "http://www.w3.org/ns/shacl#"
ORG = f"<{TEST_BASE}id/z-park-software-park>"
BAD_DATE = f'INSERT DATA {{ {ORG} <https://schema.org/foundingDate> "x" }}'
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return project_with_a_nameless_organisation(tmp_path_factory.mktemp("broken"))


@pytest.fixture
def cur(tmp_path, project):
    return make_curation(tmp_path, project=project)


def test_an_accepted_write_says_what_was_already_there(cur):
    response = cur.update(f'INSERT DATA {{ {ORG} <https://schema.org/alternateName> "Software Park"@en }}')
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and text.startswith("committed changeset"), text
    assert (
        "already in the graph before this change, not caused by it, not blocking: 1 violation(s), 1 warning(s)" in text
    )
    assert f"  violation: {NAMELESS} schema:name: An organisation needs its name" in text
    assert f"  warning: {NAMELESS} schema:description:" in text
    assert "this change causes" not in text


def test_a_new_warning_and_one_already_there_are_said_apart(cur):
    update = (
        f"INSERT DATA {{ {ORG} <http://www.w3.org/ns/org#hasSubOrganization> id:software-park-unit . "
        'id:software-park-unit a schema:Organization ; rdfs:label "Unit"@en ; schema:name "Unit"@en }'
    )
    text = cur.update(update, **{"ZKG-Dry-Run": "1"}).get_data(as_text=True)
    caused = text.index("this change causes 2 SHACL warning(s), not blocking:")
    apart = text.index("already in the graph before this change")
    assert caused < apart
    assert "warning: id:software-park-unit schema:description" in text[caused:apart]
    assert f"warning: {NAMELESS} schema:description" in text[apart:]


def test_a_rejected_write_shows_what_it_causes_and_apart_what_was_there(cur):
    before = cur.store.dump(format="nquads")
    response = cur.update(BAD_DATE)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "nothing was written" in text
    blocking = text.index("what this change causes (blocking: 1 violation(s), 0 warning(s), 0 info(s)):")
    apart = text.index("already in the graph before this change (not blocking: 1 violation(s), 1 warning(s)")
    assert blocking < apart and "schema:foundingDate" in text[blocking:apart] and "foundingDate" not in text[apart:]
    html = cur.update(BAD_DATE, Accept="text/html").get_data(as_text=True)
    assert "what this change causes (blocking" in html and "already in the graph before this change" in html
    assert cur.store.dump(format="nquads") == before


def test_the_422_report_is_the_same_in_every_rdf_format_and_holds_what_the_change_causes(cur):
    graphs = {}
    for media_type, rdflib_format in RDF_FORMATS.items():
        response = cur.update(BAD_DATE, Accept=media_type)
        assert response.status_code == 422 and response.mimetype == media_type
        assert "Accept" in response.headers["Vary"]
        graphs[media_type] = Graph().parse(data=response.get_data(), format=rdflib_format)
    turtle = graphs["text/turtle"]
    for media_type, graph in graphs.items():
        assert isomorphic(graph, turtle), media_type
    [report] = turtle.subjects(URIRef(SH + "conforms"), None)
    assert turtle.value(report, URIRef(SH + "conforms")) == Literal(False)
    [result] = turtle.objects(report, URIRef(SH + "result"))
    assert turtle.value(result, URIRef(SH + "focusNode")) == URIRef(f"{TEST_BASE}id/z-park-software-park")
    assert turtle.value(result, URIRef(SH + "resultPath")) == URIRef("https://schema.org/foundingDate")
    assert turtle.value(result, URIRef(SH + "resultSeverity")) == URIRef(SH + "Violation")
    # The JSON-LD is JSON whose every node object is a dictionary with an @id (expanded form).
    document = json.loads(cur.update(BAD_DATE, Accept="application/ld+json").get_data())
    assert isinstance(document, list) and all(isinstance(node, dict) and "@id" in node for node in document)
