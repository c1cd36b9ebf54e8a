"""Web safety: security headers on every response (pages, data, errors, writes), data that
cannot run script (javascript: IRIs are never links), tokens that never reach the logs, and
the per-client rate limit (429 with Retry-After)."""

from __future__ import annotations

import logging
import re

import pyoxigraph as ox
import pytest

from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE, add_as_loaded
from zkg.base.settings import Settings
from zkg.store.local import Store
from zkg.web.security import DEFAULT_SECURITY_POLICY, RateLimiter, rate_limit_from

ALICE = f"{TEST_BASE}id/alice"

#: (method, path, body or None): pages, data, the endpoint, errors of every kind.
ROUTES = [
    ("GET", "/", None),
    ("GET", "/search?q=alice", None),
    ("GET", "/search?q=", None),
    ("GET", "/id/alice", None),
    ("GET", "/page/id/alice", None),
    ("GET", "/data/id/alice.ttl", None),
    ("GET", "/id/no-such-thing", None),
    ("GET", "/page/id/no-such-thing", None),
    ("GET", "/def/", None),
    ("GET", "/sparql", None),
    ("GET", "/sparql?query=ASK%7B%7D", None),
    ("GET", "/sparql?query=SELEC", None),
    ("POST", "/sparql", b"ASK {}"),
    ("GET", "/sparql/limits", None),
    ("GET", "/.well-known/void", None),
    ("GET", "/sparql/terms.json", None),
    ("GET", "/sparql/complete?prefix=a", None),
    ("GET", "/queries", None),
    ("GET", "/queries/no-such-query", None),
    ("GET", "/openapi.json", None),
    ("GET", "/reconcile", None),
    ("GET", "/reconcile/properties", None),
    ("GET", "/graph-store?default", None),
    ("PUT", "/graph-store?default", b"<a:b> <a:c> <a:d> ."),
    ("GET", "/sign-in", None),
    ("GET", "/history", None),
    ("GET", "/changes", None),
    ("GET", "/changes/nope", None),
    ("GET", "/no/such/route", None),
    ("DELETE", "/", None),
    ("GET", "/static/no-such-file.css", None),
]


@pytest.mark.parametrize("method,path,body", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_every_response_has_the_security_headers(client, method, path, body):
    response = client.open(
        path, method=method, data=body, headers={"Content-Type": "application/sparql-query"} if body else {}
    )
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"]
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy or "frame-ancestors 'none'" in policy
    assert headers["X-Frame-Options"] in ("SAMEORIGIN", "DENY")


def test_pages_keep_their_own_policy_and_others_get_the_default(client):
    editor = client.get("/sparql", headers={"Accept": "text/html"})
    if editor.status_code == 200 and editor.mimetype == "text/html":
        assert "script-src 'self'" in editor.headers["Content-Security-Policy"]
    data = client.get("/openapi.json")
    assert data.headers["Content-Security-Policy"] == DEFAULT_SECURITY_POLICY


def test_the_reconciliation_preview_may_be_framed_by_openrefine(client):
    response = client.get("/reconcile/preview", query_string={"id": "alice"})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors" not in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers


def test_default_policy_runs_no_inline_script_and_frames_nowhere_else():
    assert "'unsafe-inline'" not in DEFAULT_SECURITY_POLICY and "'unsafe-eval'" not in DEFAULT_SECURITY_POLICY
    assert "object-src 'none'" in DEFAULT_SECURITY_POLICY and "frame-ancestors 'self'" in DEFAULT_SECURITY_POLICY


# -- data that could run script -----------------------------------------------------------------

HOSTILE_IRIS = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)".strip(),
    "javascript://%0aalert(1)",
    "data:text/html,%3Cscript%3Ealert(1)%3C/script%3E",
    "vbscript:msgbox(1)",
]


@pytest.fixture
def hostile_app(tmp_path):
    from zkg.web import create_app

    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    graph = ox.NamedNode(f"{TEST_BASE}graph/example-source")
    subject = ox.NamedNode(f"{TEST_BASE}id/mallory")
    ox_store = store.oxigraph
    add_as_loaded(
        ox_store,
        ox.Quad(
            subject,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode("https://schema.org/Person"),
            graph,
        ),
    )
    add_as_loaded(
        ox_store,
        ox.Quad(
            subject,
            ox.NamedNode("https://schema.org/name"),
            ox.Literal("<script>alert('name')</script>", language="en"),
            graph,
        ),
    )
    for iri in HOSTILE_IRIS:
        add_as_loaded(ox_store, ox.Quad(subject, ox.NamedNode("https://schema.org/sameAs"), ox.NamedNode(iri), graph))
        add_as_loaded(ox_store, ox.Quad(subject, ox.NamedNode("https://schema.org/url"), ox.Literal(iri), graph))
    settings = Settings.from_env(environ={}, base_iri=TEST_BASE, data=tmp_path / "unused")
    return create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": store, "TESTING": True})


def _links(html: str) -> list[str]:
    return re.findall(r"""(?:href|src|action)\s*=\s*["']?([^"' >]*)""", html, flags=re.I)


def _assert_no_script(html: str) -> None:
    for target in _links(html):
        scheme = target.strip().split(":", 1)[0].lower() if ":" in target else ""
        assert scheme not in ("javascript", "vbscript", "data"), f"a link to {target!r}"
    assert "<script>alert" not in html


@pytest.mark.parametrize(
    "path",
    [
        "/page/id/mallory",
        "/search?q=mallory",
        "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
        "/reconcile/preview?id=mallory",
    ],
)
def test_javascript_iris_and_script_literals_are_never_live_in_pages(hostile_app, path):
    response = hostile_app.test_client().get(path, headers={"Accept": "text/html"})
    assert response.status_code < 500
    html = response.get_data(as_text=True)
    _assert_no_script(html)
    if path == "/page/id/mallory":
        assert response.status_code == 200
        assert "javascript:alert(1)" in html  # shown as text, not linked
        assert "&lt;script&gt;" in html


def test_canned_and_sparql_html_results_do_not_link_javascript_iris(hostile_app):
    query = "SELECT ?o WHERE { ?s <https://schema.org/sameAs> ?o }"
    response = hostile_app.test_client().get("/sparql", query_string={"query": query}, headers={"Accept": "text/html"})
    assert response.status_code < 500
    _assert_no_script(response.get_data(as_text=True))


def test_a_javascript_source_in_the_history_is_not_a_link(cur):
    for source in ("javascript://%0aalert(1)", "javascript:alert(1)"):
        response = cur.update(
            f'INSERT DATA {{ <{ALICE}> <https://schema.org/jobTitle> "X{len(source)}"@en }}', **{"ZKG-Source": source}
        )
        assert response.status_code in (200, 400), response.get_data(as_text=True)
    for path in ("/changes", f"/history?iri={ALICE}"):
        page = cur.client.get(path, headers={"Accept": "text/html"})
        assert page.status_code < 500
        _assert_no_script(page.get_data(as_text=True))


# -- tokens never reach the logs ---------------------------------------------------------------------


def test_tokens_never_appear_in_the_logs(cur, caplog):
    caplog.set_level(logging.DEBUG)
    cur.update(f'INSERT DATA {{ <{ALICE}> <https://schema.org/jobTitle> "Logged"@en }}')
    cur.update("INSERT DATA { this is not sparql }")
    cur.update(f'INSERT DATA {{ <{ALICE}> <https://schema.org/jobTitle> "Y"@en }}', token=cur.read_token)
    cur.update(f'INSERT DATA {{ <{ALICE}> <https://schema.org/jobTitle> "Z"@en }}', token=cur.write_token + "x")
    cur.client.put("/graph-store?default", data=b"not turtle", headers={**cur.auth(), "Content-Type": "text/turtle"})
    cur.client.post("/sign-in", data={"token": cur.write_token})
    cur.client.post("/sign-in", data={"token": "zkg_wrong"})
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in (cur.write_token, cur.read_token, cur.write_token.split("_", 1)[-1]):
        assert secret not in text


# -- rate limit ------------------------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(tmp_path, read_store):
    from zkg.web import create_app

    settings = Settings.from_env(environ={}, base_iri=TEST_BASE, data=tmp_path / "unused")
    app = create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": read_store, "TESTING": True, "ZKG_RATE_LIMIT": 5})
    client = app.test_client()
    statuses = [client.get("/sparql/limits").status_code for _ in range(5)]
    assert statuses == [200] * 5
    refused = client.get("/sparql/limits")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 12
    assert "ZKG_RATE_LIMIT" in refused.get_data(as_text=True)
    assert refused.headers["X-Content-Type-Options"] == "nosniff"
    other = client.get("/sparql/limits", environ_overrides={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200  # per client


def test_rate_limit_zero_disables_it(tmp_path, read_store):
    from zkg.web import create_app

    settings = Settings.from_env(environ={}, base_iri=TEST_BASE, data=tmp_path / "unused")
    app = create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": read_store, "TESTING": True, "ZKG_RATE_LIMIT": "0"})
    client = app.test_client()
    assert all(client.get("/sparql/limits").status_code == 200 for _ in range(50))
    assert "zkg.rate_limiter" not in app.extensions


def test_token_bucket_refills_at_the_rate():
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])  # one a second, burst of 60
    assert all(limiter.take("a") == 0 for _ in range(60))
    wait = limiter.take("a")
    assert 0 < wait <= 1.0
    now[0] += 1.0
    assert limiter.take("a") == 0
    assert limiter.take("a") > 0
    now[0] += 1000
    assert all(limiter.take("a") == 0 for _ in range(60))


def test_rate_limit_setting_values():
    assert rate_limit_from({}, environ={"ZKG_RATE_LIMIT": "0"}) == 0
    assert rate_limit_from({"ZKG_RATE_LIMIT": 30}, environ={"ZKG_RATE_LIMIT": "9"}) == 30
    from zkg.base.errors import SettingsError

    with pytest.raises(SettingsError):
        rate_limit_from({}, environ={"ZKG_RATE_LIMIT": "lots"})
