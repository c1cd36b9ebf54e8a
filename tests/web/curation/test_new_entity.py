"""New entities from the shapes (``/curate/new``), through Flask's test client, on the project's
real graph and shapes: the class picker, the generated form (every field labelled, typed by its
shape), the preview (a dry run: nothing written), the commit (one changeset, attributed,
revertible), field-level problems and the shapes' verdict beside the field, an entity created
in the same change, and the ways in (home, a search with no match, the 404 of an unknown IRI).
The headless-browser round trip is test_new_entity_browser.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.support.curation_testing import csrf_of, make_curation, sign_in
from tests.support.zkg_testing import TEST_BASE

PROJECT = Path(__file__).resolve().parents[3]
WIKIPEDIA = "https://en.wikipedia.org/wiki/Lenovo"
LENOVO = f"{TEST_BASE}id/lenovo"


@pytest.fixture
def cur(tmp_path):
    return make_curation(tmp_path, project=PROJECT)


def has(cur, pattern: str) -> bool:
    return bool(cur.store.query(f"ASK {{ {pattern} }}"))


def lenovo_form(cur, **fields) -> dict:
    html = cur.client.get("/curate/new?class=Corporation&name=Lenovo").get_data(as_text=True)
    data = {
        "csrf_token": csrf_of(html),
        "class": "schema:Corporation",
        "name": "Lenovo",
        "name.lang": "en",
        "iri": "",
        "schema:foundingDate.0": "1984",
        "schema:location.0": "Zhongguancun Science Park area",
        "zkg:organizationKind.0": f"{TEST_BASE}code/org-kind/company",
        "source": WIKIPEDIA,
        "message": "a company of the park",
        "action": "preview",
    }
    data.update(fields)
    return data


def digest_of(html: str) -> str:
    """The preview's digest, which the commit button sends back."""
    match = re.search(r'name="previewed" value="(\w+)"', html)
    assert match, "no commit offered: the preview did not accept the entity"
    return match.group(1)


def texts(html: str, css_class: str) -> list[str]:
    found = re.findall(rf'<ul class="field-messages {css_class}"[^>]*>(.*?)</ul>', html, re.S)
    return [re.sub(r"<[^>]+>", "", item).strip() for block in found for item in block.split("</li>") if item.strip()]


def field_html(html: str, key: str) -> str:
    match = re.search(rf'<fieldset[^>]*id="field-{re.escape(key)}".*?</fieldset>', html, re.S)
    assert match, f"no field {key}"
    return match.group(0)


class _Controls(HTMLParser):
    """Every form control (not hidden, not a button) and every label's ``for``."""

    def __init__(self):
        super().__init__()
        self.controls, self.labelled, self.depth = [], set(), 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.depth += 1
            if attrs.get("for"):
                self.labelled.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit", "button"):
            self.controls.append((attrs.get("id"), attrs.get("name"), self.depth > 0))

    def handle_endtag(self, tag):
        if tag == "label":
            self.depth -= 1


def unlabelled(html: str) -> list[str]:
    parser = _Controls()
    parser.feed(html)
    return [name for id_, name, inside in parser.controls if not inside and id_ not in parser.labelled]


def test_only_a_signed_in_curator_gets_the_form(cur):
    response = cur.client.get("/curate/new?class=Corporation")
    assert response.status_code == 303 and response.headers["Location"].startswith("/sign-in?next=/curate/new")
    assert cur.client.post("/curate/new", data={"class": "schema:Corporation"}).status_code == 403


def test_the_class_picker_lists_the_shaped_classes_with_their_descriptions(cur):
    sign_in(cur)
    html = cur.client.get("/curate/new?name=Lenovo").get_data(as_text=True)
    assert "Corporation</a>" in html and "<code>schema:Corporation</code>" in html
    assert "A business company." in html  # from the model guide's vocabulary
    assert "class=schema%3ACorporation&amp;name=Lenovo" in html  # the name goes along
    assert unlabelled(html) == []
    unknown = cur.client.get("/curate/new?class=Spaceship")
    assert unknown.status_code == 400 and "No class is called" in unknown.get_data(as_text=True)


def test_the_form_is_made_from_the_shapes_of_the_class(cur):
    sign_in(cur)
    html = cur.client.get("/curate/new?class=schema:Corporation").get_data(as_text=True)
    assert unlabelled(html) == []
    keys = re.findall(r'<fieldset[^>]*id="field-([^"]+)"', html)
    assert keys[0] == "name" and keys[-1] == "source"
    assert {"schema:foundingDate", "schema:location", "zkg:organizationKind", "org:hasSite"} <= set(keys)
    founding = field_html(html, "schema:foundingDate")
    assert "one value" in founding and 'placeholder="1984, 1984-11 or 1984-11-01"' in founding
    assert "xsd:gYear" in founding  # the shape's message says what it must be
    kind = field_html(html, "zkg:organizationKind")
    assert f'<option value="{TEST_BASE}code/org-kind/company">company</option>' in kind
    location = field_html(html, "schema:location")
    assert "data-entity-search" in location and "create it in this change, as a new Place" in location
    related = field_html(html, "related-organisation")
    assert "(org:subOrganizationOf)" in related and "(zkg:owns)" in related  # a choice of properties


def test_preview_shows_the_statements_and_writes_nothing_then_commit_writes_one_changeset(cur):
    sign_in(cur)
    before = cur.store.dump(format="nquads")
    preview = cur.client.post("/curate/new", data=lenovo_form(cur))
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert cur.store.dump(format="nquads") == before  # a dry run
    table = re.sub(r"<[^>]+>", " ", re.search(r'<table class="statements">.*?</table>', html, re.S).group(0))
    assert "founding date" in table and "1984" in table and "xsd:gYear" in table
    assert "Zhongguancun Science Park area" in table and "id:z-park-area" in table
    assert f"&lt;{LENOVO}&gt; &lt;https://schema.org/foundingDate&gt; " in html  # the exact statements
    assert "The shapes accept it" in html
    assert "No description of this organisation" in " ".join(texts(html, "warning"))  # a warning, beside its field
    digest = digest_of(html)

    committed = cur.client.post("/curate/new", data=lenovo_form(cur, action="commit", previewed=digest))
    assert committed.status_code == 303 and committed.headers["Location"] == "/page/id/lenovo#curation"
    assert has(
        cur,
        f'GRAPH ?g {{ <{LENOVO}> a <https://schema.org/Corporation> ; <https://schema.org/foundingDate> "1984"^^xsd:gYear }}',
    )
    graphs = {r["g"].value for r in cur.store.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{LENOVO}> ?p ?o }} }}")}
    assert len(graphs) == 1 and "/graph/changes/" in graphs.pop()  # one changeset, its own graph
    page = cur.client.get("/page/id/lenovo").get_data(as_text=True)
    assert "Created Lenovo: changeset" in page and WIKIPEDIA in page
    entry = cur.app.extensions["zkg.curator"].log
    assert entry is not None
    changeset_id = re.search(r"Created Lenovo: changeset (\S+) ", page).group(1)
    history = cur.client.get(f"/history?iri={TEST_BASE}id/lenovo").get_data(as_text=True)
    assert changeset_id in history and "alice" in history
    # Revertible like any changeset.
    cur.app.extensions["zkg.curator"].revert(changeset_id, _attribution("undo the test"))
    assert not has(cur, f"GRAPH ?g {{ <{LENOVO}> ?p ?o }}")


def _attribution(message: str):
    from zkg.curation.writer import Attribution

    return Attribution.of_token("alice", source=WIKIPEDIA, message=message)


def test_a_form_changed_after_its_preview_is_previewed_again_not_committed(cur):
    sign_in(cur)
    html = cur.client.post("/curate/new", data=lenovo_form(cur)).get_data(as_text=True)
    digest = digest_of(html)
    again = cur.client.post(
        "/curate/new", data=lenovo_form(cur, action="commit", previewed=digest, **{"schema:foundingDate.0": "1948"})
    )
    assert again.status_code == 200 and "The form changed after its preview" in again.get_data(as_text=True)
    assert not has(cur, f"GRAPH ?g {{ <{LENOVO}> ?p ?o }}")


def test_the_shapes_verdict_is_shown_beside_the_field_it_is_about(cur):
    sign_in(cur)
    before = cur.store.dump(format="nquads")
    # Z-Park, the organisation, is not a place: schema:location of an organisation must be one.
    refused = cur.client.post(
        "/curate/new", data=lenovo_form(cur, **{"schema:location.0": "Zhongguancun Science Park"})
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and cur.store.dump(format="nquads") == before
    location = field_html(html, "schema:location")
    assert texts(location, "error") == [
        "location (schema:location): schema:location of an organisation must be a place described in the graph "
        "(schema:Place, org:Site, a country, city or administrative area)."
    ]
    assert texts(field_html(html, "schema:foundingDate"), "error") == []
    assert 'name="previewed"' not in html  # nothing to commit


def test_what_cannot_be_read_is_said_beside_each_field(cur):
    sign_in(cur)
    response = cur.client.post(
        "/curate/new",
        data=lenovo_form(
            cur,
            name="",
            iri="z-park",
            source="",
            **{"schema:foundingDate.0": "in the eighties", "zkg:organizationKind.0": "http://evil.test/x"},
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert texts(field_html(html, "name"), "error") == [
        "give the name, as the source prints it",
        f"{TEST_BASE}id/z-park is already used: choose another ending (e.g. z-park-2)",
    ]
    assert "not a date" in texts(field_html(html, "schema:foundingDate"), "error")[0]
    assert texts(field_html(html, "zkg:organizationKind"), "error") == ["organization kind: choose one of the list"]
    assert "the source is required" in texts(field_html(html, "source"), "error")[0]
    bad_iri = cur.client.post("/curate/new", data=lenovo_form(cur, iri="a b/c")).get_data(as_text=True)
    assert "cannot end an IRI here" in bad_iri


def test_a_missing_place_is_created_in_the_same_change(cur):
    sign_in(cur)
    fields = {
        "schema:location.0": "Shangdi Information Industry Base",
        "schema:location.0.new": "https://schema.org/Place",
    }
    html = cur.client.post("/curate/new", data=lenovo_form(cur, **fields)).get_data(as_text=True)
    assert "The shapes accept it" in html
    digest = digest_of(html)
    committed = cur.client.post("/curate/new", data=lenovo_form(cur, action="commit", previewed=digest, **fields))
    assert committed.status_code == 303
    place = f"{TEST_BASE}id/shangdi-information-industry-base"
    assert has(
        cur,
        f'<{LENOVO}> <https://schema.org/location> <{place}> . <{place}> a <https://schema.org/Place> ; rdfs:label "Shangdi Information Industry Base"@en',
    )
    graphs = {
        r["g"].value
        for r in cur.store.query(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} VALUES ?s {{ <{LENOVO}> <{place}> }} }}"
        )
    }
    assert len(graphs) == 1  # one changeset made both


def test_the_ways_in_are_offered_to_curators_only(cur):
    for path, wanted in (
        ("/", "/curate/new"),
        ("/search?q=Lenovo", "/curate/new?name=Lenovo"),
        ("/page/id/lenovo", "/curate/new?name=lenovo&amp;iri=lenovo"),
    ):
        assert wanted not in cur.client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    sign_in(cur)
    for path, wanted in (
        ("/", "/curate/new"),
        ("/search?q=Lenovo", "/curate/new?name=Lenovo"),
        ("/page/id/lenovo", "/curate/new?name=lenovo&amp;iri=lenovo"),
    ):
        assert wanted in cur.client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True), path


def test_properties_are_taken_by_the_label_the_page_shows_its_curie_or_its_iri(cur):
    sign_in(cur)
    page = cur.client.get("/page/id/z-park").get_data(as_text=True)
    assert ">has sub organization</a>" in page  # what the page calls org:hasSubOrganization
    assert unlabelled(page[page.index('id="curation"') :]) == []
    for written in ("has sub organization", "Has sub-organization", "hasSubOrganization", "org:hasSubOrganization"):
        html = cur.client.get("/page/id/z-park").get_data(as_text=True)
        response = cur.client.post(
            "/curate/statement",
            data={
                "csrf_token": csrf_of(html),
                "subject": f"{TEST_BASE}id/z-park",
                "property": written,
                "kind": "entity",
                "value": "Microsoft",
                "source": WIKIPEDIA,
            },
        )
        assert response.status_code == 303, (written, response.get_data(as_text=True))
        assert has(cur, f"<{TEST_BASE}id/z-park> org:hasSubOrganization <{TEST_BASE}id/microsoft>")
        cur.store.update(
            f"DELETE WHERE {{ GRAPH ?g {{ <{TEST_BASE}id/z-park> org:hasSubOrganization <{TEST_BASE}id/microsoft> }} }}"
        )
    # "description" names schema:description and dcterms:description: the shapes of an
    # organisation name only the first.
    html = cur.client.get("/page/id/microsoft").get_data(as_text=True)
    response = cur.client.post(
        "/curate/statement",
        data={
            "csrf_token": csrf_of(html),
            "subject": f"{TEST_BASE}id/microsoft",
            "property": "description",
            "kind": "text",
            "value": "A software company.",
            "language": "en",
            "source": WIKIPEDIA,
        },
    )
    assert response.status_code == 303 and has(
        cur, f'<{TEST_BASE}id/microsoft> schema:description "A software company."@en'
    )


def test_correcting_a_value_shows_the_old_beside_the_new(cur):
    sign_in(cur)
    html = cur.client.get("/page/id/z-park").get_data(as_text=True)
    assert 'id="correct-old"' in html and "side-by-side" in html
    statement = re.search(r'<option value="([^"]*foundingDate[^"]*)" data-value="1988"', html)
    assert statement, "the founding date is not offered for correction"
    from markupsafe import Markup

    replaces = Markup(statement.group(1)).unescape()
    response = cur.client.post(
        "/curate/statement",
        data={
            "csrf_token": csrf_of(html),
            "subject": f"{TEST_BASE}id/z-park",
            "replaces": replaces,
            "kind": "same",
            "value": "1989",
            "source": WIKIPEDIA,
        },
    )
    assert response.status_code == 303
    page = cur.client.get("/page/id/z-park").get_data(as_text=True)
    assert "Corrected “1988” → “1989”" in page


def test_a_refused_statement_shows_what_it_breaks_apart_from_what_was_already_there(tmp_path):
    from tests.support.broken_data import project_with_a_nameless_organisation

    cur = make_curation(tmp_path, project=project_with_a_nameless_organisation(tmp_path / "project"))
    sign_in(cur)
    html = cur.client.get("/page/id/z-park-software-park").get_data(as_text=True)
    before = cur.store.dump(format="nquads")
    response = cur.client.post(
        "/curate/statement",
        data={
            "csrf_token": csrf_of(html),
            "subject": f"{TEST_BASE}id/z-park-software-park",
            "property": "founding date",
            "kind": "text",
            "value": "long ago",
            "language": "en",
            "source": WIKIPEDIA,
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and cur.store.dump(format="nquads") == before
    blocking, already = texts(page, "error"), texts(page, "already")
    assert len(blocking) == 1 and blocking[0].startswith(
        "on id:z-park-software-park: founding date (schema:foundingDate):"
    )
    assert any(
        "name (schema:name)" in line and line.startswith("Violation on id:z-park-software-park") for line in already
    )
    assert all("foundingDate" not in line for line in already)


def test_an_entity_made_alongside_is_named_in_the_language_of_the_form(cur):
    sign_in(cur)
    fields = {
        "name": "联想",
        "name.lang": "zh-Hans",
        "iri": "lianxiang",
        "schema:location.0": "上地信息产业基地",
        "schema:location.0.new": "https://schema.org/Place",
    }
    html = cur.client.post("/curate/new", data=lenovo_form(cur, **fields)).get_data(as_text=True)
    digest = digest_of(html)
    committed = cur.client.post("/curate/new", data=lenovo_form(cur, action="commit", previewed=digest, **fields))
    assert committed.status_code == 303 and committed.headers["Location"] == "/page/id/lianxiang#curation"
    assert has(
        cur,
        f'<{TEST_BASE}id/lianxiang> schema:name "联想"@zh-Hans ; schema:location ?place . ?place rdfs:label "上地信息产业基地"@zh-Hans',
    )
