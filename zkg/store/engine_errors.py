"""What an engine's answer other than success means, as the error zkg raises for it.

:class:`zkg.store.remote.RemoteStore` sends a query or an update; when the engine does not
answer 200 (204 for an update), its status and text are all there is to go on, and engines
differ in how they say the same thing. Read here, apart from how requests are made, so that the
rules sit together and can be read (and tested) on their own:

- **400**: a syntax error, its line numbers moved back by the prologue zkg added
  (:func:`shift_lines`), so they point into the text the user wrote; unless the engine's
  profile says this 400 is not the reader's syntax error (Virtuoso's compiler failing on a
  valid query): then :class:`EngineQueryFailure`, the engine's own words
  (:mod:`zkg.store.engine_profiles`);
- **an unimplemented extension function** (Oxigraph: "The custom function <…> is not
  supported"): :class:`UnsupportedFunction`, which the store answers by sending the query again
  with those calls as errors (:mod:`zkg.store.extension_functions`);
- **stopped**: 503 or 504, a message saying the query was cancelled or timed out, or any
  error once the time limit has passed: :class:`~zkg.store.http_exchange.QueryTimeout`;
- **no room, or read-only**: :class:`~zkg.base.errors.StorageFull` or
  :class:`~zkg.base.errors.ReadOnlyData` (:func:`storage_refusal`);
- anything else: :class:`~zkg.store.http_exchange.EngineUnavailable`, the status and the
  start of the text.
"""

from __future__ import annotations

import re
import time

from zkg.base.errors import QueryError, ReadOnlyData, StoreError, ZkgError, storage_fault
from zkg.store import engine_profiles, extension_functions
from zkg.store.engine_profiles import EngineProfile
from zkg.store.facade import EngineSupervisor
from zkg.store.http_exchange import BodyReader, EngineUnavailable, Exchange, QueryTimeout


class UnsupportedFunction(QueryError):
    """The engine does not implement an extension function the query calls, and the calls
    could not be made errors of their expressions (HTTP 400)."""

    def __init__(self, function: str):
        super().__init__(f"the SPARQL engine does not implement the function <{function}> the query calls")
        self.function = function


class EngineQueryFailure(QueryError):
    """The engine could not run a query that is not at fault as SPARQL (its compiler failed
    on it): said as the engine's failure, never as the reader's syntax error (HTTP 400, as a
    query that fails in evaluation)."""

    def __init__(self, engine: str, message: str):
        super().__init__(f"the SPARQL engine ({engine}) could not run this query: {message}")


#: What an engine says when it stopped a query at its own time limit or was asked to cancel
#: it (Oxigraph, Fuseki, Virtuoso, GraphDB), looked for outside quoted text and IRIs, which
#: are the query's own words.
_STOPPED = re.compile(r"cancel|time ?out|timed out|time limit", re.IGNORECASE)
_QUOTED = re.compile(r"<[^<>\s]*>|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")


def _says_stopped(message: str) -> bool:
    """Whether an engine's error message says the query was stopped (time limit, cancelled).

    >>> _says_stopped("Query cancelled"), _says_stopped("Virtuoso S1T00 Error SR171: Transaction timed out")
    (True, True)
    >>> _says_stopped("QueryTimeoutException"), _says_stopped("the query was canceled")
    (True, True)
    >>> _says_stopped("IO error: <http://example.org/timeout> 'cancelled'"), _says_stopped("disk I/O error")
    (False, False)
    """
    return bool(_STOPPED.search(_QUOTED.sub(" ", message)))


def failure(
    exchange: Exchange,
    status: int,
    *,
    prologue_lines: int,
    where: object,
    supervisor: EngineSupervisor | None,
    engine: EngineProfile = engine_profiles.OXIGRAPH,
) -> ZkgError:
    """The error an answer of ``status`` means; its text is read from ``exchange`` (under the
    deadline), which is then closed. ``prologue_lines``: lines zkg put before the user's text;
    ``where`` and ``supervisor``: as for :func:`storage_refusal`; ``engine``: the engine's
    profile, which says which 400s are syntax errors and where its message ends."""
    try:
        text = BodyReader(exchange).read().decode("utf-8", "replace").strip()
    except ZkgError as error:
        return error
    finally:
        exchange.close()
    if status == 400:
        message = engine.error_message(text)
        if not engine.is_syntax_error(text):
            return EngineQueryFailure(engine.name, message)
        return QueryError(f"SPARQL syntax error: {shift_lines(message, prologue_lines)}")
    function = extension_functions.unsupported_function(text)
    if function is not None:  # the query's doing, not an outage (RemoteStore._answered)
        return UnsupportedFunction(function)
    if status in (503, 504) or _says_stopped(text):
        return QueryTimeout(exchange.limit)
    fault = storage_refusal(status, text, where=where, supervisor=supervisor)
    if fault is not None:
        return fault
    if time.monotonic() - exchange.started_at >= exchange.limit:
        # An error that comes once the time limit has passed is the engine's own limit
        # at work (Oxigraph's --timeout-s shows as "Resource temporarily unavailable
        # (os error 11)" when it strikes while the answer is being read or written).
        return QueryTimeout(exchange.limit)
    return EngineUnavailable(f"the SPARQL engine answered {status}: {engine.error_message(text)[:300]}")


def storage_refusal(status: int, text: str, *, where: object, supervisor: EngineSupervisor | None) -> StoreError | None:
    """StorageFull / ReadOnlyData when the engine could not write for lack of disk space or
    because it serves read-only (see :mod:`zkg.base.errors`), else None. ``where`` names the
    store in the message (its data directory, or the engine's address); ``supervisor`` is the
    process running the engine, when zkg runs it: it may know why the engine is read-only.

    >>> storage_refusal(403, "the store is read-only", where="d", supervisor=None).message
    'the SPARQL engine serves the store read-only: writes are refused'
    >>> storage_refusal(500, "boom", where="d", supervisor=None) is None
    True
    """
    fault = storage_fault(text, where)
    if fault is None and status == 403 and "read-only" in text.lower():
        # The managed engine says why it serves read-only (a read-only directory, a full disk).
        known = supervisor.read_only_reason if supervisor is not None else None
        fault = known or ReadOnlyData("the SPARQL engine serves the store read-only: writes are refused")
    return None if fault is None else type(fault)(fault.message)


_POSITION = re.compile(r"\b(at |line )(\d+)([:,])")


def shift_lines(message: str, lines: int) -> str:
    """An engine's error message with its line numbers moved back by the ``lines`` of
    prologue zkg added, so they point into the text the user wrote.

    >>> shift_lines("error at 3:9: expected one of LATERAL", 2)
    'error at 1:9: expected one of LATERAL'
    """
    if not lines:
        return message

    def move(match: re.Match[str]) -> str:
        number = int(match.group(2)) - lines
        return match.group(0) if number < 1 else f"{match.group(1)}{number}{match.group(3)}"

    return _POSITION.sub(move, message, count=1)
