"""Curation in the browser: sign-in with a token, the forms on entity pages.

- **Sign-in** (``/sign-in``): a curator pastes a write token (``zkg token create NAME``). The
  session is recorded in the data directory and named by a signed cookie (``zkg_session``,
  never holding the token): it lasts 8 hours, ends for good on signing out, and a revoked
  token ends it too (:mod:`zkg.web.sessions`). Where to go afterwards (``next``) is kept only
  when it is a path of this site (:mod:`zkg.web.redirects`).
- **CSRF.** Every form carries the session's CSRF token, checked on every POST (constant-time
  comparison); a POST whose ``Origin`` is another origin, or that the browser marks as
  cross-site (``Sec-Fetch-Site``), is refused (403) before that. The session cookie is
  SameSite=Strict as well. SPARQL Update and the Graph Store Protocol ignore the session:
  they take bearer tokens only (:mod:`zkg.web.curation.writes`).
- **Forms** (``_curate.html``, included in the entity page): add a statement (property and
  target entity chosen by label, with autocompletion from ``/search`` and the vocabulary),
  or correct a value (one of the entity's statements replaced by a new value); the source is
  required. Both go through the one write path; a rejected change shows the SHACL report
  (422), a stale one the conflict (409), with the form to try again. What was typed is read
  as terms by :mod:`zkg.web.curation.form_values`; the panel the forms are in is
  :mod:`zkg.web.curation.panel`.
- **Revert**: a confirmation page asking for the reason, :mod:`zkg.web.curation.revert`.

Pages a curator sees carry their CSRF token, so they are never cached (``private,
no-store``) and entity pages allow this origin's script (the autocompletion) for curators
only; everyone else gets the script-free, cacheable pages.
"""

from __future__ import annotations

import secrets

import pyoxigraph as ox
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
)

from zkg.curation import tokens
from zkg.curation.apply import Conflict, Rejected
from zkg.curation.writer import Attribution
from zkg.linked_data.labels import labels_for
from zkg.web.curation import writes
from zkg.web.curation.form_values import FormError, FormInput, make_value, parse_statement, resolve_property
from zkg.web.curation.session import (
    CURATE_SECURITY_POLICY,
    Forbidden,
    check_csrf,
    current_curator,
    require_curator,
)
from zkg.web.curation.verdict import verdict_by_field
from zkg.web.redirects import local_target
from zkg.web.sessions import session_records
from zkg.web.urls import page_url

curate_blueprint = Blueprint(
    "curate", __name__, template_folder="../templates", static_folder="../static", static_url_path="/curate/static"
)


def _page(template: str, status: int = 200, **context) -> Response:
    response = Response(render_template(template, **context), status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CURATE_SECURITY_POLICY
    return response


# -- sign-in ------------------------------------------------------------------------------------


@curate_blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    next_url = local_target(request.values.get("next"))
    if request.method == "GET":
        return _page("sign_in.html", next_url=next_url, error=None, curator=current_curator())
    try:
        check_csrf()
    except Forbidden as error:
        return _page("sign_in.html", 403, next_url=next_url, error=error.message, curator=None)
    info = tokens.check(current_app.config["ZKG_SETTINGS"].data, request.form.get("token", "").strip() or None)
    if info is None:
        return _page(
            "sign_in.html", 401, next_url=next_url, error="That token is not valid (unknown or revoked).", curator=None
        )
    if not info.can_write:
        return _page(
            "sign_in.html",
            403,
            next_url=next_url,
            curator=None,
            error=f"The token {info.name!r} may only read: curating needs a write token.",
        )
    records = session_records(current_app)
    records.end(session.get("sid"))  # whatever session this browser had ends here
    records.sweep()
    try:
        session_id, record = records.start(info.name, info.created.isoformat())
    except OSError as error:
        return _page(
            "sign_in.html",
            503,
            next_url=next_url,
            curator=None,
            error=f"Signing in is not possible now: the data directory cannot record the session ({error.strerror}).",
        )
    session.clear()
    session["sid"] = session_id
    session["until"] = int(record.ends)
    session["csrf"] = secrets.token_urlsafe(32)  # a new one for the new session
    flash(f"Signed in as {info.name}.")
    return redirect(next_url, 303)


@curate_blueprint.post("/sign-out")
def sign_out():
    try:
        check_csrf()
    except Forbidden as error:
        return writes.plain(error.message, 403)
    # Ended on the server: a copy of this cookie no longer signs anyone in.
    session_records(current_app).end(session.get("sid"))
    session.clear()
    return redirect(local_target(request.form.get("next")), 303)


# -- the forms ----------------------------------------------------------------------------------


@curate_blueprint.post("/curate/statement")
def statement():
    """Add a statement, or (``replaces``) correct one: one changeset either way."""
    data = FormInput.from_request()
    try:
        check_csrf()
        curator = require_curator()
        subject = ox.NamedNode(data.subject)
        replaced = parse_statement(data.replaces) if data.replaces else None
        if replaced is not None and replaced.subject != subject:
            raise FormError("that statement is not about this entity")
        predicate = replaced.predicate if replaced is not None else resolve_property(data.property, subject)
        if not data.source:
            raise FormError("say where this comes from: the source is required (a URL or a citation)")
        value = make_value(data, replaced)
        addition = ox.Quad(subject, predicate, value)  # no graph: the changeset's own graph
        if replaced is not None and (replaced.subject, replaced.predicate, replaced.object) == (
            subject,
            predicate,
            value,
        ):
            raise FormError("the new value is the same as the old one")
        attribution = Attribution.of_token(curator.name, source=data.source, message=data.message)
        # The statement replaced is one the page listed, in its graph: removed exactly there.
        outcome = writes.app_curator().write(
            attribution, additions=[addition], removals=[replaced] if replaced is not None else []
        )
    except ValueError as error:  # an IRI pyoxigraph refuses
        return _failed(data, 400, f"not a valid IRI: {error}")
    except Forbidden as error:
        return _failed(data, 403, error.message)
    except FormError as error:
        return _failed(data, 400, error.message)
    except Exception as error:
        return _write_failed(data, error)
    verb = "Corrected" if replaced is not None else "Added"
    was = f" “{_shown(data.replaces)}” → “{_shown(f'{addition} .')}”" if replaced is not None else ""
    flash(
        f"{verb}{was}: changeset {outcome.id} ({len(outcome.changeset.additions)} added, "
        f"{len(outcome.changeset.removals)} removed)."
    )
    return redirect(local_target(_entity_page(data.subject)), 303)


def _entity_page(iri: str) -> str:
    return page_url(iri) or f"{request.script_root}/"


def _write_failed(data: FormInput, error: Exception) -> Response:
    if isinstance(error, Rejected):
        try:
            report = error.text()
        except NotImplementedError:
            report = error.message
        verdict = verdict_by_field(writes.store(), None, None, error.report, preexisting=error.preexisting)
        return _failed(
            data,
            422,
            "The change was refused: it would break the graph's shapes. Nothing was written.",
            report=report,
            verdict=verdict,
        )
    if isinstance(error, Conflict):
        return _failed(
            data,
            409,
            "The statement you corrected has changed since the page was loaded. "
            "Nothing was written: reload the page and try again.",
        )
    response = writes.error_response(error)
    if response is None:
        raise error
    return _failed(data, response.status_code, response.get_data(as_text=True).strip())


def _failed(data: FormInput, status: int, message: str, report: str | None = None, verdict=None) -> Response:
    return _page(
        "curate_result.html",
        status,
        data=data,
        message=message,
        report=report,
        verdict=verdict,
        old=_shown(data.replaces),
        back=_entity_page(data.subject) if data.subject else None,
    )


def _shown(nquad: str) -> str | None:
    """The value of the statement a correction names, as a page shows it."""
    if not nquad:
        return None
    try:
        value = parse_statement(nquad).object
    except FormError:
        return None
    if isinstance(value, ox.NamedNode):
        return labels_for(writes.store(), [value.value])[value.value]
    return value.value


# -- caching and security headers of pages curators see ---------------------------------------------


def _has_session_cookie() -> bool:
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies


@curate_blueprint.before_app_request
def _no_revalidation_for_curators():
    # A curator's pages carry a CSRF token, forms and their name: never a 304 of a shared version.
    if request.method in ("GET", "HEAD") and _has_session_cookie() and session.get("sid"):
        request.environ.pop("HTTP_IF_NONE_MATCH", None)
        request.environ.pop("HTTP_IF_MODIFIED_SINCE", None)


@curate_blueprint.after_app_request
def _curator_headers(response: Response) -> Response:
    if response.mimetype != "text/html":
        return response
    response.vary.add("Cookie")  # pages differ for signed-in curators
    if (_has_session_cookie() and session.get("sid")) or request.path.startswith("/sign-in"):
        response.headers["Cache-Control"] = "private, no-store"
        for name in ("ETag", "Last-Modified"):
            response.headers.pop(name, None)
        if request.path.startswith("/page/") and "Content-Security-Policy" in response.headers:
            response.headers["Content-Security-Policy"] = CURATE_SECURITY_POLICY
    return response


# -- registration -----------------------------------------------------------------------------------
