"""The query editor through Flask's test client: the page, its assets, terms.json, examples.

The browser itself is exercised by test_editor_browser.py.
"""

from __future__ import annotations

import doctest
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import zkg.web.sparql.editor as editor
from zkg.rdf.prefixes import prefixes
from zkg.web.sparql.editor import example_queries, example_queries_dir, parse_example

REPO = Path(__file__).resolve().parents[3]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def client(store, settings):
    """The app on the project's real data (conftest's ``client`` has the small fixture project)."""
    from zkg.web import create_app

    return create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": store, "TESTING": True}).test_client()


class Page(HTMLParser):
    """The parts of an HTML page the tests look at."""

    def __init__(self, html: str):
        super().__init__()
        self.scripts: list[dict] = []
        self.links: list[dict] = []
        self.anchors: list[dict] = []
        self.inline_handlers: list[str] = []
        self._in_script: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.inline_handlers += [name for name in attributes if name.startswith("on")]
        if tag == "script":
            self._in_script = {**attributes, "text": ""}
            self.scripts.append(self._in_script)
        elif tag == "link":
            self.links.append(attributes)
        elif tag == "a":
            self.anchors.append(attributes)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            self._in_script["text"] += data

    def config(self) -> dict:
        block = next(s for s in self.scripts if s.get("id") == "zkg-editor-config")
        assert block.get("type") == "application/json"
        return json.loads(block["text"])


def get_editor(client, **params):
    response = client.get("/sparql", query_string=params, headers={"Accept": BROWSER})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    return response, Page(response.get_data(as_text=True))


# -- the page ---------------------------------------------------------------------------------


def test_a_browser_asking_sparql_gets_the_editor_with_examples_and_prefixes(client, settings):
    response, page = get_editor(client)
    html = response.get_data(as_text=True)
    examples = example_queries()
    assert len(examples) >= 10
    for example in examples:
        assert f">{_escape(example.title)}</a>" in html
    # Every predeclared prefix is listed visibly.
    for name in prefixes(settings.base_iri):
        assert f'<th scope="row">{name}:</th>' in html
    config = page.config()
    assert config["prefixes"] == prefixes(settings.base_iri)
    assert config["baseIri"] == settings.base_iri
    assert [e["query"] for e in config["examples"]] == [e.query for e in examples]
    assert config["endpoint"].endswith("/sparql")
    assert config["query"] is None
    assert config["termsUrl"] == "/sparql/terms.json"
    # What editor-results.js needs to show results a person can read: where zkg's own IRIs have
    # their pages, which datatypes are numbers (zkg.rdf.lexical, listed once), the row limit.
    assert config["pageUrl"] == "/page/" and config["dereferenceable"] == ["id/", "def/", "code/", "graph/"]
    assert "http://www.w3.org/2001/XMLSchema#integer" in config["numericTypes"]
    assert "http://www.w3.org/2001/XMLSchema#gYear" not in config["numericTypes"]
    assert config["rowLimit"] == settings.row_limit
    # Each example is also a plain link that opens the editor on it.
    example_links = [a for a in page.anchors if "zkg-example" in a.get("class", "")]
    assert len(example_links) == len(examples)
    assert all("/sparql?query=" in a["href"] for a in example_links)
    # The header links to the editor, so every page extending base.html does too.
    assert any(a.get("href") == "/sparql" for a in page.anchors)


def test_the_editor_opens_on_the_query_in_the_url(client):
    query = 'SELECT ?name WHERE { id:luo-wei schema:name ?name } # <script>"&'
    response, page = get_editor(client, query=query)
    assert page.config()["query"] == query
    html = response.get_data(as_text=True)
    assert '<script>"&' not in html  # escaped everywhere it appears


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { ?s ?p ?o } LIMIT10",  # a typo the guard cannot read
        "SELECT * { SERVICE <http://127.0.0.1:9/> {} }",  # refused
        "SELECT * { ?s nope:p ?o }",  # an unknown prefix
    ],
)
def test_a_shared_link_with_a_bad_query_opens_the_editor_on_it(client, query):
    """The editor runs the query and shows the refusal beside the text; a script asking for
    results gets the 400 itself."""
    response, page = get_editor(client, query=query)
    assert response.status_code == 200 and page.config()["query"] == query
    assert (
        client.get(
            "/sparql", query_string={"query": query}, headers={"Accept": "application/sparql-results+json"}
        ).status_code
        == 400
    )


def test_the_page_is_served_under_a_strict_content_security_policy(client):
    response, page = get_editor(client)
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["default-src"] == "'none'"
    assert "Accept" in response.headers.get("Vary", "")
    # No inline script: every script is a file of ours, or the (inert) JSON configuration.
    for script in page.scripts:
        if "src" in script:
            assert script["text"].strip() == ""
        else:
            assert script.get("type") == "application/json"
    assert page.inline_handlers == []


def test_every_script_and_style_is_served_by_zkg(client):
    response, page = get_editor(client)
    assets = [s["src"] for s in page.scripts if "src" in s] + [link["href"] for link in page.links]
    assert assets
    for url in assets:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{url} is not served by zkg"
        asset = client.get(url)
        assert asset.status_code == 200, url


@pytest.mark.parametrize(
    "path, mimetype",
    [
        ("/static/vendor/yasgui/yasgui.min.js", "text/javascript"),
        ("/static/vendor/yasgui/yasgui.min.css", "text/css"),
        ("/static/editor.js", "text/javascript"),
        ("/static/editor-results.js", "text/javascript"),
        ("/static/zkg.css", "text/css"),
        ("/static/favicon.svg", "image/svg+xml"),
    ],
)
def test_static_assets_are_served_with_their_types(client, path, mimetype):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.content_length and response.content_length > 0


def test_scripts_ask_no_outside_service():
    """The vendored bundle's only fetches of outside services are the completers editor.js
    replaces (LOV) and prefix.cc (used only when configured; editor.js does not)."""
    bundle = (REPO / "zkg/web/static/vendor/yasgui/yasgui.min.js").read_text(encoding="utf-8")
    assert "lov.linkeddata.es/dataset/lov/api" in bundle  # replaced: see editor.js
    ours = (REPO / "zkg/web/static/editor.js").read_text(encoding="utf-8")
    assert not re.search(r"[\"'`]\s*(https?:)?//", ours)  # no URL literal in our code
    results = (REPO / "zkg/web/static/editor-results.js").read_text(encoding="utf-8")
    assert not re.search(r"[\"'`]\s*(https?:)?//", results)
    assert "fetch(config.endpoint," in results  # its one request: the labels, at this endpoint
    for name in ("completers.property", 'completers["class"]', "completers.prefixes"):
        assert name in ours
    css = (REPO / "zkg/web/static/vendor/yasgui/yasgui.min.css").read_text(encoding="utf-8")
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css)
    assert "@import" not in css


def test_the_vendored_build_records_version_and_licence():
    vendor = REPO / "zkg/web/static/vendor/yasgui"
    assert "MIT License" in (vendor / "LICENSE").read_text(encoding="utf-8")
    readme = (vendor / "README.md").read_text(encoding="utf-8")
    assert "@zazuko/yasgui" in readme and "4.6.2" in readme
    assert sorted(p.name for p in vendor.iterdir()) == ["LICENSE", "README.md", "yasgui.min.css", "yasgui.min.js"]


# -- terms.json -------------------------------------------------------------------------------


def test_terms_json_lists_the_vocabulary_terms_of_the_store(client, settings):
    response = client.get("/sparql/terms.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    terms = response.get_json()
    classes = {t["iri"]: t for t in terms["classes"]}
    properties = {t["iri"]: t for t in terms["properties"]}
    vocabulary = settings.base_iri + "def/"
    # Reused terms the data uses, and the project's own terms with their labels.
    assert "https://schema.org/Person" in classes
    assert "https://schema.org/name" in properties
    assert "http://www.w3.org/1999/02/22-rdf-syntax-ns#type" in properties
    own = [t for t in list(classes.values()) + list(properties.values()) if t["iri"].startswith(vocabulary)]
    assert own and all(t["label"] for t in own)
    # Most used first.
    uses = [t["uses"] for t in terms["properties"]]
    assert uses == sorted(uses, reverse=True)


# -- example queries --------------------------------------------------------------------------


def test_example_queries_are_the_competency_questions():
    folder = example_queries_dir()
    assert folder == REPO / "zkg" / "power" / "queries"
    files = sorted(folder.glob("[0-9][0-9]-*.rq"))  # the competency questions, then other canned queries
    assert files
    examples = [e for e in example_queries() if e.slug[:2].isdigit()]
    assert [e.slug for e in examples] == [f.stem for f in files]
    for example, path in zip(examples, files):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# title: {example.title}"
        assert example.question
        assert example.query.strip() == path.read_text(encoding="utf-8").strip()


def test_example_header_parsing(tmp_path):
    (tmp_path / "02-b.rq").write_text("SELECT * {}\n", encoding="utf-8")
    (tmp_path / "01-a.rq").write_text(
        "#title:  A  \n#   question: Why?\n\nASK {}\n# title: not this\n", encoding="utf-8"
    )
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    a, b = example_queries(tmp_path)
    assert (a.slug, a.title, a.question) == ("01-a", "A", "Why?")
    assert (b.slug, b.title, b.question) == ("02-b", "02-b", "")
    assert example_queries(tmp_path / "missing") == []
    assert parse_example(tmp_path / "01-a.rq").query.endswith("# title: not this\n")


def test_editor_doctests():
    result = doctest.testmod(editor, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")
    )
