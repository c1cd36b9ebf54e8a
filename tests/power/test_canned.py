"""Canned queries: typed parameters bound safely, stable URLs with every format and the HTML
table, the list, the OpenAPI document and the service description."""

from __future__ import annotations

import csv
import io
import json
import math
import time

import pyoxigraph as ox
import pytest
from markupsafe import escape

from tests.support.zkg_testing import TEST_BASE
from zkg.power.canned import QUERIES_DIR, CannedQueryError, ParameterError, load_queries, parse_query_text
from zkg.rdf import negotiation

QUERIES = load_queries()
BY_SLUG = {q.slug: q for q in QUERIES}
COMPETENCY = [q for q in QUERIES if q.slug[:2].isdigit()]
PREFIXES = {"id": TEST_BASE + "id/", "schema": "https://schema.org/"}


# -- the files ----------------------------------------------------------------------------------


def test_every_file_is_a_canned_query():
    files = sorted(p.stem for p in QUERIES_DIR.glob("*.rq"))
    assert [q.slug for q in QUERIES] == files  # none left out as malformed
    assert len(COMPETENCY) >= 28
    assert all(not q.required for q in COMPETENCY), "competency questions run as they are"
    assert {"entity-names", "entities-of-type", "organisation-members", "statistics-for-year"} <= set(BY_SLUG)
    for query in QUERIES:
        assert query.title != query.slug and query.question.endswith("?"), query.slug


def test_the_wheel_ships_the_queries():
    import tomllib
    from pathlib import Path

    import zkg

    package = Path(zkg.__file__).resolve().parent
    project = tomllib.loads((package.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["zkg"]
    assert package in Path(QUERIES_DIR).resolve().parents  # inside the package, so in the wheel


def test_header_parsing():
    query = parse_query_text(
        "x",
        "# title: X\n# question: Why?\n"
        "# param: who   iri  required   the person\n"
        '# param: since date optional default="2015-01-01" from when\n'
        "# param: n integer\nSELECT * WHERE { ?who ?p ?n FILTER(?d > ?since) }",
    )
    assert [(p.name, p.type, p.required, p.default, p.description) for p in query.params] == [
        ("who", "iri", True, None, "the person"),
        ("since", "date", False, "2015-01-01", "from when"),
        ("n", "integer", False, None, ""),
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("# param: x colour\nSELECT * { ?x ?p ?o }", "unknown type 'colour'"),
        ("# param: x iri\n# param: x iri\nSELECT * { ?x ?p ?o }", "declared twice"),
        ("# param: y iri\nSELECT * { ?x ?p ?o }", "not a variable"),
        ("# param: format string\nSELECT * { ?format ?p ?o }", "reserved"),
        ("# param: n integer default=ten\nSELECT * { ?n ?p ?o }", "default"),
        ("# title: t\nINSERT DATA { <a> <b> <c> }", "not a SPARQL query"),
    ],
)
def test_malformed_files_are_refused(text, message):
    with pytest.raises(CannedQueryError, match=message):
        parse_query_text("x", text)


# -- binding -------------------------------------------------------------------------------------


def bind_one(kind: str, value: str) -> str:
    query = parse_query_text("x", f"# param: v {kind} required\nSELECT ?v WHERE {{ ?s ?p ?v }}")
    return query.bind({"v": value}, PREFIXES)


@pytest.mark.parametrize(
    "kind, value, term",
    [
        ("iri", "id:z-park", f"<{TEST_BASE}id/z-park>"),
        ("iri", "https://schema.org/Person", "<https://schema.org/Person>"),
        ("iri", "<urn:isbn:123>", "<urn:isbn:123>"),
        ("string", 'say "hi"', '"say \\"hi\\""'),
        ("string", "中关村", '"中关村"'),
        ("integer", "+0042", '"42"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        ("decimal", "40.70", '"40.70"^^<http://www.w3.org/2001/XMLSchema#decimal>'),
        ("decimal", "3", '"3.0"^^<http://www.w3.org/2001/XMLSchema#decimal>'),
        ("date", "2016-02-29", '"2016-02-29"^^<http://www.w3.org/2001/XMLSchema#date>'),
        ("year", "2015", '"2015"^^<http://www.w3.org/2001/XMLSchema#gYear>'),
        ("language", "zh-Hans", '"zh-Hans"'),
        ("boolean", "1", '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'),
    ],
)
def test_values_become_typed_terms(kind, value, term):
    assert f"VALUES (?v) {{ ({term}) }}" in bind_one(kind, value)


@pytest.mark.parametrize(
    "kind, value",
    [
        ("iri", "z park"),
        ("iri", "nope:thing"),
        ("iri", "http://x/a b"),
        ("iri", "http://x/>{ ?s ?p ?o }<"),
        ("iri", "javascript:alert(1)"),
        ("iri", "plain"),
        ("integer", "4.2"),
        ("integer", "12abc"),
        ("integer", ""),
        ("decimal", "1e5"),
        ("decimal", "NaN"),
        ("date", "2015-02-29"),
        ("date", "05/03/2016"),
        ("year", "15"),
        ("year", "2015-01"),
        ("language", "en_GB"),
        ("language", "*"),
        ("boolean", "yes"),
        ("string", "x" * 1001),
    ],
)
def test_bad_values_are_refused(kind, value):
    with pytest.raises(ParameterError, match="parameter 'v' must be"):
        bind_one(kind, value) if value != "" else parse_query_text(
            "x", f"# param: v {kind} required\nSELECT ?v WHERE {{ ?s ?p ?v }}"
        ).terms({"v": "  "}, PREFIXES)


def test_injection_stays_a_literal(real_store):
    """Text that would close the VALUES block, end the query or add an update is a string."""
    query = BY_SLUG["entities-of-type"]
    hostile = 'x") } } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o } #'
    with pytest.raises(ParameterError):
        query.bind({"type": hostile}, real_store.prefixes)  # not an IRI
    probe = parse_query_text(
        "probe", "# param: name string required\nSELECT ?e WHERE { ?e schema:name ?n FILTER(STR(?n) = ?name) }"
    )
    text = probe.bind({"name": hostile}, real_store.prefixes)
    assert list(real_store.query(text)) == []  # parsed, ran, matched nothing
    named = probe.bind({"name": "Luo Wei"}, real_store.prefixes)
    assert [r["e"].value for r in real_store.query(named)] == [TEST_BASE + "id/luo-wei"]
    before = real_store.count()
    real_store.query(text)
    assert real_store.count() == before


def test_unknown_missing_and_defaults():
    query = BY_SLUG["statistics-for-year"]
    with pytest.raises(ParameterError, match="parameter 'year' is required"):
        query.terms({}, PREFIXES)
    with pytest.raises(ParameterError, match="unknown parameter 'yaer'"):
        query.terms({"yaer": "2015"}, PREFIXES)
    terms = query.terms({"year": "2015"}, {**PREFIXES})
    assert terms["subject"] == ox.NamedNode(TEST_BASE + "id/z-park")  # default, with a predeclared prefix
    assert terms["lang"] == ox.Literal("en")


def test_values_go_at_the_start_of_the_where_clause():
    sub = parse_query_text("s", "# param: x iri\nSELECT * WHERE { SELECT ?x WHERE { ?x ?p ?o } }")
    bound = sub.bind({"x": "http://a/"})
    assert "SELECT * WHERE { VALUES (?x) { (<http://a/>) } { SELECT ?x WHERE { ?x ?p ?o } } }" in bound
    ox.Store().query(bound)  # a sub-SELECT cannot follow VALUES directly: it is wrapped in { }
    construct = parse_query_text("c", "# param: x iri\nCONSTRUCT { ?x a ?t } WHERE { ?x a ?t }")
    assert "WHERE { VALUES (?x) { (<http://a/>) } ?x a ?t }" in construct.bind({"x": "http://a/"})
    ask = parse_query_text("a", "# param: x iri\nASK { ?x ?p 'WHERE {' }")
    assert ask.bind({"x": "http://a/"}).endswith("ASK { VALUES (?x) { (<http://a/>) } ?x ?p 'WHERE {' }\n")
    aggregate = parse_query_text("g", "# param: x iri\nSELECT (COUNT(*) AS ?n) { ?x ?p ?o }")
    assert "{ VALUES (?x) { (<http://a/>) } ?x ?p ?o }" in aggregate.bind({"x": "http://a/"})


# -- the parameterised queries on the real data ---------------------------------------------------


def rows(store, slug: str, values: dict) -> list[dict]:
    text = BY_SLUG[slug].bind(values, store.prefixes)
    result = store.query(text)
    names = [v.value for v in result.variables]
    return [{n: (r[n].value if r[n] is not None else None) for n in names} for r in result]


def test_entity_names(real_store):
    found = rows(real_store, "entity-names", {"entity": "id:z-park"})
    assert {(r["name"], r["language"]) for r in found} >= {
        ("Zhongguancun Science Park", "en"),
        ("Z-Park", "en"),
        ("中关村科技园区", "zh-hans"),
    }
    zh = next(r for r in found if r["language"] == "zh-hans")
    assert zh["graph"] == TEST_BASE + "graph/reference"


def test_entities_of_type(real_store):
    people = rows(real_store, "entities-of-type", {"type": "schema:Person", "lang": "zh"})
    named = {r["entity"].rsplit("/", 1)[1]: r["name"] for r in people}
    assert named["zhang-shousheng"] == "张首晟" and named["yin-weidong"] == "尹卫东"
    assert named["luo-wei"] is None  # no Chinese name in the graph: none shown, none guessed
    english = rows(real_store, "entities-of-type", {"type": "schema:Person"})
    assert {r["name"] for r in english} >= {"Luo Wei", "Zhang Shousheng"}


def test_organisation_members(real_store):
    found = rows(real_store, "organisation-members", {"organization": "id:sinovac-biotech"})
    assert [(r["personName"], r["title"]) for r in found] == [("Yin Weidong", "CEO of Nasdaq-listed Sinovac Biotech")]


def test_statistics_for_year(real_store):
    found = rows(real_store, "statistics-for-year", {"year": "2015"})
    mna = [r for r in found if r["indicator"].endswith("/mna-completed")]
    assert [(r["value"], r["unitCode"]) for r in mna] == [("492", "C62")]
    partners = {r["partner"].rsplit("/", 1)[1]: r["value"] for r in found if r["partner"]}
    assert partners == {"united-kingdom": "12", "united-states": "10", "hong-kong": "8"}
    assert rows(real_store, "statistics-for-year", {"year": "1999"}) == []


# -- over HTTP ------------------------------------------------------------------------------------


def test_the_list(client):
    html = client.get("/queries", headers={"Accept": "text/html"})
    assert html.status_code == 200 and html.mimetype == "text/html"
    page = html.get_data(as_text=True)
    assert all(f'href="/queries/{q.slug}"' in page for q in QUERIES)
    listing = client.get("/queries?format=json").get_json()
    assert [q["slug"] for q in listing["queries"]] == [q.slug for q in QUERIES]
    entry = next(q for q in listing["queries"] if q["slug"] == "statistics-for-year")
    assert entry["url"] == "http://localhost/queries/statistics-for-year"
    assert entry["params"][0] == {
        "name": "year",
        "type": "year",
        "required": True,
        "default": None,
        "description": "the reference year: 2014, 2015",
    }


@pytest.mark.parametrize("query", COMPETENCY, ids=lambda q: q.slug)
def test_every_competency_question_in_every_format(client, real_store, query):
    offers = negotiation.FORMATS_BY_FORM[query.form]
    expected = real_store.query(query.text)
    for fmt in offers:
        by_parameter = client.get(f"/queries/{query.slug}?format={fmt.name}")
        assert by_parameter.status_code == 200, by_parameter.get_data(as_text=True)
        assert by_parameter.headers["Content-Type"] == fmt.content_type
        assert by_parameter.headers["Access-Control-Allow-Origin"] == "*"
        by_accept = client.get(f"/queries/{query.slug}", headers={"Accept": fmt.media_type})
        assert by_accept.status_code == 200 and by_accept.data == by_parameter.data
    if query.form == "SELECT":
        names = [v.value for v in expected.variables]
        want = sorted(tuple(r[n].value if r[n] is not None else "" for n in names) for r in expected)
        got = client.get(f"/queries/{query.slug}?format=csv").get_data(as_text=True)
        table = list(csv.reader(io.StringIO(got)))
        assert table[0] == names and sorted(tuple(row) for row in table[1:]) == want
    elif query.form == "ASK":
        assert client.get(f"/queries/{query.slug}?format=json").get_json()["boolean"] == bool(expected)
    html = client.get(f"/queries/{query.slug}", headers={"Accept": "text/html"})
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert str(escape(query.title)) in html.get_data(as_text=True)


def test_a_parameterised_query_over_http(client):
    response = client.get(
        "/queries/organisation-members",
        query_string={"organization": "id:sinovac-biotech"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200
    bindings = response.get_json()["results"]["bindings"]
    assert [b["personName"]["value"] for b in bindings] == ["Yin Weidong"]
    full_iri = client.get(
        "/queries/organisation-members",
        query_string={"organization": TEST_BASE + "id/sinovac-biotech", "format": "tsv"},
    ).get_data(as_text=True)
    assert "Yin Weidong" in full_iri


def test_the_html_table_and_form(client):
    page = client.get("/queries/entities-of-type?type=schema:Person&lang=zh", headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<input id="param-type" name="type" value="schema:Person" required>' in html
    assert "张首晟" in html and 'href="/page/id/zhang-shousheng"' in html
    assert 'href="/queries/entities-of-type?type=schema%3APerson&amp;lang=zh&amp;format=csv"' in html
    # A browser's first visit: the form, no error.
    first_visit = client.get("/queries/entities-of-type", headers={"Accept": "text/html"})
    assert first_visit.status_code == 200 and "Cannot run" not in first_visit.get_data(as_text=True)
    # A bad value: the form again, with the message, and 400.
    bad = client.get("/queries/statistics-for-year?year=15", headers={"Accept": "text/html"})
    assert bad.status_code == 400 and "must be a year (2015)" in bad.get_data(as_text=True)


@pytest.mark.parametrize(
    "url, status, message",
    [
        ("/queries/statistics-for-year", 400, "parameter 'year' is required"),
        (
            "/queries/statistics-for-year?year=twenty",
            400,
            "parameter 'year' must be a year (2015); 'twenty' is not a four-digit year",
        ),
        ("/queries/statistics-for-year?year=2015&year=2014", 400, "given 2 times"),
        ("/queries/statistics-for-year?year=2015&colour=red", 400, "unknown parameter 'colour'"),
        ("/queries/entity-names?entity=foo:bar", 400, "neither a predeclared prefix nor a URL scheme"),
        ("/queries/01-roles?format=ttl", 406, "text/csv (format=csv)"),
        ("/queries/no-such-query", 404, ""),
    ],
)
def test_errors(client, url, status, message):
    response = client.get(url)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def test_lang_is_a_parameter_only_where_declared(client):
    # 01-roles declares no lang: lang= picks the language of labels and is not an unknown parameter.
    assert client.get("/queries/01-roles?format=csv&lang=zh").status_code == 200
    zh = client.get("/queries/statistics-for-year?year=2015&lang=zh&format=json").get_json()
    assert all("indicatorName" not in b for b in zh["results"]["bindings"])  # no Chinese indicator names


def test_conditional_requests_and_cors(client, power_app):
    from zkg.store.version import dataset_version

    settled = math.ceil(dataset_version(power_app.config["ZKG_STORE"]).changed)
    while time.time() < settled:  # a Last-Modified is given once the last change's second has passed
        time.sleep(0.01)
    first = client.get("/queries/01-roles?format=json")
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    again = client.get("/queries/01-roles?format=json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    other = client.get("/queries/01-roles?format=csv", headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200
    preflight = client.options("/queries/01-roles")
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"


def test_the_row_cap_is_signalled(real_store, tmp_path):
    from zkg.base.settings import Settings
    from zkg.web import create_app

    settings = Settings.from_env(environ={}, base_iri=TEST_BASE, data=tmp_path, row_limit=2)
    capped = create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": real_store, "TESTING": True}).test_client()
    response = capped.get("/queries/01-roles?format=json")
    assert response.headers["ZKG-Results-Truncated"] == "limit=2"
    assert len(response.get_json()["results"]["bindings"]) == 2 and response.get_json()["truncated"]["limit"] == 2


def test_openapi_document(client):
    from openapi_spec_validator import validate

    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    validate(document)  # raises if not a valid OpenAPI 3.1 document
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "http://localhost"}]
    for query in QUERIES:
        operation = document["paths"][f"/queries/{query.slug}"]["get"]
        assert operation["summary"] == query.title
        declared = {p["name"]: p for p in operation["parameters"]}
        assert set(declared) >= {p.name for p in query.params} | {"format"}
        for param in query.params:
            assert declared[param.name]["required"] == param.required
    year = next(
        p for p in document["paths"]["/queries/statistics-for-year"]["get"]["parameters"] if p["name"] == "year"
    )
    assert year["schema"] == {"type": "string", "pattern": "^[0-9]{4}$"}
    assert {"/reconcile", "/reconcile/suggest/entity", "/reconcile/preview", "/sparql/complete"} <= set(
        document["paths"]
    )


def test_listed_in_the_service_description(client):
    description = client.get("/sparql", headers={"Accept": "application/n-triples"}).get_data(as_text=True)
    triples = list(ox.parse(description.encode(), format=ox.RdfFormat.N_TRIPLES))
    services = {
        t.subject.value
        for t in triples
        if t.predicate.value.endswith("#type") and t.object.value == "http://www.w3.org/ns/dcat#DataService"
    }
    assert {f"http://localhost/queries/{q.slug}" for q in QUERIES} <= services
    described_by = {t.object.value for t in triples if t.predicate.value.endswith("endpointDescription")}
    assert described_by == {"http://localhost/openapi.json"}


def test_the_editor_examples_are_the_canned_queries_without_required_parameters():
    from zkg.web.sparql.editor import example_queries

    assert [e.slug for e in example_queries()] == [q.slug for q in QUERIES if not q.required]
    assert json.dumps([e.as_json() for e in example_queries()])
