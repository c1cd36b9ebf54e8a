"""The WSGI server of ``zkg serve``: waitress, set up alike in the single process and in each
worker process (:mod:`zkg.web.server`, :mod:`zkg.web.workers`).

Two things zkg asks of it beyond serving:

- **Bodies past the size limit are refused before they are read.** Waitress reads a
  request's whole body before it calls the app, so the app's own 413 (werkzeug's
  ``MAX_CONTENT_LENGTH``) would come only after the body had been received and buffered.
  Waitress's limit is therefore the setting itself: a ``Content-Length`` past
  ``ZKG_MAX_REQUEST_BYTES`` is refused as soon as the headers are in, a chunked body as soon
  as it grows past the limit, and the connection is closed. The answer says the same as the
  app's 413 (:class:`BodyTooLarge`).
- **A client that goes away stops its query.** With ``channel_request_lookahead`` waitress
  keeps reading a connection while its request runs, so it notices the client closing it
  and offers ``environ["waitress.client_disconnected"]``. :class:`ClientWatch` hands that
  callable to :data:`zkg.engine.client_gone` for the length of the request (its response
  body included), and RemoteStore drops the engine connection when it turns true. A client
  that half-closes its connection after sending (``shutdown(SHUT_WR)``) looks gone too;
  HTTP clients do not do that.
"""

from __future__ import annotations

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.utilities import RequestEntityTooLarge

from zkg.engine import client_gone
from zkg.settings import Settings

#: Requests waitress reads ahead on a connection while one runs (so that it sees the client
#: close it); pipelined requests beyond wait in the socket.
REQUEST_LOOKAHEAD = 1


class BodyTooLarge(RequestEntityTooLarge):
    """Waitress's 413, worded as the app's (:func:`zkg.web._register_error_handlers`)."""

    def __init__(self, limit: int):
        super().__init__(f"the request is larger than the limit of {limit} bytes (ZKG_MAX_REQUEST_BYTES)")

    def to_response(self, ident=None):
        status = f"{self.code} {self.reason}"
        body = f"{status}: {self.body}\n".encode("utf-8")
        return status, [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")], body


def _channel_class(limit: int, balance=None) -> type[HTTPChannel]:
    """Waitress's connection class, its parser's 413 replaced by :class:`BodyTooLarge`;
    with ``balance``, each connection opened and closed is counted there."""

    class Parser(HTTPRequestParser):
        def received(self, data):
            consumed = super().received(data)
            if type(self.error) is RequestEntityTooLarge:  # waitress's own, naming its internal limit
                self.error = BodyTooLarge(limit)
            return consumed

    class Channel(HTTPChannel):
        parser_class = Parser

        if balance is not None:
            def add_channel(self, map=None):
                super().add_channel(map)
                balance.opened()

            def del_channel(self, map=None):
                counted = self._fileno in self.server.active_channels
                super().del_channel(map)
                if counted:
                    balance.closed()

    return Channel


#: Seconds a worker's event loop sleeps at most: short, so that a worker that became the one
#: to accept (``balance``) sees waiting connections soon even when its own are quiet.
BALANCED_LOOP_SECONDS = 0.05


def _balanced_listener(listener, balance) -> None:
    """Make ``listener`` accept only while ``balance.may_accept()`` (the least busy worker)."""
    base = type(listener)

    class BalancedListener(base):
        def readable(self):
            return base.readable(self) and balance.may_accept()

    listener.__class__ = BalancedListener


class ClientWatch:
    """WSGI middleware: :data:`zkg.engine.client_gone` is the server's disconnect check while
    the app answers a request, until the response is closed (streamed bodies included)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        check = environ.get("waitress.client_disconnected")
        if check is None:
            return self.app(environ, start_response)
        # Waitress answers a request in one thread, call and body alike; its threads carry
        # nothing else, so "not watched" (None) is what is left after the request.
        client_gone.set(check)
        try:
            body = self.app(environ, start_response)
        except BaseException:
            client_gone.set(None)
            raise
        return _Closing(body, lambda: client_gone.set(None))


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


def create_waitress_server(app, settings: Settings, *, threads: int, balance=None, **where):
    """A waitress server for ``app`` (not yet running); ``where``: ``host``/``port`` or
    ``sockets``, as waitress takes them. OSError if it cannot listen.

    ``balance``: for worker processes sharing one listening socket, an object with
    ``opened()``, ``closed()`` and ``may_accept()`` (:class:`zkg.web.workers.AcceptBalance`).
    Left to the kernel, whichever worker wakes first accepts, and a burst of connections
    can land 12 to 1 on two workers: one core does the work of two."""
    import logging

    import waitress

    # Waitress warns of every request that waits for a free thread: under load that is most
    # of them (2,500 lines in 20 s of a benchmark), which buries every other message.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    servers: dict = {}  # waitress's socket map: every listening server registers in it
    server = waitress.create_server(
        ClientWatch(app), map=servers, threads=threads, ident="zkg", asyncore_use_poll=True,
        channel_request_lookahead=REQUEST_LOOKAHEAD,
        # Waitress refuses a body of its limit or more, the app one past the setting.
        max_request_body_size=settings.max_request_bytes + 1,
        # A URL past the limit reaches the app, which names the setting in its 413.
        max_request_header_size=settings.max_request_bytes + 65536,
        **where,
    )
    channel_class = _channel_class(settings.max_request_bytes, balance)
    for listener in servers.values():
        if hasattr(listener, "channel_class"):
            listener.channel_class = channel_class
            if balance is not None:
                _balanced_listener(listener, balance)
    if balance is not None:
        server.adj.asyncore_loop_timeout = BALANCED_LOOP_SECONDS  # (waitress's own setting takes whole seconds)
    return server
