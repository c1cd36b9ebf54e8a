"""Curation in the browser, through Flask's test client: sign-in with a token (session cookie
flags), CSRF (token and Origin), the add and correct forms on entity pages, revert buttons,
caching of the pages curators see. The headless-browser round trip is in
test_curation_browser.py."""

from __future__ import annotations

import re

from markupsafe import escape

from tests.support.curation_testing import ALICE_PAGE, SOURCE, csrf_of, sign_in
from tests.support.zkg_testing import TEST_BASE


def has(cur, pattern: str) -> bool:
    return bool(cur.store.query(f"ASK {{ {pattern} }}"))


def test_sign_in_sets_a_strict_http_only_session_cookie(cur):
    response = sign_in(cur)
    assert response.status_code == 303 and response.headers["Location"].endswith(ALICE_PAGE)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie  # plain http here
    assert cur.write_token not in cookie
    page = cur.client.get(ALICE_PAGE)
    html = page.get_data(as_text=True)
    assert 'id="add-statement"' in html and "alice" in html
    assert page.headers["Cache-Control"] == "private, no-store" and "ETag" not in page.headers
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_session_cookie_is_secure_over_https(cur):
    form = cur.client.get("/sign-in", base_url="https://localhost").get_data(as_text=True)
    response = cur.client.post(
        "/sign-in", base_url="https://localhost", data={"token": cur.write_token, "csrf_token": csrf_of(form)}
    )
    assert "Secure" in response.headers["Set-Cookie"]


def test_bad_and_read_only_tokens_do_not_sign_in(cur):
    assert sign_in(cur, "zkg_wrong").status_code == 401
    assert sign_in(cur, cur.read_token).status_code == 403
    assert 'id="add-statement"' not in cur.client.get(ALICE_PAGE).get_data(as_text=True)


def test_anonymous_entity_page_links_history_and_sign_in_and_runs_no_script(cur):
    page = cur.client.get(ALICE_PAGE)
    html = page.get_data(as_text=True)
    assert "/history?iri=" in html and "/sign-in?next=" in html and 'id="add-statement"' not in html
    assert "script-src" not in page.headers["Content-Security-Policy"] and page.headers.get("ETag")


def add_form(cur, **fields):
    html = cur.client.get(ALICE_PAGE).get_data(as_text=True)
    data = {
        "csrf_token": csrf_of(html),
        "subject": f"{TEST_BASE}id/alice",
        "property": "schema:knows",
        "kind": "entity",
        "value": "Bob",
        "source": SOURCE,
        "message": "met at the fair",
    }
    data.update(fields)
    return data


def test_add_a_statement_by_labels_then_revert_it(cur):
    sign_in(cur)
    before = cur.store.dump(format="nquads")
    response = cur.client.post("/curate/statement", data=add_form(cur, property="schema:birthPlace", value="Bob"))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert has(cur, f"GRAPH ?g {{ <{TEST_BASE}id/alice> <https://schema.org/birthPlace> <{TEST_BASE}id/bob> }}")
    html = cur.client.get(ALICE_PAGE).get_data(as_text=True)
    assert "Added: changeset" in html and SOURCE in html
    changeset = re.search(r'data-revert="([^"]+)"', html).group(1)
    reverted = cur.client.post(
        f"/changes/{changeset}/revert", data={"csrf_token": csrf_of(html), "next": ALICE_PAGE, "reason": "a test"}
    )
    assert reverted.status_code == 303
    assert not has(cur, f"GRAPH ?g {{ <{TEST_BASE}id/alice> <https://schema.org/birthPlace> ?o }}")
    assert _data_quads(cur) == _data_quads_of(before)


def _data_quads(cur):
    return _data_quads_of(cur.store.dump(format="nquads"))


def _data_quads_of(dump: bytes) -> set[str]:
    # Everything but the record of changesets (kept as history) must be as before.
    return {
        line
        for line in dump.decode().splitlines()
        if "/graph/changes/" not in line and "/id/agent/" not in line and "/graph/metadata>" not in line
    }


def test_values_typed_and_by_label(cur):
    sign_in(cur)
    for fields, pattern in [
        ({"property": "schema:jobTitle", "kind": "text", "value": "Director", "language": "en"}, '"Director"@en'),
        ({"property": "zkg:publications", "kind": "number", "value": "43"}, "43"),
        ({"property": "schema:birthDate", "kind": "date", "value": "1970-02"}, '"1970-02"^^xsd:gYearMonth'),
        ({"property": "schema:knows", "kind": "entity", "value": f"Bob <{TEST_BASE}id/bob>"}, "id:bob"),
    ]:
        response = cur.client.post("/curate/statement", data=add_form(cur, **fields))
        assert response.status_code == 303, (fields, response.get_data(as_text=True))
        prop = fields["property"]
        assert has(cur, f"GRAPH ?g {{ id:alice {prop} {pattern} }}"), fields


def test_form_errors_are_readable(cur):
    sign_in(cur)
    no_source = cur.client.post("/curate/statement", data=add_form(cur, source=""))
    assert no_source.status_code == 400 and "source is required" in no_source.get_data(as_text=True)
    unknown = cur.client.post("/curate/statement", data=add_form(cur, value="Nobody At All"))
    assert unknown.status_code == 400 and "no entity is called" in unknown.get_data(as_text=True)
    bad_number = cur.client.post("/curate/statement", data=add_form(cur, kind="number", value="many"))
    assert bad_number.status_code == 400 and "not a number" in bad_number.get_data(as_text=True)


def test_rejected_form_shows_the_report(cur):
    sign_in(cur)
    # Alice's role must come from the role scheme (RoleShape): a person is no role.
    response = cur.client.post("/curate/statement", data=add_form(cur, property="zkg:role", value="Bob"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was written" in html and "a role must come from the role scheme" in html


def test_correct_a_value_and_a_stale_correction(cur):
    sign_in(cur)
    html = cur.client.get(ALICE_PAGE).get_data(as_text=True)
    statement = f'<{TEST_BASE}id/alice> <https://schema.org/name> "Alice"@en <{TEST_BASE}graph/example-source> .'
    assert str(escape(statement)) in html  # offered in the list of statements to correct
    data = {
        "csrf_token": csrf_of(html),
        "subject": f"{TEST_BASE}id/alice",
        "kind": "same",
        "replaces": statement,
        "value": "Alice Liddell",
        "source": SOURCE,
    }
    assert cur.client.post("/curate/statement", data=data).status_code == 303
    assert has(cur, 'GRAPH ?g { id:alice schema:name "Alice Liddell"@en }')
    assert not has(cur, 'GRAPH ?g { id:alice schema:name "Alice"@en }')
    stale = cur.client.post("/curate/statement", data={**data, "value": "Alice L."})
    assert stale.status_code == 409 and "has changed" in stale.get_data(as_text=True)


def test_csrf_token_is_required(cur):
    sign_in(cur)
    data = add_form(cur)
    data.pop("csrf_token")
    assert cur.client.post("/curate/statement", data=data).status_code == 403
    assert cur.client.post("/curate/statement", data={**data, "csrf_token": "forged"}).status_code == 403
    assert not has(
        cur, f"GRAPH ?g {{ <{TEST_BASE}id/alice> <https://schema.org/knows> ?who FILTER(?who != <{TEST_BASE}id/bob>) }}"
    )


def test_foreign_origin_is_refused(cur):
    sign_in(cur)
    before = cur.store.dump(format="nquads")
    response = cur.client.post(
        "/curate/statement",
        data=add_form(cur, property="schema:birthPlace"),
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403 and "another site" in response.get_data(as_text=True)
    cross = cur.client.post(
        "/curate/statement", data=add_form(cur, property="schema:birthPlace"), headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    assert cur.store.dump(format="nquads") == before


def test_forms_need_a_signed_in_curator(cur):
    form = cur.client.get("/sign-in").get_data(as_text=True)  # a session with a CSRF token, not signed in
    data = {
        "csrf_token": csrf_of(form),
        "subject": f"{TEST_BASE}id/alice",
        "property": "schema:knows",
        "value": "Bob",
        "source": SOURCE,
    }
    assert cur.client.post("/curate/statement", data=data).status_code == 403


def test_revoked_token_ends_the_session(cur):
    from zkg.curation import tokens

    sign_in(cur)
    assert 'id="add-statement"' in cur.client.get(ALICE_PAGE).get_data(as_text=True)
    tokens.revoke(cur.app.config["ZKG_SETTINGS"].data, "alice")
    assert 'id="add-statement"' not in cur.client.get(ALICE_PAGE).get_data(as_text=True)


def test_sign_out(cur):
    sign_in(cur)
    html = cur.client.get(ALICE_PAGE).get_data(as_text=True)
    assert cur.client.post("/sign-out", data={"csrf_token": csrf_of(html)}).status_code == 303
    assert 'id="add-statement"' not in cur.client.get(ALICE_PAGE).get_data(as_text=True)
