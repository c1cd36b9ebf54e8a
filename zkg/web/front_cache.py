"""Answers already known, served before Flask: a WSGI layer in front of the app.

Why: once an answer is kept per dataset version (the engine's checked answers,
:class:`zkg.sparql.passthrough.AnswerCache`; pages, data documents and search,
:class:`zkg.web.http_caching.ResponseCache`), building the response still cost three times
more than the server's own work: Flask's request context, routing, the hooks, a Response
object, per request. Here the finished response of such a request (status, every header the
hooks added, body) is kept, and the same request is answered from it without Flask.

What makes it safe:

- **Only what the app marks.** A view that answered from, or into, one of its
  per-version caches sets ``environ[SHAREABLE]`` to the dataset version's tag
  (:func:`mark_shareable`); nothing else is kept. So this layer serves nothing the app
  itself would not serve from memory, and never for a store whose version it cannot tell.
- **Never stale.** Each request compares the kept tag with the dataset version now
  (:func:`zkg.store.version.dataset_version`: a few ``stat`` calls, which also see
  writes made by other worker processes); a different version is a miss.
- **HTTP's own cache key.** The URL (scheme, host, mount point, path both decoded and as
  sent, query string) and the values of the request headers the response names in ``Vary``
  (RFC 9111 §4.1). What a response echoes of its request must be in that key:
  :func:`zkg.web.http_caching.conditional` keys the app's own caches the same way.
- **Only plain, anonymous GETs.** Requests with cookies or credentials (a curator's pages
  differ), conditional ones (the app answers 304), ranges, and every other method go to the
  app. Only 200 responses without ``Set-Cookie``, ``private`` or ``no-store`` are kept.
- **The same limits.** The per-client rate limit is taken here for a request answered here;
  for one passed on, the app takes it (never twice).

Bounded: ``entries`` URLs and ``max_bytes`` per process, counting every byte an entry keeps
(:func:`zkg.base.bounded_cache.footprint`): the URL key (a query string is as long as a client
makes it), each variant's request-header values (``Accept`` as sent), the header list, the
body and Python's overhead; at most :data:`MAX_VARIANTS` variants per URL (the oldest goes
first), and an entry of more than a sixteenth of ``max_bytes`` is not kept. Second-chance
eviction: a URL used since the last sweep is kept once more. Bodies are the bytes the app's
caches already hold, not copies (so they are counted twice: the bound errs high).
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict

from zkg.base.bounded_cache import ENTRY_OVERHEAD, footprint

#: The environ key a view sets to the dataset version's tag its response belongs to.
SHAREABLE = "zkg.shareable"
#: The environ key carrying a rate-limit wait already taken here (``zkg.web.security``).
RATE_WAIT = "zkg.rate_wait"

#: Variants kept per URL: clients send a handful of distinct ``Accept`` values; a client
#: sending new ones by the thousand evicts its own, not everyone's pages.
MAX_VARIANTS = 32

#: Request headers that send a request to the app: credentials, cookies, conditions, ranges.
_TO_THE_APP = (
    "HTTP_COOKIE",
    "HTTP_AUTHORIZATION",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_IF_RANGE",
    "HTTP_RANGE",
)


def mark_shareable(environ: dict, tag: str) -> None:
    """Say that the response to this request depends only on its URL, the headers it names
    in ``Vary``, and the data at dataset version ``tag``."""
    environ[SHAREABLE] = tag


def _environ_name(header: str) -> str:
    return "HTTP_" + header.strip().upper().replace("-", "_")


class _Variants:
    """The kept responses of one URL: which request headers select among them, and each."""

    __slots__ = ("vary", "responses", "size", "used")

    def __init__(self, vary: tuple[str, ...], size: int):
        self.vary = vary
        # values -> ((tag, status, headers, body), bytes counted)
        self.responses: dict[tuple, tuple[tuple[str, str, tuple, bytes], int]] = {}
        self.size = size  # bytes counted for the URL: key, this object, and every response
        self.used = False


class FrontCache:
    """WSGI middleware answering requests the app marked shareable, from their kept response.

    ``version_tag()`` gives the dataset version's tag now; ``limiter()`` the app's rate
    limiter (or None).

    >>> calls = []
    >>> def app(environ, start_response):
    ...     calls.append(1)
    ...     mark_shareable(environ, "v1")
    ...     start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept")])
    ...     return [b"hello"]
    >>> front = FrontCache(app, version_tag=lambda: "v1")
    >>> env = lambda: {"REQUEST_METHOD": "GET", "PATH_INFO": "/a", "HTTP_ACCEPT": "text/plain"}
    >>> [b"".join(front(env(), lambda s, h: None)) for _ in range(3)], len(calls)
    ([b'hello', b'hello', b'hello'], 1)
    """

    def __init__(
        self,
        app,
        *,
        version_tag,
        limiter=lambda: None,
        entries: int = 2048,
        max_bytes: int = 32 * 2**20,
        max_body: int = 2**20,
    ):
        self.app, self.version_tag, self.limiter = app, version_tag, limiter
        self.entries, self.max_bytes, self.max_body = entries, max_bytes, max_body
        self._urls: OrderedDict[tuple, _Variants] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def _url_key(environ: dict) -> tuple:
        get = environ.get
        # The path as sent too: PATH_INFO is decoded, and pages echo the spelling the client used.
        return (
            get("wsgi.url_scheme"),
            get("HTTP_HOST"),
            get("SERVER_NAME"),
            get("SERVER_PORT"),
            get("SCRIPT_NAME", ""),
            get("PATH_INFO", ""),
            get("QUERY_STRING", ""),
            get("REQUEST_URI") or get("RAW_URI"),
        )

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "GET" or any(name in environ for name in _TO_THE_APP):
            return self.app(environ, start_response)
        url = self._url_key(environ)
        variants = self._urls.get(url)
        if variants is not None:
            kept = variants.responses.get(tuple(environ.get(name, "") for name in variants.vary))
            kept = kept[0] if kept is not None else None
            if kept is not None and kept[0] == self.version_tag():
                limiter = self.limiter()
                wait = limiter.take(environ.get("REMOTE_ADDR") or "unknown") if limiter is not None else 0
                if not wait:
                    variants.used = True
                    start_response(kept[1], list(kept[2]))
                    return [kept[3]]
                environ[RATE_WAIT] = wait  # the app answers 429, without taking again
        return self._answer_and_keep(environ, start_response, url)

    def _answer_and_keep(self, environ, start_response, url):
        seen: dict = {}

        def watching_start_response(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers) if exc_info is None else start_response(status, headers, exc_info)

        body = self.app(environ, watching_start_response)
        tag = environ.get(SHAREABLE)
        if tag is None or not self._keepable(seen.get("status"), seen.get("headers")):
            return body
        chunks = []
        try:
            for chunk in body:  # a kept response was built whole: nothing streams here
                chunks.append(chunk)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        data = b"".join(chunks)  # one chunk: the same bytes object, not a copy
        if len(data) <= self.max_body:
            self._keep(url, environ, tag, seen["status"], seen["headers"], data)
        return [data]

    @staticmethod
    def _keepable(status, headers) -> bool:
        if not status or not status.startswith("200") or headers is None:
            return False
        for name, value in headers:
            lowered = name.lower()
            if lowered == "set-cookie":
                return False
            if lowered == "cache-control" and ("no-store" in value or "private" in value):
                return False
            if lowered == "vary" and "*" in value:
                return False
        return True

    def _keep(self, url, environ, tag, status, headers, data) -> None:
        vary = tuple(
            sorted(
                {
                    _environ_name(part)
                    for name, value in headers
                    if name.lower() == "vary"
                    for part in value.split(",")
                    if part.strip()
                }
            )
        )
        values = tuple(environ.get(name, "") for name in vary)
        response = (tag, status, tuple(headers), data)
        size = footprint(values) + footprint(response) + ENTRY_OVERHEAD
        url_size = footprint(url) + footprint(vary) + sys.getsizeof({}) + _VARIANTS_SIZE + ENTRY_OVERHEAD
        if size + url_size > self.max_bytes // 16:
            return
        with self._lock:
            variants = self._urls.get(url)
            if variants is None or variants.vary != vary:
                if variants is not None:
                    self._bytes -= variants.size
                variants = self._urls[url] = _Variants(vary, url_size)
                self._bytes += url_size
            old = variants.responses.pop(values, None)
            if old is None and len(variants.responses) >= MAX_VARIANTS:
                old = variants.responses.pop(next(iter(variants.responses)))
            if old is not None:
                variants.size -= old[1]
                self._bytes -= old[1]
            variants.responses[values] = (response, size)
            variants.size += size
            self._bytes += size
            self._evict()

    def _evict(self) -> None:
        # Second chance: the oldest URL goes unless it was used since the last sweep.
        chances = len(self._urls)
        while self._urls and (len(self._urls) > self.entries or self._bytes > self.max_bytes):
            url, variants = self._urls.popitem(last=False)
            if variants.used and chances > 0:
                chances -= 1
                variants.used = False
                self._urls[url] = variants
                continue
            self._bytes -= variants.size

    def __len__(self) -> int:
        return sum(len(v.responses) for v in self._urls.values())

    @property
    def bytes(self) -> int:
        """The bytes counted for everything kept."""
        return self._bytes


_VARIANTS_SIZE = sys.getsizeof(_Variants((), 0))
