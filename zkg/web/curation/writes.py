"""What every HTTP write shares: who is writing (bearer token), from which source, the app's
:class:`~zkg.curation.writer.Curator` (the one write API: the web decides nothing about a write),
and its outcomes as HTTP answers.

- **Who.** ``Authorization: Bearer <token>`` (``zkg token create NAME``); the token's name is
  the changeset's agent (``{base}id/agent/NAME``,
  :meth:`zkg.curation.writer.Attribution.agent_for`). No token: 401 with
  ``WWW-Authenticate: Bearer``; an unknown one: 401 (``error="invalid_token"``); a read-only one: 403 (``error="insufficient_scope"``).
  SPARQL Update and the Graph Store Protocol take bearer tokens only, never the browser's
  session cookie: a cookie is sent by the browser on its own, a bearer token is not, so these
  endpoints cannot be driven by a forged cross-site request (the browser forms, which do use
  the session, carry a CSRF token: :mod:`zkg.web.curation.forms`).
- **Source.** Required: the ``ZKG-Source`` header or a ``source=`` parameter (URL or form),
  an absolute IRI or citation text; missing: 400. There is no default source: a client that
  cannot set headers puts ``?source=…`` in the endpoint URL it is given. ``ZKG-Message`` /
  ``message=`` is the optional reason. ``ZKG-Dry-Run: 1`` / ``dry-run=1`` checks without
  writing and answers what would change.
- **Outcomes.** Committed: 200 (or what the caller says: 201, 204) naming the changeset in
  ``ZKG-Changeset`` and ``Link: </changes/ID>``; its text lists the SHACL results the change
  causes (warnings) and, apart, those already in the graph before it. Rejected by the shapes
  (a violation the change causes; one already in the graph does not block): 422 with the
  SHACL report, as readable text (default) or HTML, in two parts (what this change causes,
  blocking; what was already in the graph before it), or RDF by ``Accept`` (Turtle,
  N-Triples, JSON-LD, RDF/XML): a ``sh:ValidationReport``, ``sh:conforms false``, of the
  results this change causes only. Removals no longer matching, and a SPARQL
  Update correcting a statement that is no longer there: 409. A changeset touching what only
  zkg writes (the vocabulary, the shapes, the records of changesets and their agents, another
  changeset's graph: :mod:`zkg.curation.reserved`): 403. No room left
  on the data directory's disk: 507, nothing written; a read-only data directory: 503, nothing
  written (as for an engine that cannot take the write). Writes never get CORS headers.
"""

from __future__ import annotations

from html import escape

import pyoxigraph as ox
from flask import Flask, Response, current_app, g, request

from zkg.base.errors import StoreError, ZkgError
from zkg.curation import tokens
from zkg.curation.apply import Conflict, Rejected
from zkg.curation.changesets import ChangesetError
from zkg.curation.writer import Attribution, Curator, NoSuchGraph
from zkg.rdf import negotiation
from zkg.rdf.display import term_text
from zkg.rdf.negotiation import HTML
from zkg.validation.causes import counts
from zkg.web.responses import plain  # noqa: F401 (writes.plain: the curation area's name for it)

SOURCE_HEADER = "ZKG-Source"
MESSAGE_HEADER = "ZKG-Message"
DRY_RUN_HEADER = "ZKG-Dry-Run"
CHANGESET_HEADER = "ZKG-Changeset"
REALM = 'Bearer realm="zkg"'


class WriteRefused(ZkgError):
    """A write answered with an HTTP error before anything was changed."""

    def __init__(self, message: str, status: int, headers: dict | None = None):
        super().__init__(message)
        self.http_status = status
        self.headers = headers or {}

    def response(self) -> Response:
        response = plain(self.message, self.http_status)
        response.headers.update(self.headers)
        return response


def mark_write() -> None:
    """This request writes: no CORS headers on its response (see zkg.web.sparql.endpoint.cors)."""
    g.zkg_write = True


def is_write() -> bool:
    return bool(g.get("zkg_write"))


# -- who ---------------------------------------------------------------------------------------


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def require_writer() -> tokens.TokenInfo:
    """The writing token's info; WriteRefused 401/403 otherwise."""
    mark_write()
    presented = bearer_token()
    if presented is None:
        raise WriteRefused(
            "writing needs a bearer token: Authorization: Bearer <token> (`zkg token create NAME` makes one)",
            401,
            {"WWW-Authenticate": REALM},
        )
    info = tokens.check(current_app.config["ZKG_SETTINGS"].data, presented)
    if info is None:
        raise WriteRefused(
            "the bearer token is not valid (unknown or revoked)",
            401,
            {"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    if not info.can_write:
        raise WriteRefused(
            f"the token {info.name!r} may only read; writing needs a write token",
            403,
            {"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="write"'},
        )
    return info


# -- what -------------------------------------------------------------------------------------


def _parameter(name: str) -> str | None:
    value = request.args.get(name)
    if value is None and request.mimetype == "application/x-www-form-urlencoded":
        value = request.form.get(name)
    return value


def request_source() -> str:
    """The source of the facts written, from the header or parameter; WriteRefused 400."""
    source = (request.headers.get(SOURCE_HEADER) or _parameter("source") or "").strip()
    if not source:
        raise WriteRefused(
            f"say where the facts come from: a {SOURCE_HEADER} header or a source= parameter "
            "(an IRI, e.g. the article's URL, or a citation)",
            400,
        )
    return source


def request_message() -> str:
    return (request.headers.get(MESSAGE_HEADER) or _parameter("message") or "").strip()


def dry_run_requested() -> bool:
    value = request.headers.get(DRY_RUN_HEADER) or _parameter("dry-run") or ""
    return value.strip().lower() in ("1", "true", "yes")


# -- the write path ----------------------------------------------------------------------------


def init_writes(app: Flask) -> None:
    """Give the app its :class:`~zkg.curation.writer.Curator`, on its store and the store's
    change log: one per app, made with the app so that every request shares its log."""
    app.extensions["zkg.curator"] = Curator(app.config["ZKG_STORE"])


def store():
    return current_app.config["ZKG_STORE"]


def app_curator() -> Curator:
    """The app's one write API (every HTTP write goes through it) and its change log."""
    return current_app.extensions["zkg.curator"]


def request_attribution() -> Attribution:
    """Who writes (the bearer token: 401, 403), from which source (400) and why, as the request says."""
    token = require_writer()
    return Attribution.of_token(token.name, source=request_source(), message=request_message())


def changes_url(changeset_id: str) -> str:
    return f"{request.script_root}/changes/{changeset_id}"


def committed_response(outcome, *, status: int = 200, summary: str = "", headers: dict | None = None) -> Response:
    """The answer to an accepted write (or a dry run)."""
    changeset = outcome.changeset
    if getattr(outcome, "noop", False):
        return nothing_to_do(
            "every statement is there already" + (f"\n{summary}" if summary else ""), 204 if status == 204 else 200
        )
    lines = []
    if outcome.committed:
        lines.append(
            f"committed changeset {changeset.id}: {len(changeset.additions)} added, {len(changeset.removals)} removed"
        )
    else:
        lines.append(
            f"dry run: nothing written; changeset would add {len(changeset.additions)} and remove "
            f"{len(changeset.removals)}"
        )
    if summary:
        lines.append(summary)
    # The results themselves, in the answer (a dry run has no changeset page to point to):
    # what this change causes, then, apart, what was already on its nodes before it.
    lines += verdict_lines(outcome, store().prefixes)
    try:
        from zkg.curation.changesets import diff_description

        lines += ["", diff_description(changeset, store().prefixes)]
    except (ZkgError, NotImplementedError):
        pass
    if status == 204:
        response = Response(status=204)
    else:
        response = plain("\n".join(lines), status)
    if outcome.committed:
        response.headers[CHANGESET_HEADER] = changeset.id
        response.headers.add("Link", f'<{changes_url(changeset.id)}>; rel="related"; title="changeset"')
    response.headers.update(headers or {})
    return response


def verdict_lines(outcome, prefixes: dict) -> list[str]:
    """An accepted write's SHACL results as plain-text lines: those this change causes (no
    violation: it would have been rejected), then those already in the graph before it."""
    verdict = outcome.verdict
    if verdict is None:
        return []
    lines = []
    if verdict.caused:
        warnings = sum(1 for r in verdict.caused if r.severity == "Warning")
        infos = len(verdict.caused) - warnings
        lines.append(
            f"this change causes {warnings} SHACL warning(s){f', {infos} info(s)' if infos else ''}, not blocking:"
        )
        lines += [_result_line(r, prefixes) for r in verdict.caused]
    if verdict.preexisting:
        lines.append(
            f"already in the graph before this change, not caused by it, not blocking: {counts(verdict.preexisting)}:"
        )
        lines += [_result_line(r, prefixes) for r in verdict.preexisting]
    return lines


def _result_line(result, prefixes: dict) -> str:
    value = f" ({term_text(result.value, prefixes)})" if result.value is not None else ""
    return (
        f"  {result.severity.lower()}: {term_text(result.focus_node, prefixes)} {result.path}{value}: {result.message}"
    )


def nothing_to_do(summary: str, status: int = 200) -> Response:
    if status == 204:
        return Response(status=204)
    return plain(f"nothing to change: {summary}" if summary else "nothing to change", status)


# -- errors ------------------------------------------------------------------------------------

REPORT_FORMATS = (negotiation.TURTLE, negotiation.N_TRIPLES, negotiation.JSON_LD, negotiation.RDF_XML)
PLAIN = negotiation.Format("text", "text/plain", "text", text=True)


def rejected_response(error) -> Response:
    """422 with the shapes' verdict: text (default), HTML, or RDF by Accept. The text and HTML
    say what this change causes (blocking) and, apart, what was already in the graph before
    it; the RDF is the sh:ValidationReport of what the change causes (``sh:conforms false``)."""
    chosen = negotiation.negotiate(request.headers.get("Accept"), (PLAIN, HTML, *REPORT_FORMATS)) or PLAIN
    text = _report_text(error)
    if chosen is HTML:
        body = (
            "<!doctype html><meta charset=utf-8><title>Rejected: the change breaks the shapes</title>"
            "<h1>Rejected: the change breaks the shapes</h1>"
            f"<p>Nothing was written.</p><pre>{escape(text)}</pre>"
        )
        response = Response(body, status=422, mimetype="text/html")
    elif chosen is PLAIN:
        response = plain("rejected: nothing was written; the change would break the shapes\n\n" + text, 422)
    else:
        turtle = error.turtle()
        if chosen is negotiation.TURTLE:
            body = turtle
        else:
            triples = [q.triple if isinstance(q, ox.Quad) else q for q in ox.parse(turtle, format=ox.RdfFormat.TURTLE)]
            body = ox.serialize(triples, format=chosen.oxigraph)
        response = Response(body, status=422, content_type=chosen.content_type)
    response.vary.add("Accept")
    return response


def _report_text(error) -> str:
    try:
        return error.text()
    except NotImplementedError:
        return error.message


def error_response(error: Exception) -> Response | None:
    """The HTTP answer to an error of the write path, or None if it is not one of them."""

    if isinstance(error, WriteRefused):
        return error.response()
    if isinstance(error, Rejected):
        return rejected_response(error)
    if isinstance(error, Conflict):
        lines = [f"conflict: {error.message}", "nothing was written; read the current state and try again"]
        lines += [f"  no longer there: {q} ." for q in error.missing[:20]]
        return plain("\n".join(lines), 409)
    if isinstance(error, NoSuchGraph):
        return plain(error.message, 404)
    if isinstance(error, ChangesetError):
        status = getattr(error, "http_status", 400)
        return plain(f"refused: {error.message}", status if status in (400, 403) else 400)
    if isinstance(error, StoreError):
        # 507 for a full disk (StorageFull), else 503: the server's state, not the request.
        status = error.http_status if error.http_status in (503, 507) else 503
        return plain(f"the store cannot take the write: {error.message}", status)
    return None
