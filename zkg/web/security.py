"""Web safety for every response: security headers, and a per-client rate limit.

:func:`init_security` is called by :func:`zkg.web.create_app`. It adds:

- an ``after_request`` hook giving every response ``X-Content-Type-Options: nosniff``, a
  ``Referrer-Policy``, a default ``Content-Security-Policy`` when the page set none (pages
  that need more, the editor, forms, previews, set their own and keep it), and
  ``X-Frame-Options`` matching the policy's ``frame-ancestors`` (the reconciliation
  preview, whose policy names no ``frame-ancestors``, may still be framed by OpenRefine);
- the templates' ``finalize``: no page shows a character that hides or reorders text
  (bidi controls, zero-width, control characters), see :mod:`zkg.rdf.visible`;
- a ``before_request`` hook limiting each client address to ``ZKG_RATE_LIMIT`` requests per
  minute (a token bucket: a burst of up to a minute's worth, refilled continuously); past it
  the answer is ``429 Too Many Requests`` with ``Retry-After``. ``0`` disables the limit.
  The limit is per address as the server sees it (behind a reverse proxy, limit at the
  proxy); with ``zkg serve --workers N`` the workers share one count
  (:mod:`zkg.serve.rate_table`);
- then the request limits and the request's deadline (:mod:`zkg.web.request_limits`).
"""

from __future__ import annotations

import functools
import math
import threading
import time
from typing import Mapping

from flask import Flask, Response, current_app, request
from markupsafe import Markup, escape

from zkg.base.errors import SettingsError
from zkg.base.settings import Settings, requests_per_minute
from zkg.rdf.visible import visible, visible_text
from zkg.web.front_cache import RATE_WAIT
from zkg.web.request_limits import init_request_limits

#: The policy of a response that set none: nothing from elsewhere, no plugins, no framing
#: by other sites, forms only to this site.
#: Sent with every page: no script at all; styles, images and forms from this origin only.
PAGE_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'self'"
)


DEFAULT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
REFERRER_POLICY = "strict-origin-when-cross-origin"

#: Requests per minute per client address when ``ZKG_RATE_LIMIT`` is not set: generous, it
#: stops a runaway client, not a person or a well-behaved crawler.


def rate_limit_from(config: Mapping, environ: Mapping | None = None) -> int:
    """The limit in requests per minute: ``config["ZKG_RATE_LIMIT"]``, else the setting
    (:attr:`zkg.base.settings.Settings.rate_limit`, from ``environ``); ``0`` disables it.

    >>> rate_limit_from({"ZKG_RATE_LIMIT": "120"})
    120
    >>> rate_limit_from({}, environ={})
    6000
    >>> rate_limit_from({}, environ={"ZKG_RATE_LIMIT": "-1"})
    Traceback (most recent call last):
    ...
    zkg.base.errors.SettingsError: ZKG_RATE_LIMIT must be a whole number of requests per minute (0 disables it), got '-1'
    """
    if "ZKG_RATE_LIMIT" in config:
        try:
            return requests_per_minute(config["ZKG_RATE_LIMIT"])
        except ValueError as error:
            raise SettingsError(f"ZKG_RATE_LIMIT {error}") from None
    settings = config.get("ZKG_SETTINGS")
    if settings is not None and environ is None:
        return settings.rate_limit
    return Settings.from_env(environ).rate_limit


class RateLimiter:
    """Token buckets per client: ``per_minute`` capacity, refilled at ``per_minute / 60`` a
    second. :meth:`take` answers ``0`` when the request may go, else the seconds to wait."""

    #: Buckets kept at most; full ones are dropped first when there are more.
    MAX_CLIENTS = 10_000

    def __init__(self, per_minute: int, clock=time.monotonic):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, client: str) -> float:
        now = self.clock()
        with self.lock:
            tokens, then = self.buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - then) * self.rate)
            if tokens >= 1.0:
                self.buckets[client] = (tokens - 1.0, now)
                if len(self.buckets) > self.MAX_CLIENTS:
                    self._prune(now)
                return 0.0
            self.buckets[client] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        for client, (tokens, then) in list(self.buckets.items()):
            if tokens + (now - then) * self.rate >= self.capacity:
                del self.buckets[client]
        while len(self.buckets) > self.MAX_CLIENTS:  # all busy: forget the oldest
            del self.buckets[next(iter(self.buckets))]


def _frame_option(policy: str) -> str | None:
    """``X-Frame-Options`` equivalent to the policy's ``frame-ancestors`` (None: no such
    directive, or one that allows other sites)."""
    for directive in policy.split(";"):
        parts = directive.split()
        if parts and parts[0].lower() == "frame-ancestors":
            sources = [p.lower() for p in parts[1:]]
            if sources == ["'none'"]:
                return "DENY"
            if sources == ["'self'"]:
                return "SAMEORIGIN"
            return None
    return None


@functools.lru_cache(maxsize=64)
def _frame_option_cached(policy: str) -> str | None:
    return _frame_option(policy)  # a handful of distinct policies, parsed once each


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = DEFAULT_SECURITY_POLICY
    frame = _frame_option_cached(headers["Content-Security-Policy"])
    if frame and "X-Frame-Options" not in headers:
        headers["X-Frame-Options"] = frame
    return response


def preflight_response(methods: str, allow_headers: str) -> Response:
    """A CORS preflight answer (204): ``methods`` allowed (also as ``Allow``), the request
    headers a script may send, kept for a day. Each blueprint decides which headers."""
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = methods
    response.headers["Access-Control-Allow-Headers"] = allow_headers
    response.headers["Access-Control-Max-Age"] = "86400"
    response.headers["Allow"] = methods
    return response


def _limit_rate():
    limiter: RateLimiter | None = current_app.extensions.get("zkg.rate_limiter")
    if limiter is None:
        return None
    # A request the front cache looked at has had its token taken there (zkg.web.front_cache).
    wait = request.environ.get(RATE_WAIT)
    if wait is None:
        wait = limiter.take(request.remote_addr or "unknown")
    if not wait:
        return None
    seconds = max(1, math.ceil(wait))
    response = Response(
        f"429 Too Many Requests: more than {int(limiter.capacity)} requests a minute from this "
        f"client (ZKG_RATE_LIMIT); retry in {seconds} s\n",
        status=429,
        mimetype="text/plain",
    )
    response.headers["Retry-After"] = str(seconds)
    return response


#: Parameters of the SPARQL protocol that name graphs: each must be an absolute IRI.
GRAPH_PARAMETERS = ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri")


def _check_graph_parameters():
    """400 for a protocol graph parameter that is not an absolute IRI (before the engine
    sees it and fails on it)."""
    if not request.path.startswith("/sparql"):
        return None
    import pyoxigraph as ox

    values = list(request.args.items(multi=True))
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        values += list(request.form.items(multi=True))
    for name, value in values:
        if name not in GRAPH_PARAMETERS:
            continue
        try:
            ox.NamedNode(value)
            ok = ":" in value
        except ValueError:
            ok = False
        if not ok:
            return Response(
                f"400 Bad Request: {name}={value!r} is not an absolute IRI\n", status=400, mimetype="text/plain"
            )
    return None


def _shown(value):
    """Jinja's ``finalize``: every value a template prints, before it is HTML-escaped. Text
    gets its hidden characters written out (:func:`zkg.rdf.visible.visible`); markup built by
    the app (charts, which escape their own text) is left as it is."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def _plain_text_visible(response: Response) -> Response:
    """Plain text is for people (errors, the diff and report of a write) and often quotes
    what the client sent or the data (an IRI, a literal): its hidden characters are written
    out too. (Data formats have media types of their own.)"""
    if response.mimetype == "text/plain" and not response.is_streamed:
        text = response.get_data(as_text=True)
        shown = visible_text(text)
        if shown is not text:
            response.set_data(shown)
    return response


def init_visible_text(app: Flask) -> None:
    """No page shows a hidden character (bidi controls, zero-width, control characters):
    templates print every text through :func:`_shown`. A form value that must come back
    exactly as it is (a hidden input naming an IRI) is printed with the ``exact`` filter."""
    app.jinja_options = {**app.jinja_options, "finalize": _shown}
    app.add_template_filter(escape, "exact")
    app.add_template_filter(visible, "visible")
    app.after_request(_plain_text_visible)


def init_security(app: Flask) -> None:
    """Register the hooks on ``app`` (see the module's docstring)."""
    init_visible_text(app)
    per_minute = rate_limit_from(app.config)
    app.config["ZKG_RATE_LIMIT"] = per_minute
    if per_minute:
        app.extensions["zkg.rate_limiter"] = RateLimiter(per_minute)
        app.before_request(_limit_rate)

    init_request_limits(app)  # before anything parses a parameter (the next hook does)
    app.before_request(_check_graph_parameters)
    app.after_request(add_security_headers)


#: Schemes a page may link to; an IRI with any other (``javascript:``, ``data:``,
#: ``vbscript:``, …) is shown as text, never as a link.
LINKABLE_SCHEMES = frozenset({"http", "https", "mailto", "ftp", "urn", "doi"})


def linkable(iri: str) -> bool:
    """Whether a page may use ``iri`` as a link target.

    >>> linkable("https://example.org/a"), linkable("javascript:alert(1)"), linkable(" JavaScript://%0a1")
    (True, False, False)
    """
    scheme, colon, _ = iri.strip().partition(":")
    return bool(colon) and scheme.lower() in LINKABLE_SCHEMES and not any(c.isspace() or ord(c) < 32 for c in iri)
