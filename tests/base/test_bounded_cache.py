"""Caches keyed by what clients send count every byte they keep (issue 13, item 4): the
memory :mod:`tracemalloc` sees them hold stays within their bound, and what they count is
never less than what they hold. Keys are as a hostile client makes them: long and distinct."""

from __future__ import annotations

import gc
import tracemalloc

import pytest
from flask import Flask, Response

from zkg.base.bounded_cache import BoundedCache
from zkg.sparql.passthrough import AnswerCache
from zkg.web.front_cache import MAX_VARIANTS, FrontCache, mark_shareable
from zkg.web.http_caching import ResponseCache

BOUND = 4 * 2**20
#: What tracemalloc may see beyond the bound: the dict's own table and the test's garbage.
SLACK = 256 * 1024


def held(fill) -> int:
    """Bytes still allocated after ``fill()`` (what the cache it filled keeps)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        fill()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def long_text(i: int, length: int) -> str:
    return f"{i:08d}" + "x" * length


def test_answer_cache_counts_its_keys():
    cache = AnswerCache(max_bytes=BOUND)

    def fill():
        for i in range(200):  # query texts of 100 kB: 20 MB of keys, tiny answers
            cache.put(("tag", long_text(i, 100_000), (), (), "json", 10), b'{"boolean": true}')

    kept = held(fill)
    assert kept <= BOUND + SLACK, f"the answer cache holds {kept} bytes, bound {BOUND}"
    assert cache.bytes >= kept - SLACK and len(cache) >= 30


def test_response_cache_counts_keys_and_headers():
    app = Flask(__name__)
    cache = ResponseCache(max_bytes=BOUND)

    def fill():
        with app.app_context():
            for i in range(200):  # search texts of 100 kB as the key
                response = Response(b"[]", headers={"Link": long_text(i, 1000)})
                cache.put(("tag", "http://h/", "", "search", long_text(i, 100_000), "20", "json"), response)

    kept = held(fill)
    assert kept <= BOUND + SLACK, f"the response cache holds {kept} bytes, bound {BOUND}"
    assert cache.bytes >= kept - SLACK


def test_bounded_cache_counts_tuples_of_long_strings():
    cache = BoundedCache(entries=8192, max_bytes=BOUND, max_item=BOUND // 4)

    def fill():
        for i in range(300):  # IRI resolutions: three forms of a 30 kB path
            path = long_text(i, 30_000)
            cache.put(("tag", "http://zkg.test/", (path, path.upper(), path + "%")), "http://zkg.test/" + path)

    kept = held(fill)
    assert kept <= BOUND + SLACK and cache.bytes >= kept - SLACK


def _shared_app(environ, start_response):
    mark_shareable(environ, "v1")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept"), ("ETag", '"x"')])
    return [b"an answer"]


def _get(front, query: str = "", accept: str = "text/plain") -> bytes:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/sparql",
        "QUERY_STRING": query,
        "HTTP_ACCEPT": accept,
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "zkg.test",
        "SERVER_NAME": "zkg.test",
        "SERVER_PORT": "80",
    }
    return b"".join(front(environ, lambda status, headers, exc_info=None: None))


@pytest.mark.parametrize("hostile", ["query strings", "accept values"])
def test_front_cache_counts_url_keys_and_vary_variants(hostile):
    front = FrontCache(_shared_app, version_tag=lambda: "v1", max_bytes=BOUND)

    def fill():
        for i in range(200):
            if hostile == "query strings":  # distinct URLs of 100 kB
                _get(front, query="query=ASK%7B%7D&pad=" + long_text(i, 100_000))
            else:  # one URL, distinct Accept values of 50 kB
                _get(front, accept="text/plain, x/" + long_text(i, 50_000))

    kept = held(fill)
    assert kept <= BOUND + SLACK, f"the front cache holds {kept} bytes, bound {BOUND}"
    assert front.bytes >= kept - SLACK


def test_front_cache_keeps_a_few_variants_per_url_and_still_serves_them():
    calls = []

    def app(environ, start_response):
        calls.append(1)
        return _shared_app(environ, start_response)

    front = FrontCache(app, version_tag=lambda: "v1")
    for i in range(MAX_VARIANTS * 3):
        _get(front, accept=f"text/plain, x/{i}")
    assert len(front) == MAX_VARIANTS
    _get(front, accept=f"text/plain, x/{MAX_VARIANTS * 3 - 1}")  # the newest: kept, not asked again
    assert len(calls) == MAX_VARIANTS * 3


def test_entry_overhead_is_counted_where_it_dominates():
    # Many small entries: the tables and nodes cost more than the keys; the count covers them.
    cache = BoundedCache(entries=100_000, max_bytes=2**30)

    def fill():
        for i in range(20_000):
            cache.put(("tag", "http://zkg.test/", (f"id/{i}", f"ID/{i}")), None)

    kept = held(fill)
    assert cache.bytes >= kept, f"counted {cache.bytes} bytes, tracemalloc sees {kept}"
