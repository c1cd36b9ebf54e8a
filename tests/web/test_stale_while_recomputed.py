"""A derived value of the whole dataset (the home page's counts, the model guide) that takes
long to compute again after a write does not hold readers (zkg.store.version.PerVersion with
a wait, zkg.web.http_caching.per_version): they get the figures of the version before within
FRESH_WAIT, on a page that says so and that no cache keeps or validates; once the new figures
are in, the page is the current version's again, with its ETag."""

from __future__ import annotations

import threading
import time

import pytest

from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE
from zkg.base.settings import Settings
from zkg.store.local import Store
from zkg.web import http_caching
from zkg.web.linked_data import home

NOTICE = "Some counts on this page are from just before the latest change"


@pytest.fixture
def slow_summary(monkeypatch):
    """The home summary, made to take 3 s while ``gate`` is set (a big dataset's cost)."""
    gate = threading.Event()
    computed = []
    real = home.summarise

    def summarise(store):
        if gate.is_set():
            time.sleep(3)
        computed.append(threading.current_thread().name)
        return real(store)

    monkeypatch.setattr(home, "summarise", summarise)
    return gate, computed


def _counts(html: str) -> str:
    """The lede's counts: "… 3 entities and 58 statements in 4 named graphs"."""
    lede = html[html.index('<p class="lede">') :]
    return " ".join(lede[: lede.index("</p>")].split()[-12:])


def test_a_slow_recount_after_a_write_answers_with_the_figures_before_then_the_new_ones(slow_summary):
    from zkg.web import create_app

    gate, computed = slow_summary
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    settings = Settings.from_env(environ={}, base_iri=TEST_BASE, data="/nonexistent")
    client = create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": store, "TESTING": True}).test_client()

    first = client.get("/")
    assert first.status_code == 200 and first.headers.get("ETag") and NOTICE not in first.get_data(as_text=True)
    before = _counts(first.get_data(as_text=True))

    store.update(
        f"INSERT DATA {{ GRAPH <{TEST_BASE}graph/extra> {{ <{TEST_BASE}id/obs-extra> a "
        "<https://schema.org/Person> } }"
    )
    gate.set()
    started = time.monotonic()
    stale = client.get("/")
    waited = time.monotonic() - started
    html = stale.get_data(as_text=True)
    assert waited < http_caching.FRESH_WAIT + 1.0, waited  # not the 3 s of the recount
    assert stale.status_code == 200 and NOTICE in html and _counts(html) == before
    assert "ETag" not in stale.headers and stale.headers["Cache-Control"] == "no-cache"
    assert client.get("/", headers={"If-None-Match": first.headers["ETag"]}).status_code != 304

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        fresh = client.get("/")
        if NOTICE not in fresh.get_data(as_text=True):
            break
        time.sleep(0.2)
    html = fresh.get_data(as_text=True)
    assert NOTICE not in html and fresh.headers.get("ETag") and _counts(html) != before
    # One recount for the new version, in a thread of its own (not a request's).
    assert computed[0] == threading.main_thread().name and len(computed) == 2
    assert computed[1] != threading.main_thread().name


def test_the_first_figures_are_computed_while_the_reader_waits(slow_summary):
    from zkg.web import create_app

    gate, computed = slow_summary
    gate.set()
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    settings = Settings.from_env(environ={}, base_iri=TEST_BASE, data="/nonexistent")
    client = create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": store, "TESTING": True}).test_client()
    response = client.get("/")  # nothing earlier to show: the reader waits the 3 s
    assert response.status_code == 200 and response.headers.get("ETag")
    assert NOTICE not in response.get_data(as_text=True) and len(computed) == 1
