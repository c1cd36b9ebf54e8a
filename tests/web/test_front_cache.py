"""The front cache (zkg.web.front_cache): answers the app keeps per dataset version, served
again before Flask. What it must hold: the same response as the app's, never older than the
last write, HTTP's cache key (URL + the headers named in Vary), nothing personal kept, the
rate limit taken once per request. The live, two-worker case is in
tests/hardening/test_abuse_live.py."""

from __future__ import annotations

import pytest
from flask import request_started

from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE
from zkg.base.settings import Settings
from zkg.store.local import Store
from zkg.web.front_cache import FrontCache, mark_shareable

ZPARK = TEST_BASE + "id/z-park"


# -- the WSGI layer alone ------------------------------------------------------------------------


class App:
    """A WSGI app that says what the front cache needs, and counts its calls."""

    def __init__(self, *, tag="v1", status="200 OK", headers=(("Content-Type", "text/plain"),), mark=True):
        self.tag, self.status, self.headers, self.mark = tag, status, list(headers), mark
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        if self.mark:
            mark_shareable(environ, self.tag)
        start_response(self.status, list(self.headers))
        return [f"{self.calls}:{environ.get('HTTP_ACCEPT', '')}".encode()]


def call(front, path="/a", **environ):
    seen = {}
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", **environ}
    body = b"".join(front(env, lambda status, headers, exc_info=None: seen.update(status=status, headers=headers)))
    return seen["status"], dict(seen["headers"]), body


def test_a_marked_answer_is_served_again_without_the_app():
    app = App()
    front = FrontCache(app, version_tag=lambda: "v1")
    first = call(front)
    assert [call(front) for _ in range(5)] == [first] * 5
    assert app.calls == 1


def test_a_new_dataset_version_is_a_miss():
    app, version = App(), ["v1"]
    front = FrontCache(app, version_tag=lambda: version[0])
    assert call(front)[2] == b"1:"
    version[0] = app.tag = "v2"  # a write
    assert call(front)[2] == b"2:" and call(front)[2] == b"2:"
    assert app.calls == 2


def test_an_answer_marked_with_an_older_version_than_now_is_never_served():
    # The app built it before a write that landed meanwhile: kept, but never matched.
    app = App(tag="v1")
    front = FrontCache(app, version_tag=lambda: "v2")
    assert [call(front)[2] for _ in range(3)] == [b"1:", b"2:", b"3:"]


def test_unmarked_answers_go_to_the_app_every_time():
    app = App(mark=False)
    front = FrontCache(app, version_tag=lambda: "v1")
    assert [call(front)[2] for _ in range(3)] == [b"1:", b"2:", b"3:"]


def test_the_key_is_the_url_and_the_headers_named_in_vary():
    app = App(headers=[("Content-Type", "text/plain"), ("Vary", "Accept")])
    front = FrontCache(app, version_tag=lambda: "v1")
    assert call(front, HTTP_ACCEPT="text/turtle")[2] == b"1:text/turtle"
    assert call(front, HTTP_ACCEPT="application/ld+json")[2] == b"2:application/ld+json"
    assert call(front, HTTP_ACCEPT="text/turtle")[2] == b"1:text/turtle"
    assert call(front, HTTP_ACCEPT="text/turtle", HTTP_ACCEPT_LANGUAGE="zh")[2] == b"1:text/turtle"  # not in Vary
    assert call(front, "/b", HTTP_ACCEPT="text/turtle")[2] == b"3:text/turtle"
    assert call(front, "/a", QUERY_STRING="x=1", HTTP_ACCEPT="text/turtle")[2] == b"4:text/turtle"
    assert call(front, HTTP_ACCEPT="text/turtle", HTTP_HOST="other.example")[2] == b"5:text/turtle"
    assert app.calls == 5


@pytest.mark.parametrize(
    "header", ["HTTP_COOKIE", "HTTP_AUTHORIZATION", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_RANGE"]
)
def test_personal_and_conditional_requests_go_to_the_app(header):
    app = App()
    front = FrontCache(app, version_tag=lambda: "v1")
    call(front)
    assert call(front, **{header: "x"})[2] == b"2:"
    assert app.calls == 2


@pytest.mark.parametrize("method", ["HEAD", "POST", "PUT", "DELETE", "OPTIONS"])
def test_only_get_is_answered_in_front(method):
    app = App()
    front = FrontCache(app, version_tag=lambda: "v1")
    call(front)
    call(front, REQUEST_METHOD=method)
    assert app.calls == 2


@pytest.mark.parametrize(
    "status, header",
    [
        ("404 NOT FOUND", None),
        ("304 NOT MODIFIED", None),
        ("500 INTERNAL SERVER ERROR", None),
        ("200 OK", ("Set-Cookie", "session=x")),
        ("200 OK", ("Cache-Control", "private, no-store")),
        ("200 OK", ("Vary", "*")),
    ],
)
def test_what_is_never_kept(status, header):
    app = App(status=status, headers=[("Content-Type", "text/plain")] + ([header] if header else []))
    front = FrontCache(app, version_tag=lambda: "v1")
    call(front)
    call(front)
    assert app.calls == 2


def test_bodies_past_the_size_limit_are_not_kept_and_the_cache_is_bounded():
    app = App()
    front = FrontCache(app, version_tag=lambda: "v1", max_body=1)  # the answers are 2 bytes
    call(front), call(front)
    assert app.calls == 2
    front = FrontCache(App(), version_tag=lambda: "v1", entries=4)
    for i in range(20):
        call(front, f"/{i}")
    assert len(front) == 4


def test_a_hot_entry_survives_eviction():
    app = App()
    front = FrontCache(app, version_tag=lambda: "v1", entries=3)
    call(front, "/hot")
    for i in range(10):
        call(front, f"/{i}")
        call(front, "/hot")  # used between sweeps: kept
    assert app.calls == 11


class Limiter:
    def __init__(self, allowed):
        self.allowed, self.taken = allowed, 0

    def take(self, client):
        self.taken += 1
        return 0.0 if self.taken <= self.allowed else 7.5


def test_a_request_answered_in_front_takes_its_rate_token_and_a_refused_one_goes_to_the_app():
    limiter = Limiter(allowed=2)
    app = App()
    front = FrontCache(app, version_tag=lambda: "v1", limiter=lambda: limiter)
    call(front)  # the app answers (and would take the token itself): the front takes none
    assert limiter.taken == 0
    call(front)
    call(front)
    assert limiter.taken == 2 and app.calls == 1
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/a", "QUERY_STRING": ""}
    list(front(env, lambda *a: None))
    assert app.calls == 2 and env["zkg.rate_wait"] == 7.5  # the app says 429, without taking again


# -- in the app ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_store():
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR)
    return store


@pytest.fixture
def front_app(tmp_path, real_store):
    from zkg.web import create_app

    settings = Settings.from_env(environ={}, base_iri=TEST_BASE, data=tmp_path / "unused")
    app = create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": real_store, "TESTING": True, "ZKG_RATE_LIMIT": 0})
    flask_requests = []
    request_started.connect(lambda sender, **extra: flask_requests.append(1), app, weak=False)
    app.flask_requests = flask_requests
    return app


def snapshot(response):
    return response.status_code, sorted(response.headers.items()), response.get_data()


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/page/id/z-park", {"Accept": "text/html", "Accept-Language": "zh"}),
        ("/data/id/z-park.ttl", {}),
        ("/data/id/z-park", {"Accept": "application/ld+json"}),
        ("/search?q=zhongguancun&format=json", {}),
    ],
)
def test_the_app_answers_once_and_the_front_gives_the_same_response(front_app, path, headers):
    client = front_app.test_client()
    first = snapshot(client.get(path, headers=headers))
    assert first[0] == 200
    assert [snapshot(client.get(path, headers=headers)) for _ in range(3)] == [first] * 3
    assert len(front_app.flask_requests) == 1


def test_a_write_is_seen_at_once(front_app, real_store):
    client = front_app.test_client()
    before = client.get("/data/id/z-park.ttl").get_data(as_text=True)
    client.get("/data/id/z-park.ttl")
    assert "front-cache probe" not in before and len(front_app.flask_requests) == 1
    fact = f'GRAPH <{TEST_BASE}graph/reference> {{ <{ZPARK}> <https://schema.org/slogan> "front-cache probe"@en }}'
    real_store.update(f"INSERT DATA {{ {fact} }}")
    try:
        after = client.get("/data/id/z-park.ttl")
        assert "front-cache probe" in after.get_data(as_text=True) and len(front_app.flask_requests) == 2
        assert client.get("/data/id/z-park.ttl").get_data() == after.get_data()
        assert len(front_app.flask_requests) == 2
    finally:
        real_store.update(f"DELETE DATA {{ {fact} }}")
    assert "front-cache probe" not in client.get("/data/id/z-park.ttl").get_data(as_text=True)


def test_languages_and_formats_are_different_answers(front_app):
    client = front_app.test_client()
    english = client.get("/page/id/z-park", headers={"Accept-Language": "en"}).get_data()
    chinese = client.get("/page/id/z-park", headers={"Accept-Language": "zh"}).get_data()
    assert english != chinese
    assert client.get("/page/id/z-park", headers={"Accept-Language": "en"}).get_data() == english
    turtle = client.get("/data/id/z-park", headers={"Accept": "text/turtle"})
    json_ld = client.get("/data/id/z-park", headers={"Accept": "application/ld+json"})
    assert turtle.mimetype == "text/turtle" and json_ld.mimetype == "application/ld+json"
    assert client.get("/data/id/z-park", headers={"Accept": "text/turtle"}).mimetype == "text/turtle"


def test_revalidation_still_gets_a_304_from_the_app(front_app):
    client = front_app.test_client()
    etag = client.get("/data/id/z-park.ttl").headers["ETag"]
    client.get("/data/id/z-park.ttl")
    response = client.get("/data/id/z-park.ttl", headers={"If-None-Match": etag})
    assert response.status_code == 304 and len(front_app.flask_requests) == 2


def test_the_rate_limit_counts_answers_from_the_front(tmp_path, real_store):
    from zkg.web import create_app

    settings = Settings.from_env(environ={}, base_iri=TEST_BASE, data=tmp_path / "unused")
    app = create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": real_store, "TESTING": True, "ZKG_RATE_LIMIT": 3})
    client = app.test_client()
    answers = [client.get("/data/id/z-park.ttl") for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert "ZKG_RATE_LIMIT" in answers[-1].get_data(as_text=True) and answers[-1].headers["Retry-After"]
    assert answers[-1].headers["X-Content-Type-Options"] == "nosniff"


def test_an_error_is_never_kept(front_app):
    client = front_app.test_client()
    for _ in range(2):
        assert client.get("/page/id/no-such-thing").status_code == 404
    assert len(front_app.flask_requests) == 2


# -- what a response echoes is in its key --------------------------------------------------------


@pytest.mark.parametrize("path", ["/page/id/z-park", "/search?q=zhongguancun", "/page/id/z-park?lang=zh"])
def test_one_visitors_query_string_never_reaches_the_next_visitor(front_app, path):
    # Pages echo their own URL (the sign-in link's next=): kept under a key without the query
    # string, the first visitor's ?utm=… was in every later visitor's page.
    client = front_app.test_client()
    joiner = "&" if "?" in path else "?"
    poisoned = client.get(path + joiner + "utm_source=poison-campaign", headers={"Accept": "text/html"})
    assert poisoned.status_code == 200 and "poison-campaign" in poisoned.get_data(as_text=True)
    for _ in range(2):  # built by the app, then from the front cache
        clean = client.get(path, headers={"Accept": "text/html"})
        assert clean.status_code == 200 and "poison-campaign" not in clean.get_data(as_text=True)


def test_the_path_as_sent_and_the_host_are_in_the_key(front_app):
    client = front_app.test_client()
    assert "z-p%2561rk" in client.get("/page/id/z-p%61rk").get_data(as_text=True)  # the same page, spelt otherwise
    assert "z-p%2561rk" not in client.get("/page/id/z-park").get_data(as_text=True)
    other = client.get("/search?q=zhongguancun&format=json", headers={"Host": "other.example"})
    assert "other.example" in other.get_data(as_text=True)
    assert "other.example" not in client.get("/search?q=zhongguancun&format=json").get_data(as_text=True)
