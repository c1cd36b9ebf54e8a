"""SPARQL 1.1 Update at ``/sparql`` (POST ``update=`` form or ``application/sparql-update``).

:mod:`zkg.web.sparql.endpoint` reads the request by the protocol's rules (415 for other content
types, 400 for an update sent by GET, for two ``update`` parameters, or for a query and an
update together) and hands an update to :func:`handle_update`, which :func:`init_update`
installs as ``app.extensions["zkg.update_handler"]``.

The update is never run by the engine: :mod:`zkg.curation.update_translation` works out the quads it
adds and removes (reading the store), and the changeset goes through the one write path
(:mod:`zkg.web.curation.writes`, :func:`zkg.curation.apply.apply_changeset`): bearer token (401/403),
source (400), SHACL check (422), removals still there (409), one atomic write. A request that
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

from zkg.sparql import guard as sparql_guard
from zkg.curation.update_translation import translate_update
from zkg.web.curation import writes


def _protocol_list(name: str) -> list[str]:
    values = request.args.getlist(name)
    if request.mimetype == "application/x-www-form-urlencoded":
        values += request.form.getlist(name)
    return values


def _stale(translation):
    """The 409 of a stale correction (see :attr:`Translation.stale_correction`)."""
    from zkg.curation.apply import Conflict

    return Conflict(f"the update deletes {len(translation.stale)} statement(s) that are not there (changed since?) "
                    f"and inserts others: a correction of a value someone else has changed, e.g. "
                    f"{translation.stale[0]}", tuple(translation.stale))


def handle_update(operation) -> Response:
    """Answer a SPARQL Update request (``operation.update`` is its text)."""
    writes.mark_write()
    try:
        # What zkg refuses whoever asks (LOAD, SERVICE: no outbound requests) is said first.
        store = writes.store()
        reading = sparql_guard.check_update(operation.update, base_iri=store.base_iri, prefixes=store.prefixes)
        token = writes.require_writer()
        source = writes.request_source()
        log = writes.change_log()
        with log.writing():
            translation = translate_update(store, operation.update,
                                           using_graphs=_protocol_list("using-graph-uri"),
                                           using_named_graphs=_protocol_list("using-named-graph-uri"),
                                           keep=writes.protected(store), reading=reading)
            summary = "\n".join(translation.operations)
            if translation.stale_correction:
                raise _stale(translation)
            if translation.empty:
                return writes.nothing_to_do(summary)
            changeset = writes.new_changeset(agent=token.name, source=source, additions=translation.additions,
                                             removals=translation.removals, message=writes.request_message(),
                                             default_additions_to_own_graph=True,
                                             new_nodes=translation.new_nodes, anchors=translation.anchors)
            outcome = writes.apply(changeset, dry_run=writes.dry_run_requested())
        return writes.committed_response(outcome, summary=summary)
    except Exception as error:  # the write path's own errors; the rest goes to /sparql's handlers
        response = writes.error_response(error)
        if response is None:
            raise
        return response


def init_update(app: Flask) -> None:
    app.extensions["zkg.update_handler"] = handle_update
