"""The WSGI server of ``zkg serve``: waitress, set up alike in the single process and in each
worker process (:mod:`zkg.serve.server`, :mod:`zkg.serve.workers`).

Two things zkg asks of it beyond serving:

- **Bodies past the size limit are refused before they are read.** Waitress reads a
  request's whole body before it calls the app, so the app's own 413 (werkzeug's
  ``MAX_CONTENT_LENGTH``) would come only after the body had been received and buffered.
  Waitress's limit is therefore the setting itself: a ``Content-Length`` past
  ``ZKG_MAX_REQUEST_BYTES`` is refused as soon as the headers are in, a chunked body as soon
  as it grows past the limit, and the connection is closed. The answer says the same as the
  app's 413 (:class:`BodyTooLarge`).
- **Headers are small.** One request header may have :data:`MAX_HEADER_BYTES`, all of them
  together :data:`MAX_HEADERS_BYTES` (the request line, whose URL may be as long as
  ``ZKG_MAX_REQUEST_BYTES``, is not counted): past either, 431 naming the header, as soon as
  the bytes are in. Without it an ``Accept`` of a megabyte was read, parsed and kept as a
  cache key (waitress's own limit is on the request line and headers together).
- **No client holds connections it does not use.** At most ``ZKG_CONNECTIONS_PER_CLIENT``
  open per address, each request received whole within ``ZKG_REQUEST_READ_TIMEOUT``
  (:mod:`zkg.serve.connection_guard`).
- **No long string outlives its request in the standard library's URL cache.**
  ``urllib.parse.urlsplit`` remembers its last 128 arguments and results: waitress splits
  every request target with it, and zkg's code splits IRIs from queries; with megabyte URLs
  that cache alone held 256 MB. It is emptied after a request line or request past
  :data:`LONG_REQUEST` bytes (:func:`forget_long_urls`), so long strings stay in it only
  while their request is read or answered.
- **Memory freed is given back.** A request's own garbage is not left for long: werkzeug
  and Jinja leave reference cycles that hold the request (its megabyte URL included) until
  Python's collector runs, and that can take thousands of requests; after a long request
  the young generations are collected (at most once a second, :data:`COLLECT_EVERY`): the
  request's cycles are young, and a full collection would scan the whole heap (half a
  second for six million objects, as a large store's label index makes, with every thread
  of the worker waiting). And blocks of
  128 KiB or more get their own mapping from the C allocator (:func:`map_large_blocks`),
  unmapped when freed: left to glibc's moving threshold they were carved from the heaps of
  four threads and kept, so the process's resident memory stayed at its peak.
- **A client that goes away stops its query.** With ``channel_request_lookahead`` waitress
  keeps reading a connection while its request runs, so it notices the client closing it
  and offers ``environ["waitress.client_disconnected"]``. :class:`ClientWatch` hands that
  callable to :data:`zkg.store.remote.client_gone` for the length of the request (its response
  body included), and RemoteStore drops the engine connection when it turns true. A client
  that half-closes its connection after sending (``shutdown(SHUT_WR)``) looks gone too;
  HTTP clients do not do that.
"""

from __future__ import annotations

import ctypes
import gc
import threading
import time
import urllib.parse

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.utilities import RequestEntityTooLarge, RequestHeaderFieldsTooLarge

from zkg.base.deadline import client_gone
from zkg.base.settings import Settings
from zkg.serve import connection_guard

#: Requests waitress reads ahead on a connection while one runs (so that it sees the client
#: close it); pipelined requests beyond wait in the socket.
REQUEST_LOOKAHEAD = 1


#: Bytes of one request header (``Name: value``) and of all of them (431 past either).
MAX_HEADER_BYTES = 8192
MAX_HEADERS_BYTES = 65536


#: A request line, query string or body at least this long empties ``urlsplit``'s cache.
LONG_REQUEST = 4096


#: Seconds at least between two collections after long requests.
COLLECT_EVERY = 1.0
_collected = [0.0]
_collecting = threading.Lock()


def forget_long_urls() -> None:
    """Empty the standard library's ``urlsplit`` cache (128 entries of any length)."""
    urllib.parse.urlsplit.cache_clear()


def _after_long_request() -> None:
    forget_long_urls()
    now = time.monotonic()
    if now - _collected[0] >= COLLECT_EVERY and _collecting.acquire(blocking=False):
        try:
            _collected[0] = now
            gc.collect(1)  # generations 0 and 1: where this request's cycles are
        finally:
            _collecting.release()


#: Blocks of at least this many bytes are mapped on their own (see :func:`map_large_blocks`).
LARGE_BLOCK = 128 * 1024


def map_large_blocks() -> None:
    """Ask glibc's allocator to map every block of :data:`LARGE_BLOCK` bytes or more on
    its own, so that freeing it gives the memory back (``M_MMAP_THRESHOLD``; fixing it also
    stops glibc from raising it after each large free). Nothing happens on other C libraries."""
    try:
        ctypes.CDLL(None).mallopt(-3, LARGE_BLOCK)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


class _PlainAnswer:
    """Waitress's error answers in the app's words: one line of plain text."""

    def to_response(self, ident=None):
        status = f"{self.code} {self.reason}"
        body = f"{status}: {self.body}\n".encode("utf-8")
        return status, [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")], body


class BodyTooLarge(_PlainAnswer, RequestEntityTooLarge):
    """Waitress's 413, worded as the app's (:func:`zkg.web._register_error_handlers`)."""

    def __init__(self, limit: int):
        super().__init__(f"the request is larger than the limit of {limit} bytes (ZKG_MAX_REQUEST_BYTES)")


class HeadersTooLarge(_PlainAnswer, RequestHeaderFieldsTooLarge):
    """431: a header past :data:`MAX_HEADER_BYTES`, all past :data:`MAX_HEADERS_BYTES`, or
    (waitress's own) a request line past the URL limit."""


def _header_name(key: str) -> str:
    return "-".join(part.capitalize() for part in key.split("_"))


def _header_problem(headers: dict) -> str | None:
    """What is too large in waitress's parsed ``headers`` (``ACCEPT_LANGUAGE``: value), or None."""
    total = 0
    for key, value in headers.items():
        size = len(key) + len(value) + 4  # "Name: value" and its line end
        if size > MAX_HEADER_BYTES:
            return f"the request header {_header_name(key)} is longer than the limit of {MAX_HEADER_BYTES} bytes"
        total += size
    if total > MAX_HEADERS_BYTES:
        return f"the request headers are longer than the limit of {MAX_HEADERS_BYTES} bytes together"
    return None


def _parser_class(limit: int) -> type[HTTPRequestParser]:
    """Waitress's request parser, with the header limits and its errors in zkg's words."""

    class Parser(HTTPRequestParser):
        _received = 0  # bytes of the header block received so far
        _line_end = None  # where the request line ended, once it has
        _line_text = False  # the request line has begun (blank lines before it are skipped)
        _tail = b""  # the last bytes received, to see a header end split between two reads
        _checked = False

        def received(self, data):
            if self.body_rcv is None and not self.completed and not self.headers_finished and self._overflows(data):
                self.parse_header(b"GET / HTTP/1.0\r\n")  # (as waitress does for its own limit)
                self.error = HeadersTooLarge(
                    f"the request headers are longer than the limit of {MAX_HEADERS_BYTES} bytes together"
                )
                self.completed = True
                return len(data)
            consumed = super().received(data)
            if type(self.error) is RequestEntityTooLarge:  # waitress's own, naming its internal limit
                self.error = BodyTooLarge(limit)
            elif type(self.error) is RequestHeaderFieldsTooLarge:
                self.error = HeadersTooLarge(
                    f"the request line is longer than the limit of {limit} bytes (ZKG_MAX_REQUEST_BYTES)"
                )
            elif self.headers_finished and not self._checked:
                self._checked = True
                problem = None if self.error is not None else _header_problem(self.headers)
                if problem is not None:  # answered now: no "100 Continue", no body read
                    self.error, self.completed, self.expect_continue = HeadersTooLarge(problem), True, False
            return consumed

        def parse_header(self, header_plus):
            try:
                super().parse_header(header_plus)  # splits the request target with urlsplit
            finally:
                if header_plus.find(b"\n", 0, LONG_REQUEST) < 0:
                    forget_long_urls()

        def _overflows(self, data: bytes) -> bool:
            """Whether the header lines received so far, the request's end not yet in
            sight, are past :data:`MAX_HEADERS_BYTES` already."""
            start = self._received
            self._received += len(data)
            ended = b"\r\n\r\n" in self._tail + data
            self._tail = data[-3:] if len(data) >= 3 else (self._tail + data)[-3:]
            offset = 0
            while self._line_end is None:
                newline = data.find(b"\n", offset)
                if data[offset : newline if newline >= 0 else len(data)].strip():
                    self._line_text = True
                if newline < 0:
                    break
                if self._line_text:
                    self._line_end = start + newline + 1
                offset = newline + 1
            return not ended and self._line_end is not None and self._received - self._line_end > MAX_HEADERS_BYTES

    return Parser


def _channel_class(settings: Settings, balance=None, clients=None) -> type[HTTPChannel]:
    """Waitress's connection class with zkg's parser (:func:`_parser_class`); with
    ``balance``, each connection opened and closed is counted there; with ``clients`` (a
    :class:`zkg.serve.connection_guard.ClientTable`), per client address."""

    class Channel(HTTPChannel):
        parser_class = _parser_class(settings.max_request_bytes)
        client_row = None  # this connection's row in ``clients``, when counted there

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            #: Since when the connection has waited for a request (None: one is being
            #: answered); see :func:`zkg.serve.connection_guard.close_late_requests`.
            self.waiting_since = time.monotonic()

        def service(self):
            try:
                super().service()
            finally:
                self.waiting_since = time.monotonic()  # the next request's time starts now

        def add_channel(self, map=None):
            super().add_channel(map)
            if balance is not None:
                balance.opened()

        def del_channel(self, map=None):
            counted = self._fileno in self.server.active_channels
            super().del_channel(map)
            if counted and balance is not None:
                balance.closed()
            row, self.client_row = self.client_row, None
            if row is not None:
                clients.close(row)

    return Channel


#: Seconds a worker's event loop sleeps at most: short, so that a worker that became the one
#: to accept (``balance``) sees waiting connections soon even when its own are quiet. Workers
#: take a burst of connections in turns, one wait each: at 0.05 s, the 32 sockets one client
#: may hold delayed the next client by 0.4-0.6 s; at 0.02 by under 0.2 s (an idle worker
#: then uses about 0.5 % of a core).
BALANCED_LOOP_SECONDS = 0.02


#: Connections refused by the per-address limit that one turn of the loop may take in a row.
REFUSED_PER_TURN = 64


def _guard_listener(listener, read_timeout: float, balance=None) -> None:
    """Make ``listener`` close connections late with their request (:func:`zkg.serve.connection_guard.close_late_requests`)
    and, with ``balance``, accept only while ``balance.may_accept()`` (the least busy worker)."""
    base = type(listener)

    class GuardedListener(base):
        refused_one = False  # set by the per-address limit (connection_guard.accepting) when it refuses one

        def handle_accept(self):
            # Waitress accepts one connection per turn of its loop; a refused one takes no
            # slot, so the next is taken at once: a flood from one address is emptied from
            # the queue without making the connections behind it wait.
            for _ in range(REFUSED_PER_TURN):
                self.refused_one = False
                base.handle_accept(self)
                if not self.refused_one:
                    return

        def maintenance(self, now):
            base.maintenance(self, now)
            connection_guard.close_late_requests(self, read_timeout)

        def readable(self):
            return base.readable(self) and (balance is None or balance.may_accept())

    listener.__class__ = GuardedListener


class ClientWatch:
    """WSGI middleware: :data:`zkg.store.remote.client_gone` is the server's disconnect check while
    the app answers a request, until the response is closed (streamed bodies included).
    After a long request (:data:`LONG_REQUEST`), :func:`forget_long_urls`: the app may have
    split IRIs of its query with ``urlsplit``."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        check = environ.get("waitress.client_disconnected")
        if check is None:
            return self.app(environ, start_response)
        # Waitress answers a request in one thread, call and body alike; its threads carry
        # nothing else, so "not watched" (None) is what is left after the request.
        client_gone.set(check)
        long_request = _request_length(environ) >= LONG_REQUEST

        def after():
            client_gone.set(None)
            if long_request:
                _after_long_request()

        try:
            body = self.app(environ, start_response)
        except BaseException:
            after()
            raise
        return _Closing(body, after)


def _request_length(environ: dict) -> int:
    try:
        body = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        body = 0
    return len(environ.get("QUERY_STRING", "")) + len(environ.get("PATH_INFO", "")) + body


class _Closing:
    """A response body that runs ``after`` when the server closes it (WSGI's close())."""

    def __init__(self, body, after):
        self.body, self.after = body, after

    def __iter__(self):
        return iter(self.body)

    def close(self):
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()  # a generator streaming from the engine closes its exchange here
        finally:
            self.after()


def create_waitress_server(app, settings: Settings, *, threads: int, balance=None, clients=None, **where):
    """A waitress server for ``app`` (not yet running); ``where``: ``host``/``port`` or
    ``sockets``, as waitress takes them. OSError if it cannot listen.

    ``clients``: the :class:`zkg.serve.connection_guard.ClientTable` counting connections per
    address (worker processes share one); None: one of this process's own. Unused when
    ``ZKG_CONNECTIONS_PER_CLIENT`` is 0.

    ``balance``: for worker processes sharing one listening socket, an object with
    ``opened()``, ``closed()`` and ``may_accept()`` (:class:`zkg.serve.workers.AcceptBalance`).
    Left to the kernel, whichever worker wakes first accepts, and a burst of connections
    can land 12 to 1 on two workers: one core does the work of two."""
    import logging

    import waitress

    map_large_blocks()
    # Waitress warns of every request that waits for a free thread: under load that is most
    # of them (2,500 lines in 20 s of a benchmark), which buries every other message.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    servers: dict = {}  # waitress's socket map: every listening server registers in it
    server = waitress.create_server(
        ClientWatch(app),
        map=servers,
        threads=threads,
        ident="zkg",
        asyncore_use_poll=True,
        channel_request_lookahead=REQUEST_LOOKAHEAD,
        # Waitress refuses a body of its limit or more, the app one past the setting.
        max_request_body_size=settings.max_request_bytes + 1,
        # A URL past the limit reaches the app, which names the setting in its 413; the
        # headers have their own limits (the parser's).
        max_request_header_size=settings.max_request_bytes + MAX_HEADERS_BYTES + 4096,
        **where,
    )
    if settings.connections_per_client and clients is None:
        clients = connection_guard.ClientTable()
    channel_class = _channel_class(settings, balance, clients if settings.connections_per_client else None)
    for listener in servers.values():
        if hasattr(listener, "channel_class"):
            listener.channel_class = channel_class
            if settings.connections_per_client:
                listener.channel_class = connection_guard.accepting(
                    channel_class, settings.connections_per_client, clients
                )
            _guard_listener(listener, settings.request_read_timeout, balance)
    # (waitress's own settings take whole seconds) The read deadline is checked every second
    # (a few times within a shorter one); a worker's loop wakes often (BALANCED_LOOP_SECONDS),
    # a single process's each second at least.
    server.adj.cleanup_interval = min(1.0, max(0.2, settings.request_read_timeout / 4))
    if balance is not None:
        server.adj.asyncore_loop_timeout = BALANCED_LOOP_SECONDS
    return server
