"""The work a request does in Python, bounded in time: a deadline per request, and a stop as
soon as its client has gone.

SPARQL work is bounded by the engine (:mod:`zkg.store.remote`: its time limit, and a dropped
connection when the client goes). Work zkg does itself, in Python, is bounded first by caps
on its input (each module states its own: reconciliation, search, completion, canned
parameters), so that no request at the default limits costs more than about a CPU-second;
and then by this module, should a cap be too loose somewhere: the web app starts a deadline
for each request (:func:`start`, the query time limit ``ZKG_QUERY_TIMEOUT`` after the request
began), and the loops whose cost grows with a request's input call :func:`check` (or iterate
through :func:`checked`). Past the deadline that raises :class:`WorkTimeout` (HTTP 503,
naming the limit); once the client has closed its connection, :class:`zkg.base.errors.ClientGone`
(the web server's disconnect check is :data:`zkg.store.remote.client_gone`). Work that is all
Python, such as reconciliation, is also done one request at a time per process
(:func:`one_at_a_time`), so that a burst of it frees threads one by one. Outside a request
(the command line, tests calling the core) nothing is bounded and :func:`check` costs a
context-variable read.

>>> token = start(0.0)
>>> check()
Traceback (most recent call last):
...
zkg.base.deadline.WorkTimeout: the request was stopped after the time limit of 0 s (ZKG_QUERY_TIMEOUT): it asks for more work than that; ask for less (fewer or shorter texts, fewer queries in a batch)
>>> stop(token); check()  # no deadline: nothing happens
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, TypeVar

from zkg.base.errors import ClientGone, ZkgError

#: Whether the client of the request this thread (context) answers has gone: a callable set
#: by the web server for the length of a request (waitress's
#: ``environ["waitress.client_disconnected"]``, see :mod:`zkg.serve.http_server`; the remote engine's exchanges watch it too, :mod:`zkg.store.remote`); None when
#: the server cannot tell (Flask's test client, other servers), and then nothing is watched.
client_gone: ContextVar[Callable[[], bool] | None] = ContextVar("zkg_client_gone", default=None)


T = TypeVar("T")


class WorkTimeout(ZkgError):
    """A request's own work went past the time limit and was stopped (HTTP 503)."""

    http_status = 503

    def __init__(self, limit: float):
        super().__init__(
            f"the request was stopped after the time limit of {limit:g} s (ZKG_QUERY_TIMEOUT): it asks "
            "for more work than that; ask for less (fewer or shorter texts, fewer queries in a batch)"
        )
        self.limit = limit


#: What stops a request's work: past its deadline, or its client gone.
STOPPED = (WorkTimeout, ClientGone)


@dataclass(frozen=True)
class _Deadline:
    limit: float  # seconds, for the message
    ends: float  # time.monotonic() past which work stops


_current: ContextVar[_Deadline | None] = ContextVar("zkg_deadline", default=None)


def start(limit: float) -> Token[_Deadline | None]:
    """Bound the work of this context (the request a thread answers) to ``limit`` seconds from
    now; give the token to :func:`stop` when the request is over."""
    return _current.set(_Deadline(limit, time.monotonic() + limit))


def stop(token: Token[_Deadline | None]) -> None:
    _current.reset(token)


def check() -> None:
    """Raise :class:`WorkTimeout` past the request's deadline, :class:`ClientGone` when its
    client has closed the connection; nothing outside a request. Cheap (well under a
    microsecond): call it once per unit of work whose count grows with the input."""
    deadline = _current.get()
    if deadline is None:
        return
    if time.monotonic() >= deadline.ends:
        raise WorkTimeout(deadline.limit)
    gone = client_gone.get()
    if gone is not None and gone():
        raise ClientGone()


@contextmanager
def one_at_a_time(lock: threading.Lock, poll: float = 0.1) -> Iterator[None]:
    """Hold ``lock`` for the work in the ``with`` block, waiting for it no longer than the
    deadline allows and no longer than the client stays (:func:`check` while waiting).

    For work done in Python: threads doing it together only share one core (the GIL), so
    all of them finish late; one after another, each finishes as soon as it can and frees
    its thread for the requests waiting for one."""
    while not lock.acquire(timeout=poll):
        check()
    try:
        yield
    finally:
        lock.release()


def checked(items: Iterable[T], every: int = 64) -> Iterator[T]:
    """``items``, calling :func:`check` before the first and then every ``every`` items."""
    for count, item in enumerate(items):
        if count % every == 0:
            check()
        yield item
