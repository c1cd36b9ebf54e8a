"""One HTTP exchange with a SPARQL engine: a request and the reading of its answer, under a deadline.

:class:`zkg.store.remote.RemoteStore` speaks the SPARQL 1.1 Protocol through this module; here
is how one request travels, whatever it asks:

- **A deadline.** Every :class:`Exchange` has the query time limit plus a grace for the
  engine to cancel by itself; a read past it drops the connection and raises
  :class:`QueryTimeout`, and an answer cut short (the engine appends an error to a response
  it has begun when it cancels) raises it too, or :class:`EngineUnavailable`: never a
  silently partial result.
- **Kept-alive connections.** Queries reuse idle connections of a :class:`ConnectionPool`
  (one engine address each: a restarted engine has a new one) and are sent once more afresh
  if the engine had closed the idle one; updates get a new connection and are never sent twice.
- **The client watched.** The web server sets :data:`zkg.base.deadline.client_gone` for the
  request it answers (:mod:`zkg.serve.http_server`); one watcher thread per process drops the
  engine connection of every exchange whose client has gone (:class:`zkg.base.errors.ClientGone`),
  so that an engine streaming results stops.
- **The supervisor told.** With zkg's own engine (an
  :class:`~zkg.store.facade.EngineSupervisor`), requests in flight are counted, and a deadline
  passed or a client gone is reported: its CPU check stops work the engine does not cancel
  when its client leaves, and an engine that had not even begun to answer is restarted.
- **Answers read as they arrive.** :class:`RemoteSolutions` and :class:`RemoteTriples` parse
  the body while it comes (:class:`BodyReader`), so a capped answer reads only what it needs.
"""

from __future__ import annotations

import http.client
import io
import os
import socket
import threading
import time
import weakref
from typing import IO, TYPE_CHECKING, Callable, Iterator, TypeAlias, cast
from urllib.parse import urlsplit

import pyoxigraph as ox

from zkg.base.deadline import client_gone
from zkg.base.errors import ClientGone, StoreError, ZkgError
from zkg.rdf.results import solutions_json
from zkg.store.facade import EngineSupervisor

if TYPE_CHECKING:  # typeshed's name for what a readinto() fills (bytearray, memoryview, ...)
    from _typeshed import WriteableBuffer

#: Where an engine listens: (host, port, whether over TLS); kept-alive connections are per address.
Address: TypeAlias = tuple[str, int, bool]

#: Idle kept-alive connections kept per engine address.
POOL_SIZE = 32


class QueryTimeout(ZkgError):
    """The query ran past the time limit and was stopped (HTTP 503)."""

    http_status = 503

    def __init__(self, limit: float):
        super().__init__(
            f"the query was stopped after the time limit of {limit:g} s (ZKG_QUERY_TIMEOUT). "
            "Make it more selective, or add LIMIT."
        )
        self.limit = limit


class EngineUnavailable(StoreError):
    """The engine cannot be reached or answered with a server error (HTTP 503)."""


class ConnectionPool:
    """Idle kept-alive connections to an engine, at most :data:`POOL_SIZE` per address."""

    def __init__(self, size: int = POOL_SIZE):
        self.size = size
        self._idle: dict[Address, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def take(self, address: Address) -> http.client.HTTPConnection | None:
        with self._lock:
            idle = self._idle.get(address)
            return idle.pop() if idle else None

    def give(self, address: Address, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(address, [])
            if len(idle) < self.size:
                idle.append(connection)
                return
        connection.close()


class _ClientWatch:
    """Drops the engine connection of exchanges whose client has gone.

    The request thread blocks reading the engine's socket (until the deadline); polling its
    client from there would need reads in slices, which http.client cannot resume after a
    timeout. So one daemon thread per process asks each waiting exchange's client every
    :attr:`POLL_SECONDS` (only while there are any) and shuts the engine socket of those
    gone: the blocked read returns at once and the request thread raises ClientGone.
    """

    POLL_SECONDS = 0.2

    def __init__(self) -> None:
        self._exchanges: weakref.WeakSet[Exchange] = weakref.WeakSet()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, exchange: "Exchange") -> None:
        with self._wake:
            self._exchanges.add(exchange)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="zkg-client-watch", daemon=True)
                self._thread.start()
            self._wake.notify()

    def discard(self, exchange: "Exchange") -> None:
        with self._wake:
            self._exchanges.discard(exchange)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._exchanges:
                    self._wake.wait()
                waiting = list(self._exchanges)
            for exchange in waiting:
                exchange.abandon_if_client_gone()
            del waiting
            time.sleep(self.POLL_SECONDS)


_CLIENT_WATCH = _ClientWatch()


def _grace(limit: float) -> float:
    # Time for the engine to notice its own timeout and end the response by itself.
    return min(max(0.5, limit * 0.1), 5.0)


class Exchange:
    """One HTTP request to the engine and the reading of its response, under a deadline of
    ``limit`` seconds and a grace; ``watch``: dropped if the client of the web request goes."""

    def __init__(self, limit: float, *, pool: ConnectionPool, supervisor: EngineSupervisor | None, watch: bool = True):
        self.limit, self.pool, self.supervisor = limit, pool, supervisor
        self.started_at = time.monotonic()
        self.deadline = self.started_at + limit + _grace(limit)
        self.connection: http.client.HTTPConnection | None = None
        self.response: http.client.HTTPResponse | None = None
        self.closed = False
        self._counted = False
        self.address: Address | None = None
        # The client of the web request this exchange serves (None: not known, not watched);
        # `abandoned` once it went away and the engine socket was shut by the watcher.
        self.client_gone: Callable[[], bool] | None = client_gone.get() if watch else None
        self.abandoned = False
        self._lock = threading.Lock()  # close() (request thread) vs. abandon (watcher thread)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def send(self, url: str, body: bytes, headers: dict[str, str], *, reuse: bool = True) -> http.client.HTTPResponse:
        """POST ``body``; the connection is a kept-alive one from the pool when
        ``reuse`` (queries: safe to send again on a fresh connection if the engine had
        closed the idle one), else a new one (updates are never sent twice)."""
        parts = urlsplit(url)
        if self.client_gone is not None:
            if self.client_gone():  # it left while the request waited for a thread
                self.closed = True
                raise ClientGone()
            _CLIENT_WATCH.add(self)
        if self.supervisor is not None:
            self.supervisor.begin_request()
            self._counted = True
        https = parts.scheme == "https"
        if parts.hostname is None:
            self.close()
            raise EngineUnavailable(f"no host in the SPARQL engine's address {url}")
        address = (parts.hostname, parts.port or (443 if https else 80), https)
        target = parts.path + ("?" + parts.query if parts.query else "")
        pooled = self.pool.take(address) if reuse else None
        while True:
            connection_class = http.client.HTTPSConnection if https else http.client.HTTPConnection
            connection = pooled or connection_class(address[0], address[1], timeout=max(0.05, self.remaining()))
            self.connection = connection
            try:
                if connection.sock is None:
                    connection.connect()
                self._shut_if_abandoned()  # the watcher may have come before the socket
                connection.sock.settimeout(max(0.05, self.remaining()))
                connection.request("POST", target, body=body, headers=headers)
                connection.sock.settimeout(max(0.05, self.remaining()))
                self.response = connection.getresponse()
            except (socket.timeout, TimeoutError):
                if self.abandoned:
                    self.close()
                    raise ClientGone() from None
                self.overrun(started=False)
                raise QueryTimeout(self.limit) from None
            except (ConnectionError, OSError, http.client.HTTPException):
                if self.abandoned:  # the watcher shut the socket: the client has gone
                    self.close()
                    raise ClientGone() from None
                connection.close()
                if pooled is not None:  # the engine closed the idle connection: once more, afresh
                    pooled = None
                    continue
                self.close()
                raise
            self.address = address
            return self.response

    def overrun(self, *, started: bool) -> None:
        """The deadline passed: drop the connection (an engine streaming results stops when
        its client goes) and let the supervisor stop work the engine did not cancel."""
        self.close()
        if self.supervisor is not None:
            self.supervisor.overrun(started=started)

    def readinto(self, buffer: WriteableBuffer) -> int:
        if self.closed or self.response is None:
            return 0
        remaining = self.remaining()
        if remaining <= 0:
            self.overrun(started=True)
            raise QueryTimeout(self.limit)
        try:
            sock = self.connection.sock if self.connection is not None else None
            if sock is not None:  # None: an engine that closes the connection after its answer
                sock.settimeout(remaining)
            count = self.response.readinto(buffer)
        except (socket.timeout, TimeoutError):
            if self.abandoned:
                self.close()
                raise ClientGone() from None
            self.overrun(started=True)
            raise QueryTimeout(self.limit) from None
        except (ConnectionError, OSError, http.client.HTTPException, AttributeError):
            self.close()
            raise self.cut_short() from None
        if count == 0:
            self.close()
            if self.abandoned:  # the end of a shut socket, not of the answer
                raise ClientGone()
        return count

    def abandon_if_client_gone(self) -> None:
        """(The watcher thread.) If the client has gone, shut the engine socket: the request
        thread's read returns at once, an engine streaming results stops, and the supervisor
        checks for work the engine goes on with regardless (it had not begun to answer)."""
        if self.closed or self.abandoned or self.client_gone is None:
            return
        try:
            gone = self.client_gone()
        except Exception:  # a server's callable failing must not stop the watcher
            return
        if not gone:
            return
        with self._lock:
            if self.closed:
                return
            self.abandoned = True
            self._shut_if_abandoned()
        if self.supervisor is not None:
            # "started": a CPU check, not an outright restart: a client leaving is no sign
            # that the engine is stuck, and restarts on demand would disturb other clients.
            self.supervisor.overrun(started=True)

    def _shut_if_abandoned(self) -> None:
        # shutdown, not close: the request thread still owns (and will close) the socket.
        sock = self.connection.sock if self.connection is not None else None
        if self.abandoned and sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut_short(self) -> ZkgError:
        """What a response that ends mid-way means: near the limit, the engine cancelled."""
        if self.abandoned:
            return ClientGone()
        if time.monotonic() - self.started_at >= self.limit * 0.9:
            return QueryTimeout(self.limit)
        return EngineUnavailable("the SPARQL engine's answer was cut short; try again")

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            if self.connection is not None:
                response = self.response
                finished = response is not None and response.isclosed() and not response.will_close
                if finished and self.address is not None and not self.abandoned:
                    self.pool.give(self.address, self.connection)  # read to the end: reusable
                else:
                    self.connection.close()  # also closes the response's socket
        if self.client_gone is not None:
            _CLIENT_WATCH.discard(self)
        if self._counted and self.supervisor is not None:
            self.supervisor.end_request()

    def read_up_to(self, limit: int) -> tuple[bytes, bool]:
        """(what was read, whether that is the whole body): stops after about ``limit`` bytes."""
        chunks: list[bytes] = []
        total = 0
        buffer = bytearray(65536)
        while total <= limit:
            count = self.readinto(buffer)
            if not count:
                return b"".join(chunks), True
            chunks.append(bytes(buffer[:count]))
            total += count
        return b"".join(chunks), False


class BodyReader(io.RawIOBase):
    """The response body as a file for pyoxigraph's parsers, read under the deadline
    (``prefix``: bytes of it already read)."""

    def __init__(self, exchange: Exchange, prefix: bytes = b""):
        self.exchange = exchange
        self.prefix = memoryview(prefix)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        if len(self.prefix):
            view = memoryview(buffer)
            count = min(len(view), len(self.prefix))
            view[:count] = self.prefix[:count]
            self.prefix = self.prefix[count:]
            return count
        return self.exchange.readinto(buffer)


def body_file(exchange: Exchange, prefix: bytes = b"") -> IO[bytes]:
    """The response body as pyoxigraph's parsers take a file (a :class:`BodyReader`)."""
    # They call only read() and readinto(), which a RawIOBase has; typeshed does not count a
    # RawIOBase as an IO[bytes], the type their stubs ask for.
    return cast(IO[bytes], BodyReader(exchange, prefix))


# -- answers read as they arrive ---------------------------------------------------------------


class RemoteSolutions:
    """SELECT results read lazily from the engine: ``variables`` and iteration, like
    pyoxigraph's QuerySolutions. Iteration raises QueryTimeout or EngineUnavailable when the
    answer does not arrive whole; ``close()`` drops the rest."""

    def __init__(self, exchange: Exchange, parsed: ox.QuerySolutions):
        self._exchange, self._parsed = exchange, parsed
        self.variables = parsed.variables

    def __iter__(self) -> Iterator[ox.QuerySolution]:
        try:
            yield from self._parsed
        except SyntaxError:
            raise self._exchange.cut_short() from None
        finally:
            self.close()

    def close(self) -> None:
        self._exchange.close()

    def serialize(
        self,
        output: IO[bytes] | str | os.PathLike[str] | None = None,
        format: ox.QueryResultsFormat | None = ox.QueryResultsFormat.JSON,
    ) -> bytes | None:
        names = [v.value for v in self.variables]
        parsed = ox.parse_query_results(solutions_json(names, self), format=ox.QueryResultsFormat.JSON)
        return parsed.serialize(output, format=format)


class RemoteTriples:
    """CONSTRUCT/DESCRIBE results read lazily from the engine, like QueryTriples."""

    def __init__(self, exchange: Exchange, prefix: bytes = b""):
        self._exchange = exchange
        self._parsed = ox.parse(body_file(exchange, prefix), format=ox.RdfFormat.N_TRIPLES)

    def __iter__(self) -> Iterator[ox.Triple]:
        try:
            for quad in self._parsed:
                yield quad.triple if isinstance(quad, ox.Quad) else quad
        except SyntaxError:
            raise self._exchange.cut_short() from None
        finally:
            self.close()

    def close(self) -> None:
        self._exchange.close()

    def serialize(
        self,
        output: IO[bytes] | str | os.PathLike[str] | None = None,
        format: ox.RdfFormat | None = ox.RdfFormat.N_TRIPLES,
    ) -> bytes | None:
        return ox.serialize(list(self), output, format=format)
