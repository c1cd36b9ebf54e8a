"""History a reviewer trusts (issue 16, point 4), through Flask's test client: history rows
show the statements a changeset removed and added by their labels, with its source and
message; a revert is confirmed on a page showing its dry run and the shapes' verdict, needs a
reason, records its curator and that reason and no borrowed source; and no answer links to the
page of a changeset that a dry run never wrote."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.support.curation_testing import ALICE_PAGE, SOURCE, csrf_of, sign_in
from tests.support.zkg_testing import TEST_BASE

ALICE = f"<{TEST_BASE}id/alice>"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DCTERMS = "http://purl.org/dc/terms/"
HISTORY = "/history?iri=" + f"{TEST_BASE}id/alice".replace(":", "%3A").replace("/", "%2F")


def _write(cur, text: str, message: str = "", **headers) -> str:
    response = cur.update(text, **({"ZKG-Message": message} if message else {}), **headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.headers["ZKG-Changeset"]


def _row(html: str, changeset: str) -> str:
    """The history row of one changeset in a page: up to the next row, or the end of the list."""
    start = html.index(f'data-changeset="{changeset}"')
    ends = [i for i in (html.find('<li class="change"', start), html.find("</ol>", start)) if i != -1]
    return html[start : min(ends)]


def _description(cur, changeset: str) -> dict[str, set[str]]:
    rows = cur.store.query(
        f"SELECT ?p ?o WHERE {{ GRAPH <{TEST_BASE}graph/metadata> {{ <{TEST_BASE}graph/changes/{changeset}> ?p ?o }} }}"
    )
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["p"].value, set()).add(row["o"].value)
    return found


def _committed(cur) -> list[str]:
    return [e.id for e in cur.app.extensions["zkg.curator"].log.committed()]


class _Fields(HTMLParser):
    """The form fields of a page a person fills in, and the labels naming them."""

    def __init__(self):
        super().__init__()
        self.fields: list[dict] = []
        self.label_for: set[str] = set()
        self.open_labels = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.label_for.add(attributes["for"])
        elif tag in ("input", "textarea", "select") and attributes.get("type") not in ("hidden", "submit"):
            self.fields.append({**attributes, "_wrapped": self.open_labels > 0})

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1


def unlabelled_fields(html: str) -> list[str]:
    parser = _Fields()
    parser.feed(html)
    return [f.get("name", "?") for f in parser.fields if not (f["_wrapped"] or f.get("id") in parser.label_for)]


def _confirmation(cur, changeset: str, **query):
    return cur.client.get(f"/changes/{changeset}/revert", query_string=query)


# -- history rows -------------------------------------------------------------------------------------


def test_rows_show_the_statements_by_their_labels_with_source_and_message(cur):
    changeset = _write(
        cur,
        f'INSERT DATA {{ {ALICE} schema:jobTitle "Director"@en ; schema:knows <{TEST_BASE}id/bob> ; '
        'schema:birthDate "1970-02"^^xsd:gYearMonth ; zkg:publications 43 }',
        message="from the staff list",
    )
    for path in (HISTORY, "/changes", f"/changes/{changeset}", ALICE_PAGE):
        html = cur.client.get(path).get_data(as_text=True)
        row = _row(html, changeset)
        assert row.count('class="statement statement-added"') == 4, path
        assert 'href="/page/id/alice" title="id:alice">Alice</a>' in row, path  # the subject, linked
        assert ">job title</a>" in row and 'title="schema:jobTitle"' in row, path  # the property's name
        assert 'lang="en">Director</span> <span class="tag" title="language">en</span>' in row, path
        assert 'href="/page/id/bob" title="id:bob">Bob</a>' in row, path  # an entity value, linked
        assert 'February 1970</span> <span class="tag" title="datatype">month</span>' in row, path
        assert '>43</span> <span class="tag" title="datatype">integer</span>' in row, path
        assert f'<a class="change-source" href="{SOURCE}">' in row and "from the staff list" in row, path
        assert 'by <span class="change-agent">alice</span>' in row, path


def test_a_correction_shows_the_old_value_removed_where_it_was_and_the_new_one(cur):
    changeset = _write(
        cur,
        f'DELETE DATA {{ GRAPH graph:example-source {{ {ALICE} schema:name "Alice"@en }} }} ; '
        f'INSERT DATA {{ {ALICE} schema:name "Alice Liddell"@en }}',
    )
    row = _row(cur.client.get(HISTORY).get_data(as_text=True), changeset)
    removed, added = row.index("statement-removed"), row.index("statement-added")
    assert removed < added  # the old value first
    assert ">Alice</span>" in row[removed:added] and 'class="statement-graph muted">in ' in row[removed:added]
    assert 'href="/page/graph/example-source"' in row[removed:added]  # the source graph it was removed from
    assert "Alice Liddell" in row[added:] and "statement-graph" not in row[added:]  # the changeset's own graph


def test_labels_follow_the_readers_language(cur):
    changeset = _write(cur, f'INSERT DATA {{ {ALICE} schema:jobTitle "Director"@en }}')
    english = cur.client.get(HISTORY)
    chinese = cur.client.get(HISTORY, headers={"Accept-Language": "zh"})
    assert ">Alice</a>" in _row(english.get_data(as_text=True), changeset)
    assert ">爱丽丝</a>" in _row(chinese.get_data(as_text=True), changeset)
    assert english.headers["ETag"] != chinese.headers["ETag"] and "Accept-Language" in chinese.headers["Vary"]


def test_a_long_changeset_shows_ten_statements_and_says_how_many_more(cur):
    titles = " ".join(f'{ALICE} schema:jobTitle "Title {n:02}"@en .' for n in range(12))
    changeset = _write(cur, f"INSERT DATA {{ {titles} }}")
    row = _row(cur.client.get("/changes").get_data(as_text=True), changeset)
    assert row.count('class="statement statement-added"') == 10
    assert f'and 2 more statements: <a href="/changes/{changeset}">see them all</a>' in row
    page = _row(cur.client.get(f"/changes/{changeset}").get_data(as_text=True), changeset)
    assert page.count('class="statement statement-added"') == 12 and "more statement" not in page


# -- the revert's confirmation ------------------------------------------------------------------------


def test_only_curators_see_the_confirmation(cur):
    changeset = _write(cur, f'INSERT DATA {{ {ALICE} schema:jobTitle "Director"@en }}')
    assert "data-revert" not in cur.client.get(HISTORY).get_data(as_text=True)  # no revert link for readers
    anonymous = _confirmation(cur, changeset)
    assert anonymous.status_code == 403 and "/sign-in?next=" in anonymous.get_data(as_text=True)
    assert 'id="revert-form"' not in anonymous.get_data(as_text=True)
    assert _confirmation(cur, "20990101T000000000000Z-00000000").status_code == 404
    sign_in(cur)
    assert _confirmation(cur, "20990101T000000000000Z-00000000").status_code == 404
    link = re.search(
        r'<a class="button button-small revert-link" data-revert="([^"]+)"\s+href="([^"]+)"',
        cur.client.get(HISTORY).get_data(as_text=True),
    )
    assert link and link.group(1) == changeset and link.group(2).startswith(f"/changes/{changeset}/revert?next=")


def test_the_confirmation_shows_the_dry_run_and_changes_nothing(cur):
    changeset = _write(
        cur, f'INSERT DATA {{ {ALICE} schema:jobTitle "Director"@en ; schema:knows <{TEST_BASE}id/bob> }}'
    )
    sign_in(cur)
    before, logged = cur.store.dump(format="nquads"), _committed(cur)
    page = _confirmation(cur, changeset, next=HISTORY)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    would = html[html.index("What the revert would do") : html.index('id="revert-form"')]
    assert "It would remove" in would and would.count("statement-removed") == 2 and "It would add back" not in would
    assert ">job title</a>" in would and 'href="/page/id/bob" title="id:bob">Bob</a>' in would
    assert "It would be accepted" in would
    start = html.index('id="revert-form"')
    form = html[start : html.index("</form>", start)]
    assert 'name="reason"' in form and " required" in form and 'name="source"' in form
    assert f'name="next" value="{HISTORY.replace("&", "&amp;")}"' in form and 'name="csrf_token"' in form
    assert unlabelled_fields(html) == []
    assert cur.store.dump(format="nquads") == before and _committed(cur) == logged  # nothing written
    # The dry run's changeset was never written: the page links to no changeset but real ones.
    linked = set(re.findall(r'href="/changes/([^"/?]+)', html))
    assert linked and linked <= set(_committed(cur))


def test_the_shapes_verdict_warnings_and_a_refused_revert(cur):
    # Dan's comment, then his type and name: reverting the comment leaves a person without
    # a description (a warning). Carol's name, then her type: reverting the name leaves a
    # person without a name (a violation): the revert would be refused, and no form is offered.
    comment = _write(cur, 'INSERT DATA { id:dan rdfs:comment "A curator."@en }')
    _write(cur, 'INSERT DATA { id:dan a schema:Person ; schema:name "Dan"@en }')
    name = _write(cur, 'INSERT DATA { id:carol schema:name "Carol"@en }')
    _write(cur, "INSERT DATA { id:carol a schema:Person }")
    # Bob has no description already: a revert touching him causes nothing, and says so apart.
    bobs = _write(cur, 'INSERT DATA { id:bob schema:jobTitle "Researcher"@en }')
    sign_in(cur)
    warned = _confirmation(cur, comment).get_data(as_text=True)
    assert "with 1 warning (not blocking)" in warned and "a person should have a description" in warned
    assert 'id="revert-form"' in warned and "Already in the graph" not in warned
    assert 'href="/page/id/dan">Dan</a>:' in warned  # the focus node by its label, linked
    untouched = _confirmation(cur, bobs).get_data(as_text=True)
    assert "it causes no violation and no warning" in untouched and 'id="revert-form"' in untouched
    already = untouched[untouched.index("Already in the graph before this revert") :]
    assert "Warning on" in already and ">Bob</a>" in already and "a person should have a description" in already
    refused = _confirmation(cur, name)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "The revert would be refused" in html and "a person needs a name" in html
    assert 'id="revert-form"' not in html
    before = cur.store.dump(format="nquads")
    posted = cur.client.post(f"/changes/{name}/revert", data={"csrf_token": csrf_of(html), "reason": "wrong name"})
    assert posted.status_code == 422 and "a person needs a name" in posted.get_data(as_text=True)
    assert cur.store.dump(format="nquads") == before


def test_a_changeset_reverted_already_or_changed_since_cannot_be_confirmed(cur):
    first = _write(cur, f'INSERT DATA {{ {ALICE} schema:jobTitle "Director"@en }}')
    _write(
        cur, f'DELETE DATA {{ GRAPH <{TEST_BASE}graph/changes/{first}> {{ {ALICE} schema:jobTitle "Director"@en }} }}'
    )
    sign_in(cur)
    stale = _confirmation(cur, first)
    assert stale.status_code == 409 and "cannot be reverted" in stale.get_data(as_text=True)
    assert 'id="revert-form"' not in stale.get_data(as_text=True)


# -- the revert itself ---------------------------------------------------------------------------------


def test_a_revert_without_a_reason_is_refused_and_writes_nothing(cur):
    changeset = _write(cur, f'INSERT DATA {{ {ALICE} schema:jobTitle "Director"@en }}')
    sign_in(cur)
    html = _confirmation(cur, changeset).get_data(as_text=True)
    before, logged = cur.store.dump(format="nquads"), _committed(cur)
    for reason in ("", "   \n "):
        refused = cur.client.post(
            f"/changes/{changeset}/revert",
            data={"csrf_token": csrf_of(html), "reason": reason, "source": "notes of 2 May", "next": HISTORY},
        )
        page = refused.get_data(as_text=True)
        assert refused.status_code == 400
        field = page[page.index('id="revert-reason"') : page.index('id="revert-source"')]
        assert 'aria-invalid="true"' in field and 'id="revert-reason-error"' in field
        assert "give the reason for reverting" in field
        assert 'value="notes of 2 May"' in page  # what was typed is kept
        assert "It would remove" in page and unlabelled_fields(page) == []
    assert cur.store.dump(format="nquads") == before and _committed(cur) == logged


def test_a_revert_records_its_curator_its_reason_and_no_borrowed_source(cur):
    before = cur.store.dump(format="nquads")
    changeset = _write(cur, f'INSERT DATA {{ {ALICE} schema:jobTitle "Director"@en }}', message="the staff list")
    sign_in(cur)
    html = _confirmation(cur, changeset, next=HISTORY).get_data(as_text=True)
    done = cur.client.post(
        f"/changes/{changeset}/revert",
        data={"csrf_token": csrf_of(html), "reason": "  the staff list is of 2019  ", "next": HISTORY},
    )
    assert done.status_code == 303 and done.headers["Location"] == HISTORY
    assert not cur.store.query(f"ASK {{ {ALICE} schema:jobTitle ?t }}")
    revert = _committed(cur)[-1]
    said = _description(cur, revert)
    assert said[PROV + "wasAttributedTo"] == {f"{TEST_BASE}id/agent/alice"}  # the signed-in curator's token
    assert said[RDFS + "comment"] == {"the staff list is of 2019"}  # its own reason, not "revert <id>"
    assert said[f"{TEST_BASE}def/reverts"] == {f"{TEST_BASE}graph/changes/{changeset}"}
    assert PROV + "wasDerivedFrom" not in said and DCTERMS + "bibliographicCitation" not in said  # SOURCE not borrowed
    history = cur.client.get(HISTORY).get_data(as_text=True)
    row = _row(history, revert)
    assert (
        "no source" in row and "the staff list is of 2019" in row and f'reverts <a href="/changes/{changeset}"' in row
    )
    assert row.count("statement-removed") == 1 and ">Director</span>" in row
    assert "statement-graph" not in row  # the reverted changeset's own graph: "reverts …" says it
    assert f'reverted by <a href="/changes/{revert}">' in _row(history, changeset)
    feed = cur.client.get("/changes?format=atom").get_data(as_text=True)
    assert f"no source; reverts {changeset}; the staff list is of 2019" in feed
    data = {line for line in cur.store.dump(format="nquads").decode().splitlines() if "/graph/metadata>" not in line}
    assert data == {line for line in before.decode().splitlines() if "/graph/metadata>" not in line}


def test_a_source_given_with_the_reason_is_recorded(cur):
    changeset = _write(cur, f'INSERT DATA {{ {ALICE} schema:jobTitle "Director"@en }}')
    sign_in(cur)
    html = _confirmation(cur, changeset).get_data(as_text=True)
    done = cur.client.post(
        f"/changes/{changeset}/revert",
        data={"csrf_token": csrf_of(html), "reason": "she left", "source": "https://example.org/annual-report"},
    )
    assert done.status_code == 303 and done.headers["Location"] == f"/changes/{changeset}"  # no next: its page
    said = _description(cur, _committed(cur)[-1])
    assert said[PROV + "wasDerivedFrom"] == {"https://example.org/annual-report"}
    assert said[RDFS + "comment"] == {"she left"}


def test_the_revert_form_is_refused_without_the_sessions_csrf_token_or_a_session(cur):
    changeset = _write(cur, f'INSERT DATA {{ {ALICE} schema:jobTitle "Director"@en }}')
    before = cur.store.dump(format="nquads")
    anonymous = cur.client.post(f"/changes/{changeset}/revert", data={"reason": "x"})
    assert anonymous.status_code == 403
    sign_in(cur)
    forged = cur.client.post(f"/changes/{changeset}/revert", data={"reason": "x", "csrf_token": "forged"})
    assert forged.status_code == 403 and cur.store.dump(format="nquads") == before


# -- dry runs over HTTP: no link to a changeset that was never written ---------------------------------------


def test_graph_store_dry_runs_point_to_no_changeset(cur):
    body = f'{ALICE} <{SCHEMA}jobTitle> "Director"@en .'
    for method in ("PUT", "POST"):
        dry = cur.client.open(
            "/graph-store",
            method=method,
            query_string={"graph": "http://example.org/g/people"},
            data=body,
            headers={**cur.auth(), "Content-Type": "text/turtle", "ZKG-Dry-Run": "1"},
        )
        text = dry.get_data(as_text=True)
        assert dry.status_code == 200 and text.startswith("dry run: nothing written"), (method, text)
        assert not {"Link", "ZKG-Changeset", "Location"} & set(dry.headers.keys()), method
        assert "/changes/" not in text, method
    assert not cur.store.query("ASK { GRAPH <http://example.org/g/people> { ?s ?p ?o } }")
    written = cur.client.put(
        "/graph-store",
        query_string={"graph": "http://example.org/g/people"},
        data=body,
        headers={**cur.auth(), "Content-Type": "text/turtle"},
    )
    assert written.status_code == 201 and f"/changes/{written.headers['ZKG-Changeset']}" in written.headers["Link"]
