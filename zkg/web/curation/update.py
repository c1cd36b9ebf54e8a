"""SPARQL 1.1 Update at ``/sparql`` (POST ``update=`` form or ``application/sparql-update``).

:mod:`zkg.web.sparql.endpoint` reads the request by the protocol's rules (415 for other content
types, 400 for an update sent by GET, for two ``update`` parameters, or for a query and an
update together) and hands an update to :func:`handle_update`, which :func:`init_update`
installs as ``app.extensions["zkg.update_handler"]``.

The update is never run by the engine: :meth:`zkg.curation.writer.Curator.apply_update` works out
the quads it adds and removes (reading the store, :mod:`zkg.curation.update_translation`), and
the changeset goes through the one write path (:func:`zkg.curation.apply.apply_changeset`):
bearer token (401/403, :mod:`zkg.web.curation.writes`), source (400), SHACL check (422),
removals still there (409), one atomic write. A request that
deletes by name (DELETE DATA, a DELETE template quad without variables) a statement that is not
there, and inserts, is a correction made against a state someone else has changed since: 409,
as the browser's form answers (a DELETE DATA of absent data alone is a no-op). The writer lock
is held from the translation to the commit, so no other write comes in between. An update
that changes nothing is answered 200 without a changeset. ``using-graph-uri`` and
``using-named-graph-uri`` (URL or form) give the WHERE clauses' dataset; with USING or WITH
in the update as well: 400.
"""

from __future__ import annotations

from flask import Flask, Response, request

from zkg.base.errors import QueryError
from zkg.sparql import guard as sparql_guard
from zkg.sparql.explain import explain
from zkg.web.curation import writes


def _protocol_list(name: str) -> list[str]:
    values = request.args.getlist(name)
    if request.mimetype == "application/x-www-form-urlencoded":
        values += request.form.getlist(name)
    return values


def handle_update(operation) -> Response:
    """Answer a SPARQL Update request (``operation.update`` is its text)."""
    writes.mark_write()
    try:
        # What zkg refuses whoever asks (LOAD, SERVICE: no outbound requests) is said first.
        store = writes.store()
        reading = sparql_guard.check_update(operation.update, base_iri=store.base_iri, prefixes=store.prefixes)
        attribution = writes.request_attribution()
        done = writes.app_curator().apply_update(
            operation.update,
            attribution,
            using_graphs=_protocol_list("using-graph-uri"),
            using_named_graphs=_protocol_list("using-named-graph-uri"),
            reading=reading,
            dry_run=writes.dry_run_requested(),
        )
        if done.outcome is None:
            return writes.nothing_to_do(done.summary)
        return writes.committed_response(done.outcome, summary=done.summary)
    except QueryError as error:  # answered by /sparql's handlers, with the line quoted and a hint
        found = explain(error.message, operation.update, writes.store().prefixes)
        if found is not None:
            error.detail = found.render()
        raise
    except Exception as error:  # the write path's own errors; the rest goes to /sparql's handlers
        response = writes.error_response(error)
        if response is None:
            raise
        return response


def init_update(app: Flask) -> None:
    app.extensions["zkg.update_handler"] = handle_update
