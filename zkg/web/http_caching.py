"""Conditional GET for everything derived from the data: ETag and Last-Modified from the
dataset version (:mod:`zkg.dataset_version`), 304 on revalidation.

``Cache-Control: no-cache``: caches may keep a copy but must revalidate it each time, which
costs a 304 at most, so no one is served data older than the last write.
"""

from __future__ import annotations

from typing import Callable, Iterable

from flask import Response, current_app, request

from zkg.dataset_version import DatasetVersion, dataset_version, not_modified

CACHE_CONTROL = "no-cache"


def current_version() -> DatasetVersion:
    return dataset_version(current_app.config["ZKG_STORE"])


def conditional(variant: Iterable[str], build: Callable[[], Response], *, vary: Iterable[str] = (),
                headers: dict | None = None, version: DatasetVersion | None = None) -> Response:
    """``build()``'s response with validators, or a bodiless 304 when the client's copy is
    current. ``variant`` names the representation (path, format, languages): one ETag each."""
    version = version or current_version()
    etag = version.etag(*variant)
    if not_modified(version, etag, request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")):
        response = Response(status=304)
    else:
        response = build()
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = version.http_date
    response.headers["Cache-Control"] = CACHE_CONTROL
    for name in vary:
        response.vary.add(name)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
