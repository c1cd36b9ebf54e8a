"""What a cold page costs the store (issue 18): how many queries, and that zkg's own texts
are not read again by the lexer built for users' SPARQL (the trusted path,
:func:`zkg.rdf.sparql_scan.own_query_scan`). Counted, not timed: a regression fails here."""

from __future__ import annotations

import pytest

from tests.support.zkg_testing import TEST_BASE
from zkg.base.settings import Settings

#: The most queries a cold page sends: the IRI's resolution, the description's three
#: (own and incoming statements; the neighbours' types and labels; provenance), the
#: figures about the entity, and the labels the facts and figures need. It was eight.
PAGE_QUERIES = 6
#: A data document: the resolution and the description's three. It was five.
DOCUMENT_QUERIES = 4
#: The vocabulary's JSON-LD context, built by the first JSON-LD document of a dataset version
#: (issue 19) and kept for the version (zkg.web.http_caching.per_version).
CONTEXT_QUERIES = 1


@pytest.fixture
def counted(store, monkeypatch):
    """An app on the project's store whose caches keep nothing (every request is cold),
    and the list of (query text, trusted) the store was asked."""
    from zkg.web import create_app

    asked: list[tuple[str, bool]] = []
    query = store.query

    def counting(sparql, **options):
        asked.append((sparql, options.get("trusted", False)))
        return query(sparql, **options)

    monkeypatch.setattr(store, "query", counting)
    settings = Settings.from_env(environ={}, base_iri=TEST_BASE, data="/nonexistent", cache_bytes=1)
    app = create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": store, "TESTING": True})
    return app.test_client(), asked


@pytest.mark.parametrize("path", ["/page/id/z-park", "/page/id/luo-wei", "/page/id/zhongguancun-stanford-startup-fund"])
def test_a_cold_page_takes_few_queries_all_trusted(counted, lexed, path):
    client, asked = counted
    response = client.get(path)
    assert response.status_code == 200
    assert 0 < len(asked) <= PAGE_QUERIES, [text[:80] for text, _ in asked]
    assert all(trusted for _, trusted in asked), "a page's own queries take the trusted path"
    assert lexed == [], "no text of a page's is read by the lexer"
    # Cold every time: the same page again asks again, as many queries.
    before = len(asked)
    assert client.get(path).status_code == 200
    assert len(asked) - before == before


@pytest.mark.parametrize("extension", ["ttl", "jsonld", "nq"])
def test_a_cold_data_document_takes_few_queries(counted, lexed, extension):
    client, asked = counted
    assert client.get(f"/data/id/z-park.{extension}").status_code == 200
    assert 0 < len(asked) <= DOCUMENT_QUERIES + (CONTEXT_QUERIES if extension == "jsonld" else 0)
    assert all(trusted for _, trusted in asked) and lexed == []
    # Another document, cold too: the context is the version's, asked for once.
    before = len(asked)
    assert client.get(f"/data/id/luo-wei.{extension}").status_code == 200
    assert 0 < len(asked) - before <= DOCUMENT_QUERIES


def test_users_queries_are_still_read_by_the_guard(counted, lexed):
    client, asked = counted
    response = client.get("/sparql", query_string={"query": "SELECT ?n WHERE { id:z-park schema:name ?n }"})
    assert response.status_code == 200
    assert lexed, "a user's text is read by the guard's lexer"
    assert not any(trusted for _, trusted in asked)
