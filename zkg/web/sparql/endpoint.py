"""``/sparql``: the query side of the SPARQL 1.1 Protocol.

GET with ``query=``, POST form-encoded, POST ``application/sparql-query``; the dataset from
``default-graph-uri``/``named-graph-uri`` (else the union of all graphs as default graph,
unless the query has FROM/FROM NAMED); results negotiated per query form
(:mod:`zkg.rdf.negotiation`), capped at the row limit and marked when capped
(:mod:`zkg.rdf.results`); the time limit enforced by the engine (:mod:`zkg.store.remote`). GET with no
query answers the service description (or the editor, for a browser). Parameters the
protocol does not define (SPARQLWrapper's ``output=``, ``results=``) are ignored.

SPARQL Update (POST only) is handed to ``app.extensions["zkg.update_handler"]``
(:mod:`zkg.web.curation.update`, the curation write path); its responses carry no CORS headers, and
the CORS preflight never allows ``Authorization``.

Every failure is a plain-text error a person can act on: 400 for a bad or refused query
(with the parser's message and position), 406 with the formats on offer, 413 past the size
limit, 415 for a body that is not UTF-8 SPARQL or a form, 503 past the time limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Blueprint, Response, current_app, g, request
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from zkg.base.errors import ZkgError
from zkg.rdf import negotiation
from zkg.rdf.negotiation import HTML
from zkg.sparql import protocol
from zkg.web.responses import TRUNCATED_HEADER, answer_response, limits_url, plain  # noqa: F401 (TRUNCATED_HEADER: as before)
from zkg.web.security import preflight_response
from zkg.web.sparql.service import service_description_response

sparql_blueprint = Blueprint("sparql", __name__)

#: Response headers a browser script may read across origins.
EXPOSED_HEADERS = "Content-Type, Link, Warning, ZKG-Results-Truncated"


class ProtocolError(ZkgError):
    """A request the protocol does not allow, with its HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class ProtocolRequest:
    """The SPARQL operation a request carries, and its parameters."""

    query: str | None = None
    update: str | None = None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)


def _single(params: MultiDict, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise ProtocolError(f"the request has {len(values)} '{name}' parameters; send exactly one")
    return values[0] if values else None


def _utf8_body(kind: str) -> str:
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.strip().lower() not in ("utf-8", "utf8"):
        raise ProtocolError(f"the {kind} must be UTF-8 (got charset={charset})", 415)
    try:
        return request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(f"the {kind} is not valid UTF-8 (byte {error.start})", 400) from None


def read_protocol_request() -> ProtocolRequest:
    """What the request asks, by the protocol's rules; ProtocolError if it breaks them."""
    settings = current_app.config["ZKG_SETTINGS"]
    if len(request.query_string) > settings.max_request_bytes:
        raise ProtocolError(
            f"the URL is longer than the limit of {settings.max_request_bytes} bytes "
            "(ZKG_MAX_REQUEST_BYTES); POST long queries",
            413,
        )
    params: MultiDict = request.args
    body: str | None = None
    operation = None
    if request.method == "POST":
        mimetype = request.mimetype
        if mimetype == "application/x-www-form-urlencoded":
            charset = request.mimetype_params.get("charset")
            if charset is not None and charset.strip().lower() not in ("utf-8", "utf8"):
                raise ProtocolError(f"the form must be UTF-8 (got charset={charset})", 415)
            params = CombinedMultiDict([request.args, request.form])
        elif mimetype == "application/sparql-query":
            operation, body = "query", _utf8_body("query")
        elif mimetype == "application/sparql-update":
            operation, body = "update", _utf8_body("update")
        else:
            found = f"Content-Type {mimetype}" if mimetype else "no Content-Type"
            raise ProtocolError(
                f"a POST to /sparql needs Content-Type application/x-www-form-urlencoded (query=…) or "
                f"application/sparql-query (the query as the body); this one has {found}",
                415,
            )
    elif "update" in request.args:
        raise ProtocolError("SPARQL Update cannot be sent with GET: POST it")
    parsed = ProtocolRequest(
        default_graphs=params.getlist("default-graph-uri"),
        named_graphs=params.getlist("named-graph-uri"),
        formats=params.getlist("format"),
    )
    if operation is not None:
        if "query" in request.args or "update" in request.args:
            raise ProtocolError(f"the {operation} is in the body: it cannot also be a URL parameter")
        setattr(parsed, operation, body)
    else:
        parsed.query = _single(params, "query")
        parsed.update = _single(params, "update")
    if parsed.query is not None and parsed.update is not None:
        raise ProtocolError("a request carries a query or an update, not both")
    return parsed


# -- the endpoint ------------------------------------------------------------------------------


@sparql_blueprint.route("/sparql", methods=["GET", "POST", "OPTIONS"], provide_automatic_options=False)
def endpoint():
    if request.method == "OPTIONS":
        return preflight()
    try:
        operation = read_protocol_request()
        if operation.update is not None:
            g.zkg_write = True  # no CORS on writes, refused ones included
            handler = current_app.extensions.get("zkg.update_handler")
            if handler is not None and request.method == "POST":
                return handler(operation)  # SPARQL Update, where the app has a write path
            raise ProtocolError(
                "this endpoint answers queries (SELECT, ASK, CONSTRUCT, DESCRIBE); it does not accept SPARQL Update"
            )
        if operation.query is None:
            if request.method == "POST":
                raise ProtocolError("the POST carries no query: send query=… or an application/sparql-query body")
            return describe_service(operation)
        return answer_query(operation)
    except ProtocolError as error:
        return plain(error.message, error.status)
    except protocol.FAILURES as error:  # refused, failed, not acceptable, stopped (zkg.sparql.protocol)
        return answer_response(protocol.failure(error))


def preflight() -> Response:
    """CORS preflight: any origin may read, with the headers it asks for, without credentials."""
    asked = request.headers.get("Access-Control-Request-Headers", "")
    # Never Authorization: writes (SPARQL Update with a bearer token) get no CORS at all.
    allowed = ", ".join(
        h
        for h in (p.strip() for p in asked.split(","))
        if re.fullmatch(r"[A-Za-z0-9-]+", h) and h.lower() != "authorization"
    )
    return preflight_response("GET, POST, OPTIONS", allowed or "Accept, Content-Type")


@sparql_blueprint.after_app_request
def cors(response: Response) -> Response:
    # Reads are open to scripts on any origin; no credentials are involved (no cookies).
    # Writes (SPARQL Update, zkg.web.curation.writes) never are.
    if g.get("zkg_write"):
        return response
    if request.path == "/sparql" or request.path.startswith(("/sparql/", "/.well-known/void")):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def editor_page(query: str | None) -> Response:
    """The query editor (another module); a minimal page while it is not there."""
    try:
        from zkg.web.sparql.editor import render_editor
    except ImportError:
        from html import escape

        body = (
            f"<!doctype html><title>zkg SPARQL</title><form method=get action=/sparql>"
            f"<textarea name=query rows=12 cols=80>{escape(query or '')}</textarea>"
            f"<button>Run</button></form>"
        )
        response = Response(body, mimetype="text/html")
    else:
        response = render_editor(query)
    response.vary.add("Accept")
    return response


def describe_service(operation: ProtocolRequest) -> Response:
    offers = (*negotiation.GRAPH_FORMATS, HTML)
    chosen = negotiation.choose(request.headers.get("Accept"), operation.formats, offers)
    if chosen is HTML:
        return editor_page(None)
    return service_description_response(chosen)


def answer_query(operation: ProtocolRequest) -> Response:
    """The query's answer (:func:`zkg.sparql.protocol.answer`), as a response."""
    settings = current_app.config["ZKG_SETTINGS"]
    # answer_cache off (ZKG_ANSWER_CACHE=0): no answer kept (benchmarks measure the engine path).
    cache = current_app.extensions["zkg.answer_cache"] if settings.answer_cache else None
    answered = protocol.answer(
        current_app.config["ZKG_STORE"],
        operation.query,
        accept=request.headers.get("Accept"),
        formats=operation.formats,
        default_graphs=operation.default_graphs,
        named_graphs=operation.named_graphs,
        row_limit=settings.row_limit,
        limits_url=limits_url(),
        cache=cache,
        base_iri=settings.base_iri,
    )
    if answered.editor:
        return editor_page(operation.query)
    return answer_response(answered)
