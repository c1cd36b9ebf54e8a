"""Linked data through Flask's test client: 303 by Accept, twins, caching, 404/406, pages.

The app runs on the project's real data (in memory) plus a small graph of awkward IRIs: a
non-ASCII slug, percent-encoded characters (one of them an encoded slash), and a label
written to break out of a ``<script>`` element.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

import pyoxigraph as ox
import pytest
import rdflib

from tests.support.json_ld_testing import inline_context, pyld_loader
from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE
from zkg.base.settings import Settings
from zkg.linked_data.documents import FORMATS, is_dataset
from zkg.store.local import Store

ID = TEST_BASE + "id/"
RDFLIB = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml", "nt": "nt", "trig": "trig", "nq": "nquads"}
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
SCRIPT_BREAKER = "</script><script>alert('x')</script> & <b>bold</b>"
# The awkward IRIs, as the data writes them (relative to the base).
AWKWARD = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
INSERT DATA {
  GRAPH <graph/linked-data-fixture> {
    <id/北京大学> a schema:CollegeOrUniversity ; rdfs:label "Peking University"@en, "北京大学"@zh-Hans ;
        schema:location id:beijing .
    <id/caf%C3%A9> a schema:Place ; rdfs:label "café with a percent-encoded IRI"@en ; schema:containedInPlace id:beijing .
    <id/a%2Fb> rdfs:label "a slash, encoded"@en ; schema:location id:beijing .
    <id/tricky> rdfs:label "SCRIPT_BREAKER"@en ; schema:description "a line\\u2028separator" .
  }
  GRAPH <graph/metadata> {
    <graph/linked-data-fixture> rdfs:label "Linked-data test fixture"@en ; dcterms:source id:fixture-source .
    id:fixture-source a schema:CreativeWork ; rdfs:label "The linked-data tests"@en .
  }
}
""".replace("SCRIPT_BREAKER", SCRIPT_BREAKER.replace('"', '\\"'))


def make_store() -> Store:
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR)
    store.update(AWKWARD)
    return store


def make_app(store):
    from zkg.web import create_app

    settings = Settings.from_env(environ={}, base_iri=TEST_BASE, data="/nonexistent")
    return create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": store, "TESTING": True})


@pytest.fixture(scope="module")
def ld_store():
    return make_store()


@pytest.fixture(scope="module")
def ld(ld_store):
    """A test client on the shared (read-only) store."""
    return make_app(ld_store).test_client()


def entities(store) -> list[str]:
    rows = store.query(f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{ID}")) }} ORDER BY ?s')
    return [row["s"].value for row in rows]


def path_of(iri: str) -> str:
    """The request path of an IRI (what a client sends: non-ASCII percent-encoded)."""
    from urllib.parse import quote

    return "/" + quote(iri[len(TEST_BASE) :], safe="/%:@!$&'()*+,;=-._~")


class Page(HTMLParser):
    """The parts of a page the tests look at. A property's CURIE, shown under its label, is
    kept apart from the cell's text (``curies``: the CURIE of each row's property)."""

    def __init__(self, html: str):
        super().__init__()
        self.links, self.scripts, self.tags, self.rows, self._script, self._tr, self._cell = (
            [],
            [],
            [],
            [],
            None,
            None,
            None,
        )
        self.curies: dict[str, str] = {}
        self._curie: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "script":
            self._script = [attrs.get("type"), ""]
        if tag == "tr":
            self._tr = []
        if tag in ("td", "th") and self._tr is not None:
            self._cell = ""
        if tag == "br" and self._cell is not None:
            self._cell += " "
        if tag == "code" and "curie" in (attrs.get("class") or "").split() and self._cell is not None:
            self._curie = ""

    def handle_endtag(self, tag):
        if tag == "code" and self._curie is not None:
            self.curies[" ".join(self._cell.split())] = self._curie
            self._curie = None
        if tag == "script" and self._script is not None:
            self.scripts.append(tuple(self._script))
            self._script = None
        if tag in ("td", "th") and self._cell is not None:
            self._tr.append(" ".join(self._cell.split()))
            self._cell = None
        if tag == "tr" and self._tr is not None:
            self.rows.append(self._tr)
            self._tr = None

    def handle_data(self, data):
        if self._script is not None:
            self._script[1] += data
        if self._curie is not None:
            self._curie += data
        elif self._cell is not None:
            self._cell += data


def canonical(data: bytes, extension: str, client=None) -> list[str]:
    if extension == "jsonld":  # its context, as the server serves it (tests/support/json_ld_testing.py)
        data = inline_context(data, client.get("/def/context.jsonld").data)
    dataset = ox.Dataset(ox.parse(data, format=FORMATS[extension].oxigraph))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


# -- 303 See Other ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept, target",
    [
        (BROWSER_ACCEPT, "/page/id/z-park"),
        (None, "/page/id/z-park"),
        ("*/*", "/page/id/z-park"),
        ("text/html", "/page/id/z-park"),
        ("text/turtle", "/data/id/z-park.ttl"),
        ("application/ld+json", "/data/id/z-park.jsonld"),
        ("application/rdf+xml", "/data/id/z-park.rdf"),
        ("application/n-triples", "/data/id/z-park.nt"),
        ("application/trig", "/data/id/z-park.trig"),
        ("application/n-quads", "/data/id/z-park.nq"),
        ("text/turtle;q=0.5, application/rdf+xml;q=0.9", "/data/id/z-park.rdf"),
        ("text/html;q=0.1, text/turtle", "/data/id/z-park.ttl"),
        ("application/*", "/data/id/z-park.jsonld"),
        ("text/turtle, application/x-turtle, */*;q=0.1", "/data/id/z-park.ttl"),  # rdflib's
        ("text/html;q=0, */*", "/data/id/z-park.ttl"),
    ],
)
def test_an_iri_answers_303_by_accept(ld, accept, target):
    response = ld.get("/id/z-park", headers={"Accept": accept} if accept else {})
    assert response.status_code == 303
    assert response.headers["Location"] == target
    assert "Accept" in response.vary
    assert '</page/id/z-park>; rel="alternate"; type="text/html"' in response.headers["Link"]
    assert '</data/id/z-park.ttl>; rel="alternate"; type="text/turtle"' in response.headers["Link"]


def test_format_parameter_wins_over_accept(ld):
    response = ld.get("/id/z-park?format=jsonld", headers={"Accept": "text/html"})
    assert response.status_code == 303 and response.headers["Location"] == "/data/id/z-park.jsonld"
    assert ld.get("/id/z-park?format=html", headers={"Accept": "text/turtle"}).headers["Location"] == "/page/id/z-park"


@pytest.mark.parametrize(
    "path",
    [
        "/def/Bid",
        "/def/organizationKind",
        "/def/",
        "/code/unit/CNY",
        "/code/org-kind",
        "/graph/reference",
        "/def/shapes/PersonShape",
    ],
)
def test_vocabulary_codes_and_graphs_dereference_too(ld, path):
    response = ld.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 303 and response.headers["Location"] == f"/data{path}.ttl"
    assert ld.get(path, headers={"Accept": "text/html"}).headers["Location"] == f"/page{path}"
    document = ld.get(f"/data{path}.ttl")
    assert document.status_code == 200
    graph = rdflib.Graph().parse(data=document.data, format="turtle")
    assert (rdflib.URIRef(TEST_BASE + path[1:]), None, None) in graph
    assert ld.get(f"/page{path}").status_code == 200


def test_406_when_nothing_fits(ld):
    response = ld.get("/id/z-park", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True) and "Accept" in response.vary
    assert ld.get("/id/z-park?format=pdf").status_code == 406
    assert ld.get("/data/id/z-park", headers={"Accept": "text/html"}).status_code == 406
    assert ld.get("/page/id/z-park?format=pdf").status_code == 406


def test_404_for_unknown_iris_with_a_search_box_for_people(ld):
    page = ld.get("/id/no-such-park", headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 404 and page.mimetype == "text/html"
    parsed = Page(page.get_data(as_text=True))
    search = [attrs for tag, attrs in parsed.tags if tag == "input" and attrs.get("name") == "q"]
    assert search and search[0]["value"] == "no such park"
    assert ("form", {"class": "search-form", "role": "search", "method": "get", "action": "/search"}) in parsed.tags
    machine = ld.get("/id/no-such-park", headers={"Accept": "text/turtle"})
    assert machine.status_code == 404 and machine.mimetype == "text/plain"
    assert f"{ID}no-such-park" in machine.get_data(as_text=True)
    for path in ("/page/id/no-such-park", "/data/id/no-such-park.ttl", "/data/id/no-such-park"):
        assert ld.get(path).status_code == 404, path


# -- twins ------------------------------------------------------------------------------------


def test_twins_at_their_urls_by_format_and_negotiated(ld):
    for extension, document_format in FORMATS.items():
        own = ld.get(f"/data/id/z-park.{extension}")
        assert own.status_code == 200 and own.mimetype == document_format.media_type
        assert "Content-Location" not in own.headers
        by_parameter = ld.get(f"/data/id/z-park?format={extension}")
        negotiated = ld.get("/data/id/z-park", headers={"Accept": document_format.media_type})
        from_page = ld.get(f"/page/id/z-park?format={extension}")
        for other in (by_parameter, negotiated, from_page):
            assert other.status_code == 200 and other.data == own.data
            assert other.headers["Content-Location"] == f"/data/id/z-park.{extension}"
        assert "Accept" in negotiated.vary
        links = own.headers["Link"]
        assert '</page/id/z-park>; rel="alternate"; type="text/html"' in links
        assert all(f"</data/id/z-park.{e}>" in links for e in FORMATS)
        assert f'<{ID}z-park>; rel="describes"' in links


def test_every_entity_page_and_twin_from_the_same_data(ld, ld_store):
    """All entities of graph/: each page reads, each fact shows its source, and the four
    triple twins hold the same triples, which the dataset twins hold in their graphs."""
    everything = entities(ld_store)
    assert len(everything) > 100
    for iri in everything:
        path = path_of(iri)
        page = ld.get("/page" + path)
        assert page.status_code == 200, iri
        parsed = Page(page.get_data(as_text=True))
        assert sum(1 for tag, _ in parsed.tags if tag == "h1") == 1
        # Every row of every table (facts, statistics, links here) ends with its source.
        rows = [row for row in parsed.rows if row and row[0] not in ("Property", "Resource", "Indicator")]
        assert rows, f"{iri}: no facts on its page"
        for row in rows:
            assert row[-1], f"{iri}: a fact without its source: {row}"
        documents = {ext: ld.get(f"/data{path}.{ext}").data for ext in FORMATS}
        triples = canonical(documents["ttl"], "ttl")
        assert triples, iri
        for ext in ("jsonld", "rdf", "nt"):
            assert canonical(documents[ext], ext, ld) == triples, f"{iri}: {ext} differs from Turtle"
        statements = {t for t in triples if "_:" not in t}  # reification uses blank nodes
        for ext in ("trig", "nq"):
            quads = list(ox.parse(documents[ext], format=FORMATS[ext].oxigraph))
            named = [q for q in quads if q.graph_name != ox.DefaultGraph()]
            as_triples = {str(ox.Triple(q.subject, q.predicate, q.object)) for q in named if "_:" not in str(q)}
            assert as_triples == statements, f"{iri}: {ext} holds other statements"
            # Issue 19: the default graph is the Turtle twin's graph.
            default = ox.Dataset(q for q in quads if q.graph_name == ox.DefaultGraph())
            default.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
            assert sorted(str(q) for q in default) == triples, f"{iri}: {ext}'s default graph is not the Turtle twin"


def test_rdflib_reads_every_twin(ld):
    for extension in FORMATS:
        data = ld.get(f"/data/id/zhongguancun-stanford-startup-fund.{extension}").data
        if extension == "jsonld":  # offline: the context as served, not fetched from the base IRI
            data = inline_context(data, ld.get("/def/context.jsonld").data)
        graph = rdflib.Dataset() if is_dataset(FORMATS[extension]) else rdflib.Graph()
        graph.parse(data=data, format=RDFLIB[extension])
        assert len(graph) > 0 or len(list(graph.quads())) > 0, extension


# -- HEAD, ETag, Last-Modified, 304 -------------------------------------------------------------


def test_head(ld):
    response = ld.head("/id/z-park", headers={"Accept": "text/turtle"})
    assert response.status_code == 303 and response.data == b""
    for path in ("/data/id/z-park.ttl", "/page/id/z-park", "/", "/dumps/zkg.nq.gz"):
        get, head = ld.get(path), ld.head(path)
        assert head.status_code == 200 and head.data == b""
        assert head.headers["ETag"] == get.headers["ETag"]
        assert head.headers["Content-Length"] == get.headers["Content-Length"] == str(len(get.data))


def _after_the_second_of_the_last_change(store) -> None:
    """Wait for the clock to leave the second of the store's last change (its opening counts
    as one): only then is a Last-Modified given (tests/web/test_last_modified.py)."""
    from zkg.store.version import dataset_version

    settled = math.ceil(dataset_version(store).changed)
    while time.time() < settled:
        time.sleep(0.01)


def test_revalidation_and_writes():
    store = make_store()
    client = make_app(store).test_client()
    _after_the_second_of_the_last_change(store)
    paths = ("/data/id/luo-wei.ttl", "/page/id/luo-wei", "/", "/search?q=luo", "/dumps/zkg.trig.gz")
    first = {path: client.get(path) for path in paths}
    for path, response in first.items():
        etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
        assert response.headers["Cache-Control"] == "no-cache"
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
        assert client.get(path, headers={"If-None-Match": f'W/{etag}, "other"'}).status_code == 304
        assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
        assert client.get(path, headers={"If-None-Match": '"stale"', "If-Modified-Since": modified}).status_code == 200
    assert len({r.headers["ETag"] for r in first.values()}) == len(paths)  # one ETag per representation
    store.update('INSERT DATA { GRAPH graph:curation { id:luo-wei schema:jobTitle "head of the overseas arm"@en } }')
    for path, response in first.items():
        after = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert after.status_code == 200, f"{path}: still 304 after a write"
        assert after.headers["ETag"] != response.headers["ETag"]
    assert b"head of the overseas arm" in client.get("/data/id/luo-wei.ttl").data
    assert b"curation" in gzip.decompress(client.get("/dumps/zkg.trig.gz").data)


# -- awkward IRIs -------------------------------------------------------------------------------


def test_a_non_ascii_iri(ld):
    iri = ID + "北京大学"
    encoded = "/id/%E5%8C%97%E4%BA%AC%E5%A4%A7%E5%AD%A6"
    response = ld.get(encoded, headers={"Accept": "text/turtle"})
    assert response.status_code == 303 and response.headers["Location"] == "/data" + encoded + ".ttl"
    assert ld.get(encoded, headers={"Accept": "text/html"}).headers["Location"] == "/page" + encoded
    graph = rdflib.Graph().parse(data=ld.get(response.headers["Location"]).data, format="turtle")
    assert (rdflib.URIRef(iri), rdflib.RDFS.label, rdflib.Literal("北京大学", lang="zh-hans")) in graph
    page = ld.get("/page" + encoded, headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert '<h1 id="resource-title" lang="zh-hans">北京大学</h1>' in page
    assert f"<code>{iri}</code>" in page
    assert '<h1 id="resource-title" lang="en">Peking University</h1>' in ld.get("/page" + encoded).get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "local, label", [("caf%C3%A9", "café with a percent-encoded IRI"), ("a%2Fb", "a slash, encoded")]
)
def test_percent_encoded_iris(ld, local, label):
    iri = ID + local
    response = ld.get("/id/" + local, headers={"Accept": "text/turtle"})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location == "/data/id/" + local.replace("%", "%25") + ".ttl"  # decodes back to the IRI exactly
    graph = rdflib.Graph().parse(data=ld.get(location).data, format="turtle")
    assert (rdflib.URIRef(iri), rdflib.RDFS.label, rdflib.Literal(label, lang="en")) in graph
    page = ld.get(ld.get("/id/" + local).headers["Location"])
    assert page.status_code == 200 and f"<code>{iri}</code>" in page.get_data(as_text=True)
    # Pages link to it the same way: Beijing's page lists it, and the link works.
    beijing = Page(ld.get("/page/id/beijing").get_data(as_text=True))
    assert "/page/id/" + local.replace("%", "%25") in beijing.links


# -- the entity page ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def z_park_page(ld):
    response = ld.get("/page/id/z-park")
    assert response.status_code == 200
    return response


def test_z_park_page(z_park_page, ld):
    html = z_park_page.get_data(as_text=True)
    page = Page(html)
    assert '<h1 id="resource-title" lang="en">Zhongguancun Science Park</h1>' in html
    assert "China&#39;s first science park" in html
    rows = {row[0]: row for row in page.rows if row}
    assert rows["founding date"][1:] == ["1988 year", "China Daily, 5 March 2016, p. 7"]
    # Each property's CURIE beside its label, so a reader can write the query.
    assert page.curies["founding date"] == "schema:foundingDate" and page.curies["name"] == "schema:name"
    assert ["中关村科技园区 zh-hans", "Reference facts curated by the zkg project"] in [r[-2:] for r in page.rows]
    # Figures with units, currencies and changes; the derived one marked.
    text = " ".join(" | ".join(r) for r in page.rows)
    assert "CNY 183.4 billion USD 28.1 billion | +40.7 %" in text
    assert "21 derived" in text and "+15" in text and "3,356 | +40.4 %" in text
    # The source is linked to the source's own page, which is a page about the article.
    assert "/page/id/china-daily-2016-03-05-p7" in page.links
    assert ld.get("/page/id/china-daily-2016-03-05-p7").status_code == 200
    # The SPARQL editor on this entity.
    assert f"/sparql?query=DESCRIBE%20%3C{ID.replace(':', '%3A').replace('/', '%2F')}z-park%3E" in page.links
    # Every link on the page resolves here.
    for href in set(page.links):
        if href.startswith("/") and not href.startswith("/sparql"):
            assert ld.get(href).status_code in (200, 303), href
    # Accessible and script-free: landmarks, headings, captions, no script but the data block.
    tags = [tag for tag, _ in page.tags]
    assert {"header", "nav", "main", "footer", "article", "aside"} <= set(tags)
    assert ("html", {"lang": "en"}) in page.tags
    assert [t for t, _ in page.scripts] == ["application/ld+json"]
    assert "script-src" not in z_park_page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in z_park_page.headers["Content-Security-Policy"]
    assert all(attrs.get("scope") for tag, attrs in page.tags if tag == "th")


def test_charts_and_neighbourhood_are_svg(z_park_page, ld):
    html = z_park_page.get_data(as_text=True)
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    charts = [ET.fromstring(s) for s in svgs if 'class="chart"' in s]
    assert len(charts) == 2
    titles = [c.find("{http://www.w3.org/2000/svg}title").text for c in charts]
    assert titles == ["mergers and acquisitions completed", "mergers and acquisitions involving overseas companies"]
    assert "2014: 21 (derived); 2015: 36" in charts[1].find("{http://www.w3.org/2000/svg}desc").text
    [hood] = [ET.fromstring(s) for s in svgs if 'class="neighbourhood"' in s]
    hrefs = [a.get("href") for a in hood.iter("{http://www.w3.org/2000/svg}a")]
    assert "/page/id/zhongguancun-development-group" in hrefs and len(hrefs) == 14
    assert all(ld.get(h).status_code == 200 for h in hrefs)


def test_embedded_json_ld_is_the_data_and_safe(z_park_page, ld):
    [(kind, text)] = Page(z_park_page.get_data(as_text=True)).scripts
    graph = rdflib.Graph().parse(data=text, format="json-ld")
    assert (
        rdflib.URIRef(ID + "z-park"),
        rdflib.URIRef("https://schema.org/name"),
        rdflib.Literal("Zhongguancun Science Park", lang="en"),
    ) in graph
    tricky = ld.get("/page/id/tricky").get_data(as_text=True)
    assert "</script><script>" not in tricky and "<b>bold</b>" not in tricky
    [(kind, block)] = Page(tricky).scripts
    labels = [o for o in rdflib.Graph().parse(data=block, format="json-ld").objects(None, rdflib.RDFS.label)]
    assert [str(label) for label in labels] == [SCRIPT_BREAKER]


def test_term_page(ld):
    html = ld.get("/page/def/organizationKind").get_data(as_text=True)
    assert "Vocabulary term: property" in html
    assert "21 statements" in html
    assert '<a href="/page/def/shapes/OrganizationShape-kind">organisation kind</a> constrains this property' in html
    assert "Domain" in html and "Range" in html
    bid = ld.get("/page/def/Bid").get_data(as_text=True)
    assert "Vocabulary term: class" in bid and "2 instances" in bid
    assert '<a href="/page/id/bid-z-park-iasp-2015">' in bid


def test_graph_page(ld, ld_store):
    html = ld.get("/page/graph/reference").get_data(as_text=True)
    assert f"It holds {ld_store.count(TEST_BASE + 'graph/reference')} statements." in html


# -- home, search, dumps ------------------------------------------------------------------------


def test_home(ld):
    html = ld.get("/").get_data(as_text=True)
    page = Page(html)
    assert "/page/id/z-park" in page.links
    assert "/page/id/china-daily-2016-03-05-p7" in page.links
    observations = next(row for row in page.rows if row and row[0].startswith("Observation"))
    assert observations[-1] == "21"
    assert any(tag == "input" and attrs.get("name") == "q" for tag, attrs in page.tags)
    assert "/dumps/zkg.trig.gz" in page.links and "/dumps/zkg.nq.gz" in page.links


@pytest.mark.parametrize(
    "query, first",
    [
        ("Z-Park", "z-park"),
        ("zhōngguāncūn science PARK", "z-park"),
        ("中关村科技园区", "z-park"),
        ("shoucheng", "zhang-shousheng"),
        ("北京", "beijing"),
        ("北京大", "北京大学"),
        ("cafe", "caf%C3%A9"),
    ],
)
def test_search_json(ld, query, first):
    response = ld.get("/search", query_string={"q": query}, headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    results = response.get_json()["results"]
    assert results[0]["iri"] == ID + first
    assert unquote(urlsplit(results[0]["page"]).path) == "/page/id/" + first  # decodes to the IRI's path exactly


def test_search_html_and_limits(ld):
    html = ld.get("/search?q=zhang").get_data(as_text=True)
    assert '<a class="hit-label" href="/page/id/zhang-shousheng">Zhang Shousheng</a>' in html
    assert len(ld.get("/search?q=park&format=json&limit=3").get_json()["results"]) == 3
    assert ld.get("/search?q=park&limit=lots").status_code == 400
    assert ld.get("/search?q=&format=json").get_json()["results"] == []
    assert "result" not in ld.get("/search").get_data(as_text=True).split("<main")[1].split("</main>")[
        0
    ].lower().replace("results", "")  # no query, no results section


def test_dumps_are_listed_in_void_and_hold_everything(ld, ld_store):
    void = rdflib.Graph().parse(
        data=ld.get("/.well-known/void", headers={"Accept": "text/turtle"}).data, format="turtle"
    )
    dumps = {urlsplit(str(o)).path for o in void.objects(None, rdflib.URIRef("http://rdfs.org/ns/void#dataDump"))}
    assert dumps == {"/dumps/zkg.trig.gz", "/dumps/zkg.nq.gz"}
    for path, rdf_format in (("/dumps/zkg.trig.gz", ox.RdfFormat.TRIG), ("/dumps/zkg.nq.gz", ox.RdfFormat.N_QUADS)):
        response = ld.get(path)
        assert response.status_code == 200 and response.mimetype == "application/gzip"
        assert "attachment" in response.headers["Content-Disposition"]
        quads = list(ox.parse(gzip.decompress(response.data), format=rdf_format))
        assert len(quads) == ld_store.count()


# -- the JSON-LD context ------------------------------------------------------------------------


def test_the_json_ld_context_is_served_and_named_by_every_json_ld_document(ld):
    response = ld.get("/def/context.jsonld", headers={"Accept": "text/html"})  # one representation only
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    context = response.get_json()["@context"]
    assert context["name"] == {"@id": "https://schema.org/name", "@container": "@language"}
    again = ld.get("/def/context.jsonld", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert ld.head("/def/context.jsonld").status_code == 200
    for path in ("/data/id/z-park.jsonld", "/data/id/z-park?format=jsonld", "/page/id/z-park?format=jsonld"):
        document = ld.get(path, headers={"Accept": "application/ld+json"}).get_json()
        assert document["@context"] == TEST_BASE + "def/context.jsonld", path
        assert document["@graph"][0]["@id"] == "id:z-park", path
    # The vocabulary's own IRIs still dereference around it.
    assert ld.get("/def/organizationKind", headers={"Accept": "text/turtle"}).status_code == 303


def test_a_construct_answer_in_json_ld_compacts_with_the_published_context(ld):
    """The endpoint answers expanded JSON-LD (docs/guides/linked-data.md says why); compacted
    with the published context by a JSON-LD processor, its triples are unchanged."""
    from pyld import jsonld

    context = ld.get("/def/context.jsonld").data
    loader = pyld_loader(TEST_BASE + "def/context.jsonld", context)
    query = "CONSTRUCT { id:z-park ?p ?o } WHERE { id:z-park ?p ?o }"
    answer = ld.get("/sparql", query_string={"query": query, "format": "jsonld"})
    assert answer.status_code == 200
    expanded = json.loads(answer.data)
    compacted = jsonld.compact(expanded, TEST_BASE + "def/context.jsonld", {"documentLoader": loader})
    park = next(node for node in compacted["@graph"] if node["@id"] == "id:z-park")
    assert park["name"]["en"] == "Zhongguancun Science Park" and park["organizationKind"] == "kind:science-park"
    before = jsonld.to_rdf(expanded, {"format": "application/n-quads"})
    after = jsonld.to_rdf(compacted, {"format": "application/n-quads", "documentLoader": loader})
    assert sorted(set(before.splitlines())) == sorted(set(after.splitlines())) and before
