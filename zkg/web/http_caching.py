"""Conditional GET for everything derived from the data: ETag and Last-Modified from the
dataset version (:mod:`zkg.store.version`), 304 on revalidation.

Responses that depend on nothing but the data and the URL (pages, data documents, search)
may also be kept in memory per dataset version (``cache=True``): see :class:`ResponseCache`.

``Cache-Control: no-cache``: caches may keep a copy but must revalidate it each time, which
costs a 304 at most, so no one is served data older than the last write.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

from flask import Response, current_app, has_request_context, request

from zkg.base.bounded_cache import BoundedCache
from zkg.curation import search_sync
from zkg.linked_data.model_guide import ModelGuide, model_guide
from zkg.linked_data.search import LabelIndex, NameSearch
from zkg.store.version import DatasetVersion, PerVersion, dataset_version, not_modified
from zkg.web.front_cache import mark_shareable
from zkg.web.redirects import current_path

CACHE_CONTROL = "no-cache"


def current_version() -> DatasetVersion:
    return dataset_version(current_app.config["ZKG_STORE"])


class ResponseCache(BoundedCache):
    """Recently built responses, by dataset version and representation, bounded in entries
    and in bytes: keys (a search text or an IRI is as long as a client makes it), header
    lists and bodies all counted (:class:`zkg.base.bounded_cache.BoundedCache`); a response of
    more than a sixteenth of the bound is not kept. A new dataset version never matches an
    old key, so a write is never followed by a stale answer; old entries just age out."""

    def __init__(self, entries: int = 512, max_bytes: int = 64 * 2**20):
        super().__init__(entries=entries, max_bytes=max_bytes, max_item=max_bytes // 16)

    def get(self, key: tuple) -> Response | None:
        item = super().get(key)
        if item is None:
            return None
        status, headers, body = item
        return Response(body, status=status, headers=headers)

    def put(self, key: tuple, response: Response) -> None:
        if response.status_code != 200 or response.is_streamed:
            return
        body = response.get_data()
        if len(body) > self.max_item:
            return
        super().put(key, (response.status_code, tuple(response.headers.items()), body))


def _shared_cache() -> ResponseCache | None:
    """The app's response cache, for requests whose answer depends on nothing but the URL,
    its negotiated variant and the data: no cookies (a signed-in curator's pages differ) and
    no credentials."""
    if request.headers.get("Cookie") or request.headers.get("Authorization"):
        return None
    return current_app.extensions["zkg.response_cache"]


def conditional(
    variant: Iterable[str],
    build: Callable[[], Response],
    *,
    vary: Iterable[str] = (),
    headers: dict | None = None,
    version: DatasetVersion | None = None,
    cache: bool = False,
) -> Response:
    """``build()``'s response with validators, or a bodiless 304 when the client's copy is
    current. ``variant`` names the representation (path, format, languages): one ETag each.

    ``cache``: keep the built response for the same version and variant, and the same URL:
    scheme and host (absolute links), and the path and query string as sent (pages echo them
    in their sign-in link: a key without them served one visitor's ``?utm=…`` to every later
    one); only for responses that depend on nothing else (see :func:`_shared_cache`)."""
    now = time.time()  # before the version is read: a change it does not show came after
    current = current_version()
    version = version or current
    etag = version.etag(*variant)
    # Last-Modified once the second of the last change has passed (zkg.store.version), and
    # only for the version that is current (a dump may be of the one before).
    last_modified = version.last_modified(now) if version.tag == current.tag else None
    stale = False
    if not_modified(version, etag, request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since"), now):
        response = Response(status=304)
    else:
        store = _shared_cache() if cache else None
        key = (version.tag, request.host_url, current_path(), *variant)
        response = store.get(key) if store is not None else None
        if response is None:
            response = build()
            # Built from figures of an earlier version (per_version): neither kept nor validated.
            stale = bool(request.environ.get(STALE))
            if store is not None and not stale:
                store.put(key, response)
        if store is not None and response.status_code == 200 and not stale:
            mark_shareable(request.environ, version.tag)
    if stale:
        response.headers["Cache-Control"] = "no-cache"
    else:
        response.headers["ETag"] = etag
        if last_modified is not None:
            response.headers["Last-Modified"] = last_modified
        response.headers["Cache-Control"] = CACHE_CONTROL
    for name in vary:
        response.vary.add(name)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


#: How long a request waits for a derived value of the current dataset version being computed
#: (after a write) before it is answered with the value of the version before
#: (:class:`zkg.store.version.PerVersion`); such a response is marked (:data:`STALE`), says so
#: on the page, and is neither kept nor given an ETag.
FRESH_WAIT = 1.0
#: The WSGI environ key marking a response built from a derived value of an earlier version.
STALE = "zkg.stale"


def per_version(name: str, compute: Callable, store):
    """``compute(store)`` for the store's current dataset version, computed once per version
    for the app and kept in ``app.extensions[name]`` (a :class:`PerVersion`): the one way the
    areas keep a derived value (an index, a catalogue, a form)."""

    held = current_app.extensions.get(name)
    if held is None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        def compute_in_app(store):  # (a refresh runs in a thread of its own, outside the request)
            with app.app_context():
                return compute(store)

        held = current_app.extensions.setdefault(name, PerVersion(compute_in_app, wait=FRESH_WAIT))
    value, fresh = held.lookup(store)
    if not fresh and has_request_context():
        request.environ[STALE] = True
    return value


def label_index(store) -> NameSearch:
    """The label index of the store's current dataset version: the site search, the curation
    forms and the reconciliation catalogue (web/power) all read this one.

    A store with a writable data directory keeps it in a file there, shared by every worker
    and followed write by write (:mod:`zkg.curation.search_sync`: at a new version this
    process catches up, usually finding the write path did already); another store's is
    built in memory once per version (:meth:`zkg.linked_data.search.LabelIndex.from_store`)."""

    if not search_sync.keeps_search_file(store):
        return per_version("zkg.label_index", LabelIndex.from_store, store)
    keeper = current_app.extensions.get("zkg.search_keeper")
    if keeper is None:
        keeper = current_app.extensions.setdefault("zkg.search_keeper", search_sync.SearchKeeper(store))
    return per_version("zkg.label_index", keeper.current, store)


def model_guide_of(store) -> ModelGuide:
    """The model guide of the store's current dataset version (zkg.linked_data.model_guide),
    built once per version for the app: /def/, /model/… and the home page share it."""

    return per_version("zkg.model_guide", model_guide, store)
