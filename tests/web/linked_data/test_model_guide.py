"""The model guide (/def/, /model/…): the data model learnt from the site, built from the
vocabulary, the shapes and the data as loaded (issue 15). The numbers it shows are checked
against SPARQL over the same store, not against constants."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote, unquote

import pytest
from markupsafe import escape

from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE
from zkg.base.settings import Settings
from zkg.store.local import Store
from zkg.web.linked_data.model import DISAGREEMENTS_QUERY, PROVENANCE_QUERY, STATISTICS_QUERY


def make_app(store):
    from zkg.web import create_app

    settings = Settings.from_env(environ={}, base_iri=TEST_BASE, data="/nonexistent")
    return create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": store, "TESTING": True})


def loaded() -> Store:
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR)
    return store


@pytest.fixture(scope="module")
def store():
    return loaded()


@pytest.fixture(scope="module")
def client(store):
    return make_app(store).test_client()


def count(store, query: str) -> int:
    return int(next(iter(store.query(query)))["n"].value)


class Tables(HTMLParser):
    """Rows of every table, each cell's text; sections by id with their tables."""

    def __init__(self, html: str):
        super().__init__()
        self.sections: dict[str, list[list[str]]] = {}
        self._section: list[str] = []
        self._row: list[str] | None = None
        self._cell: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self._section.append(attrs.get("id") or "")
        if tag == "tr":
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._cell = ""
        if tag == "br" and self._cell is not None:
            self._cell += " "

    def handle_endtag(self, tag):
        if tag == "section" and self._section:
            self._section.pop()
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join(self._cell.split()))
            self._cell = None
        if tag == "tr" and self._row is not None:
            where = next((s for s in reversed(self._section) if s), "")
            self.sections.setdefault(where, []).append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def guide_html(client) -> str:
    response = client.get("/page/def/")
    assert response.status_code == 200 and response.content_type.startswith("text/html")
    return response.get_data(as_text=True)


def test_the_vocabulary_iri_is_the_guide(client):
    response = client.get("/def/", headers={"Accept": "text/html"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/page/def/")
    html = guide_html(client)
    assert "the model guide</h1>" in html
    assert "<script" not in html.replace('<script type="application/ld+json">', "")  # no script: tables and SVG
    for section in ("names", "diagram", "classes", "statistics", "provenance", "properties", "code-lists"):
        assert f'id="{section}"' in html


@pytest.mark.parametrize(
    "cls, required",
    [
        ("schema-Person", {"rdfs:label", "schema:name"}),
        ("zkg-Bid", {"rdfs:label", "schema:agent", "schema:location", "schema:object"}),
    ],
)
def test_a_class_section_has_its_required_properties_with_curies_and_examples(client, store, cls, required):
    tables = Tables(guide_html(client)).sections
    rows = [r for r in tables[cls] if len(r) == 6 and r[0] != "Property"]
    by_property = {r[0].split()[0]: r for r in rows if r[3] == "required"}
    assert required <= set(by_property), (required, set(by_property))
    for prop in required:
        row = by_property[prop]
        assert row[4] not in ("", "—"), row  # a real example value
        # How many entities have it: as the store counts them.
        iri = {"Person": "https://schema.org/Person", "Bid": TEST_BASE + "def/Bid"}[cls.split("-", 1)[1]]
        full = prop.replace("rdfs:", "http://www.w3.org/2000/01/rdf-schema#").replace("schema:", "https://schema.org/")
        expected = count(
            store,
            f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{iri}> ; <{full}> ?o FILTER(STRSTARTS(STR(?s), "{TEST_BASE}id/")) }}',
        )
        assert row[5] == f"{expected:,}", row


def test_every_class_with_entities_has_a_section_with_its_count(client, store):
    from zkg.rdf.prefixes import compact, prefixes

    html = guide_html(client)
    rows = store.query(
        f'SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?s), "{TEST_BASE}id/")) }} GROUP BY ?c'
    )
    expected = {row["c"].value: int(row["n"].value) for row in rows}
    assert len(expected) > 20
    sections = re.findall(r'<section class="card model-class-section" id="([^"]+)"', html)
    assert len(sections) == len(expected)
    for iri, n in expected.items():
        short = compact(iri, prefixes(TEST_BASE))
        section = html[html.index(f'id="{short.replace(":", "-")}"') :]
        section = section[: section.index("</section>")]
        assert f'<a href="/model/{short}/instances">{n:,} entit' in section, short


def test_the_diagram_is_svg_with_the_classes_and_properties(client):
    html = guide_html(client)
    svg = html[
        html.index('<svg class="model-diagram"') : html.index("</svg>", html.index('<svg class="model-diagram"'))
    ]
    assert "schema:Organization" in svg and "schema:Person" in svg and "org:headOf" in svg
    assert "<title" in svg and "<script" not in svg


def test_the_ready_queries_run_and_answer(client):
    for query in (STATISTICS_QUERY, PROVENANCE_QUERY):
        response = client.get("/sparql?query=" + quote(query), headers={"Accept": "application/sparql-results+json"})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["results"]["bindings"], query
    # (Its rows need the shipped sources: tests/web/linked_data/test_disagreements.py.)
    response = client.get(
        "/sparql?query=" + quote(DISAGREEMENTS_QUERY), headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    html = guide_html(client)
    assert html.count("Run it in the SPARQL editor") == 3


def test_code_lists_with_their_concepts(client, store):
    html = guide_html(client)
    tables = Tables(html).sections
    role = tables["code-role"]
    concepts = count(store, f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?c skos:inScheme <{TEST_BASE}code/role> }}")
    assert len([r for r in role if r[0] != "Concept"]) == concepts
    # A code list's own page lists them too.
    page = client.get("/page/code/role").get_data(as_text=True)
    assert f"{concepts} concepts" in page


def test_a_term_page_for_a_reused_class(client, store):
    response = client.get("/model/schema:Person")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    people = count(
        store,
        f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a schema:Person FILTER(STRSTARTS(STR(?s), "{TEST_BASE}id/")) }}',
    )
    assert f"A class: {people:,} entities" in html
    assert 'href="/model/schema:Person/instances"' in html
    assert 'href="https://schema.org/Person" rel="external"' in html  # on to its definition
    assert "schema:name" in html


def test_a_term_page_for_a_property_with_usage_and_shapes(client, store):
    html = client.get("/model/schema:foundingDate").get_data(as_text=True)
    statements = count(
        store,
        f'SELECT (COUNT(*) AS ?n) WHERE {{ ?s schema:foundingDate ?o FILTER(STRSTARTS(STR(?s), "{TEST_BASE}id/")) }}',
    )
    assert f"{statements:,} statement" in html
    assert "organisation founding date" in html  # the shape that mentions it


@pytest.mark.parametrize("name", ["schema:Festival", "org:Post", "schema:url"])
def test_a_term_only_the_shapes_name_is_explained_on_its_page(client, store, name):
    """The data need not use a term for its page to say what it means (ontology/reused.ttl)."""
    iri = store.prefixes[name.split(":")[0]] + name.split(":")[1]
    rows = list(store.query(f"SELECT ?c WHERE {{ GRAPH graph:vocabulary {{ <{iri}> rdfs:comment ?c }} }}"))
    assert rows, f"no explanation of {name} in graph:vocabulary"
    response = client.get(f"/model/{name}")
    assert response.status_code == 200
    assert str(escape(rows[0]["c"].value)) in response.get_data(as_text=True)


def test_own_terms_have_guide_pages_too(client):
    assert client.get("/model/zkg:Bid").status_code == 200
    page = client.get("/page/def/Bid").get_data(as_text=True)
    assert 'href="/model/zkg:Bid"' in page and "The properties of a" in page


@pytest.mark.parametrize(
    "path, status",
    [
        ("/model/nosuchprefix:Thing", 404),
        ("/model/schema:NoSuchClassAnywhere", 404),
        ("/model/schema", 404),
        ("/model/schema:Person?format=nope", 406),
        ("/model/schema:NoSuchClassAnywhere/instances", 404),
        ("/model/schema:Person/instances?page=0", 400),
        ("/model/schema:Person/instances?page=x", 400),
    ],
)
def test_bad_requests_get_a_clear_error(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert response.content_type.startswith("text/plain") and response.get_data(as_text=True).strip()


def test_a_term_page_has_rdf_twins(client):
    response = client.get("/model/schema:Person?format=ttl")
    assert response.status_code == 200 and response.content_type.startswith("text/turtle")


def test_instances_list_every_entity_of_a_class(client, store):
    expected = {
        row["s"].value
        for row in store.query(
            f'SELECT ?s WHERE {{ ?s a schema:Organization FILTER(STRSTARTS(STR(?s), "{TEST_BASE}id/")) }}'
        )
    }
    listing = client.get("/model/schema:Organization/instances?format=json").get_json()
    assert listing["instances"] == len(expected) and listing["pages"] == 1
    assert {item["iri"] for item in listing["items"]} == expected
    assert all(item["label"] and item["page"].startswith("/page/id/") for item in listing["items"])
    html = client.get("/model/schema:Organization/instances").get_data(as_text=True)
    assert all(f'href="/page/id/{iri.rsplit("/", 1)[-1]}"' in html for iri in expected)


def test_instances_are_paged(client, store, monkeypatch):
    from zkg.web.linked_data import model

    monkeypatch.setattr(model, "INSTANCES_PER_PAGE", 3)
    seen = []
    page = 1
    while True:
        listing = client.get(f"/model/qb:Observation/instances?format=json&page={page}&n={page}").get_json()
        seen += [item["iri"] for item in listing["items"]]
        if page >= listing["pages"]:
            break
        page += 1
    total = count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a qb:Observation }")
    assert len(seen) == len(set(seen)) == total and page == -(-total // 3)


def test_the_home_page_links_classes_to_their_instances_here(client):
    html = client.get("/").get_data(as_text=True)
    table = html[html.index('id="classes-title"') :]
    assert 'href="/model/schema:Person/instances"' in table
    assert "https://schema.org/" not in table  # not away to schema.org


def test_entity_pages_link_reused_properties_into_the_guide(client):
    html = client.get("/page/id/z-park").get_data(as_text=True)
    assert 'href="/model/schema:foundingDate"' in html
    assert '<code class="curie muted" title="https://schema.org/foundingDate">schema:foundingDate</code>' in html


def test_a_change_to_the_vocabulary_or_shapes_shows_at_once():
    store = loaded()
    client = make_app(store).test_client()
    assert "zkg:Prize" not in guide_html(client)
    store.update(f"""INSERT DATA {{
      GRAPH <{TEST_BASE}graph/vocabulary> {{ <{TEST_BASE}def/Prize> a <http://www.w3.org/2002/07/owl#Class> ;
          rdfs:label "prize"@en ; rdfs:comment "An award given to a person."@en . }}
      GRAPH <{TEST_BASE}graph/shapes> {{ <{TEST_BASE}def/shapes/PrizeShape> a sh:NodeShape ;
          sh:targetClass <{TEST_BASE}def/Prize> ; sh:property [ sh:path schema:name ; sh:minCount 1 ;
          sh:severity sh:Violation ] . }}
      GRAPH <{TEST_BASE}graph/test> {{ <{TEST_BASE}id/nobel> a <{TEST_BASE}def/Prize> ; schema:name "Nobel Prize"@en . }}
    }}""")
    html = guide_html(client)
    tables = Tables(html).sections
    assert "An award given to a person." in html
    row = next(r for r in tables["zkg-Prize"] if r and r[0].startswith("schema:name"))
    assert row[3] == "required" and "Nobel Prize" in row[4] and row[5] == "1"


def test_guide_page_names_are_unquoted_curies(client):
    html = guide_html(client)
    for href in re.findall(r'href="(/model/[^"]+)"', html)[:200]:
        assert client.get(unquote(href)).status_code == 200, href


def test_a_code_list_says_where_its_concepts_are_used_and_which_shapes_name_it(client, store):
    used = count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?m org:role ?r . ?r skos:inScheme <{TEST_BASE}code/role> }}")
    for html in (guide_html(client), client.get("/page/code/role").get_data(as_text=True)):
        assert f'<code class="curie">org:role</code></a> ({used:,} statement' in html
        assert 'href="/page/def/shapes/RoleCode"' in html
