"""Reverting a changeset in the browser: a confirmation page, then the revert, with a reason.

- ``GET /changes/<id>/revert``: for a signed-in curator, what the revert would do: the
  statements it would remove and add back (a dry run of
  :meth:`Curator.revert <zkg.curation.writer.Curator.revert>`: nothing is written), the
  shapes' verdict on that (the warnings it would cause, or the violations for which it would
  be refused; what was already in the graph before it set apart, not blocking)
  and a form asking for the reason (required) and a source (optional). Anyone else gets a
  sign-in prompt (403); an unknown changeset 404; one that cannot be reverted (reverted
  already, or changed since by a later changeset) 409, saying why.
- ``POST /changes/<id>/revert`` (``reason``, ``source``, ``next``, the CSRF token): the
  revert, a changeset of its own attributed to the curator, with the reason as its message
  and the source only if one is given (never the reverted changeset's: it said where that
  changeset's facts came from, not why they go); its description names the reverted
  changeset (``zkg:reverts``). Then 303 to ``next`` when it is a path of this site
  (:mod:`zkg.web.redirects`), else to the changeset's page. Without a reason: 400 and the confirmation page again, the
  message beside the field; nothing is written. Refused by the shapes: 422, the page with
  the violations; a conflict: 409.

The dry run's changeset is never written, so the page never links to it: it shows what would
change, not a changeset page that does not exist.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request

from zkg.curation.apply import Conflict, Outcome, Rejected
from zkg.curation.changesets import ChangesetError, IllTypedLiteral, changeset_graph
from zkg.curation.history import get_changeset
from zkg.curation.writer import NO_REASON, Attribution
from zkg.linked_data.labels import labels_for
from zkg.rdf.display import term_text
from zkg.web.curation import writes
from zkg.web.curation.change_views import change_url, entry_views, statement_views
from zkg.web.curation.session import CURATE_SECURITY_POLICY, Forbidden, check_csrf, csrf_token, current_curator
from zkg.web.curation.verdict import path_iris, result_words
from zkg.web.redirects import current_path, local_target
from zkg.web.urls import link, request_languages

revert_blueprint = Blueprint("revert", __name__, template_folder="../templates")

MAX_FINDINGS = 50  # shape results listed on the page; the count says how many there are


def _page(status: int, **context) -> Response:
    response = Response(render_template("revert.html", **context), status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CURATE_SECURITY_POLICY
    return response


def _findings(results) -> list[dict]:
    """Shape results in words: the focus node by its label, linked to its page; the property
    by its label and CURIE (:func:`zkg.web.curation.verdict.result_words`); the message."""
    store = writes.store()
    prefixes = store.prefixes
    results = list(results)
    iris = {str(r.focus_node) for r in results if "://" in str(r.focus_node)}
    iris |= {iri for r in results for iri in path_iris(r.path, prefixes)}
    labels = labels_for(store, iris, request_languages()) if iris else {}
    found = []
    for result in results[:MAX_FINDINGS]:
        focus = str(result.focus_node)
        about, message = result_words(result, labels, prefixes)
        found.append(
            {
                "severity": result.severity,
                "focus": labels.get(focus) or term_text(result.focus_node, prefixes),
                "href": link(focus) if "://" in focus else "",
                "about": about,
                "message": message,
            }
        )
    return found


def _dry_run(changeset_id: str, curator_name: str) -> tuple[int, dict]:
    """What the revert would do, as the page shows it: (status, context). The shapes' verdict
    is split as the write path splits it (:mod:`zkg.validation.causes`): what the revert would
    cause (its violations refuse it), apart from what was already in the graph before it."""
    base = writes.store().base_iri
    try:
        outcome: Outcome = writes.app_curator().revert(changeset_id, Attribution.of_token(curator_name), dry_run=True)
        changeset, caused, preexisting, refused = outcome.changeset, outcome.caused, outcome.preexisting, False
    except Rejected as rejected:
        changeset, caused, preexisting, refused = rejected.changeset, rejected.caused, rejected.preexisting, True
    except Conflict as conflict:
        return 409, {"problem": f"It cannot be reverted: {conflict.message}"}
    except ChangesetError as error:
        return 409, {"problem": f"It cannot be reverted: {error.message}."}
    own = changeset_graph(base, changeset_id)
    violations = [r for r in caused if r.severity == "Violation"]
    warnings = [r for r in caused if r.severity != "Violation"]
    return 200, {
        "would_remove": statement_views(changeset.removals, own),
        "would_add": statement_views(changeset.additions, own),
        "refused": refused,
        "violations": _findings(violations),
        "warnings": _findings(warnings),
        "already": _findings(preexisting),
        "violation_count": len(violations),
        "warning_count": len(warnings),
        "already_count": len(preexisting),
    }


def _confirmation(changeset_id: str, *, status: int = 200, **shown) -> Response:
    """The confirmation page of a signed-in curator, with the dry run made now."""
    curator = current_curator()
    entry = get_changeset(writes.store(), changeset_id, log=writes.app_curator().log)
    if entry is None:
        return writes.plain(f"there is no changeset {changeset_id}", 404)
    dry_status, dry = _dry_run(changeset_id, curator.name)
    context = {
        "view": entry_views([entry])[0],
        "curator": curator,
        "csrf": csrf_token(),
        # Back where the curator came from; else the changeset's page (it shows the revert).
        "next_url": local_target(request.values.get("next") or change_url(changeset_id)),
        "reason": "",
        "source": "",
        "reason_error": None,
        "problem": None,
        "would_remove": [],
        "would_add": [],
        "refused": False,
        "violations": [],
        "warnings": [],
        "already": [],
        **dry,
        **shown,
    }
    return _page(status if status != 200 else dry_status, **context)


def _sign_in_prompt(changeset_id: str, message: str) -> Response:
    sign_in = f"{request.script_root}/sign-in?next=" + quote(current_path(), safe="/")
    return _page(403, changeset_id=changeset_id, curator=None, message=message, sign_in_url=sign_in)


@revert_blueprint.get("/changes/<changeset_id>/revert")
def confirm(changeset_id: str):
    if current_curator() is None:
        if get_changeset(writes.store(), changeset_id, log=writes.app_curator().log) is None:
            return writes.plain(f"there is no changeset {changeset_id}", 404)
        return _sign_in_prompt(changeset_id, "Sign in with a write token to revert a change.")
    return _confirmation(changeset_id)


@revert_blueprint.post("/changes/<changeset_id>/revert")
def revert(changeset_id: str):
    try:
        check_csrf()
    except Forbidden as error:
        return writes.plain(error.message, 403)
    curator = current_curator()
    if curator is None:
        return _sign_in_prompt(changeset_id, "Sign in with a write token to change the graph.")
    reason = " ".join(request.form.get("reason", "").split())
    source = " ".join(request.form.get("source", "").split())
    typed = {"reason": reason, "source": source}
    if not reason:
        return _confirmation(changeset_id, status=400, reason_error=NO_REASON, **typed)
    attribution = Attribution.of_token(curator.name, source=source or None, message=reason)
    try:
        outcome = writes.app_curator().revert(changeset_id, attribution)
    except Rejected:
        # Refused by the shapes: the page again, with the violations of the dry run made now.
        return _confirmation(changeset_id, status=422, **typed)
    except Conflict as conflict:
        return _confirmation(changeset_id, status=409, problem=f"It cannot be reverted: {conflict.message}", **typed)
    except IllTypedLiteral as error:  # a NUL in the reason or the source
        return _confirmation(changeset_id, status=400, problem=f"Not written: {error.message}", **typed)
    except ChangesetError as error:
        return _confirmation(changeset_id, status=409, problem=f"It cannot be reverted: {error.message}.", **typed)
    except Exception as error:
        response = writes.error_response(error)
        if response is None:
            raise
        return response
    flash(f"Reverted {changeset_id}: changeset {outcome.id}.")
    return redirect(local_target(request.form.get("next") or change_url(changeset_id)), 303)
