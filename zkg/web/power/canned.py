"""Canned queries as APIs: ``/queries`` lists them, ``/queries/<slug>`` runs one.

- ``GET /queries``: the list (HTML for browsers, JSON for ``Accept: application/json`` or
  ``format=json``).
- ``GET /queries/<slug>?<param>=<value>…``: the query run with its parameters, bound by
  :mod:`zkg.power.canned` (typed, checked, never spliced into the text). SELECT and ASK answer in
  every SPARQL results format, CONSTRUCT and DESCRIBE in every RDF format, by ``Accept`` or
  ``format=`` (:mod:`zkg.rdf.negotiation`); a browser gets an HTML page with a form for the
  parameters and the results as a table (its first 1,000 rows: the formats give every row).
  Results are capped at the row limit and say so,
  as at ``/sparql``. 400 for a bad, missing or unknown parameter (plain text, or the page
  with the message), 404 for an unknown slug, 406 when nothing offered is acceptable.
- ``GET /openapi.json``: the OpenAPI 3.1 description of the canned queries, the
  reconciliation service and the completion API (:mod:`zkg.power.openapi`).

Answers carry ETag and Last-Modified from the dataset version (304 on revalidation) and
``Access-Control-Allow-Origin: *``. The canned queries are listed in the SPARQL service
description too (each a ``dcat:DataService``).
"""

from __future__ import annotations

import json
import threading
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, url_for

from zkg.linked_data.labels import labels_for
from zkg.power.canned import LABEL_LANGUAGE, RESERVED, CannedQuery, ParameterError, load_queries
from zkg.power.openapi import openapi_document
from zkg.rdf import negotiation
from zkg.rdf.namespaces import DCAT, DCTERMS, RDF
from zkg.rdf.negotiation import HTML, NotAcceptable
from zkg.rdf.prefixes import compact
from zkg.sparql import protocol
from zkg.web.http_caching import conditional
from zkg.web.responses import answer_response, limits_url, plain
from zkg.web.security import PAGE_SECURITY_POLICY, preflight_response
from zkg.web.urls import editor_url, link, request_languages

canned_blueprint = Blueprint("canned", __name__, template_folder="../templates")

LIST_JSON = negotiation.Format("json", "application/json", "JSON", (), ())
#: Rows of the HTML table: labelling and laying out the whole row cap (10,000) cost most of a
#: CPU-second, for a table nobody reads to the end; the formats give every row.
HTML_ROWS = 1000
RDF_TYPE = RDF + "type"
OPENAPI_31 = "https://spec.openapis.org/oas/v3.1.0"

_lock = threading.Lock()


def queries() -> dict[str, CannedQuery]:
    """The canned queries by slug, read once per app (``ZKG_QUERIES_DIR`` may name another
    folder, for tests)."""
    with _lock:
        found = current_app.extensions.get("zkg.power.canned")
        if found is None:
            found = {q.slug: q for q in load_queries(current_app.config.get("ZKG_QUERIES_DIR"))}
            current_app.extensions["zkg.power.canned"] = found
        return found


def _store():
    return current_app.config["ZKG_STORE"]


def _page(html: str, status: int = 200) -> Response:
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_SECURITY_POLICY
    return response


@canned_blueprint.after_app_request
def _cors(response: Response) -> Response:
    if request.path == "/queries" or request.path.startswith("/queries/") or request.path == "/openapi.json":
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "Content-Type, Link, Warning, ZKG-Results-Truncated, ETag"
    return response


def _preflight() -> Response:
    return preflight_response("GET, HEAD, OPTIONS", "Accept, Accept-Language, If-None-Match")


# -- the list -------------------------------------------------------------------------------------


@canned_blueprint.route("/queries", methods=["GET", "HEAD", "OPTIONS"], provide_automatic_options=False)
def index():
    if request.method == "OPTIONS":
        return _preflight()
    try:
        chosen = negotiation.choose(request.headers.get("Accept"), request.args.getlist("format"), (HTML, LIST_JSON))
    except NotAcceptable as error:
        return plain(error.message, 406)
    found = list(queries().values())
    if chosen is LIST_JSON:
        response = jsonify(
            {
                "queries": [dict(q.as_json(), url=url_for("canned.run", slug=q.slug, _external=True)) for q in found],
                "openapi": url_for("canned.openapi", _external=True),
            }
        )
    else:
        response = _page(render_template("queries.html", queries=found))
    response.vary.add("Accept")
    return response


# -- one query ------------------------------------------------------------------------------------


def _arguments(query: CannedQuery) -> dict[str, str]:
    """The request's values for the query's parameters (``format`` is the server's, and
    ``lang`` too unless the query declares it); a repeated parameter is an error."""
    values: dict[str, str] = {}
    for name in request.args:
        if name in RESERVED or (name == LABEL_LANGUAGE and query.param(name) is None):
            continue
        given = request.args.getlist(name)
        if len(given) > 1:
            raise ParameterError(f"parameter '{name}' is given {len(given)} times; give it once")
        values[name] = given[0]
    return values


@canned_blueprint.route("/queries/<slug>", methods=["GET", "HEAD", "OPTIONS"], provide_automatic_options=False)
def run(slug: str):
    if request.method == "OPTIONS":
        return _preflight()
    query = queries().get(slug)
    if query is None:
        abort(404, f"there is no canned query '{slug}': see {url_for('canned.index')}")
    offers = negotiation.FORMATS_BY_FORM[query.form]
    try:
        chosen = negotiation.choose(request.headers.get("Accept"), request.args.getlist("format"), (*offers, HTML))
    except NotAcceptable as error:
        response = plain(error.message, 406)
        response.vary.add("Accept")
        return response
    languages = request_languages()
    store = _store()
    values: dict[str, str] = {}
    try:
        values = _arguments(query)
        if chosen is HTML and query.required and not values:
            return _html(query, {}, None, None, languages)  # a browser's first visit: the form
        bound = query.bind(values, store.prefixes)
    except ParameterError as error:
        if chosen is HTML:
            return _html(query, values, None, error.message, languages, status=400)
        response = plain(error.message, 400)
        response.vary.add("Accept")
        return response
    variant = ("query", slug, chosen.name, json.dumps(sorted(values.items())), *languages)

    def build() -> Response:
        if chosen is HTML:
            return _html(query, values, bound, None, languages)
        return _answer(bound, chosen)

    try:
        return conditional(variant, build, vary=("Accept", "Accept-Language") if chosen is HTML else ("Accept",))
    except protocol.FAILURES as error:  # failed or stopped (zkg.sparql.protocol), kept out of conditional GET
        return answer_response(protocol.failure(error))


def _answer(bound: str, chosen) -> Response:
    """The bound query's answer in ``chosen`` (:func:`zkg.sparql.protocol.answer`: the same
    tail as ``/sparql``; the text is zkg's own, so the guard is not asked)."""
    answered = protocol.answer(
        _store(),
        bound,
        chosen=chosen,
        own_text=True,
        limits_url=limits_url(),
        row_limit=current_app.config["ZKG_SETTINGS"].row_limit,
    )
    return answer_response(answered)


def _cell(term, labels: dict[str, str], prefixes: dict[str, str]) -> dict:
    if term is None:
        return {"text": ""}
    if isinstance(term, ox.NamedNode):
        return {
            "text": labels.get(term.value) or compact(term.value, prefixes),
            "href": link(term.value),
            "title": term.value,
        }
    if isinstance(term, ox.Literal):
        note = term.language or (
            "" if term.datatype.value.endswith("#string") else compact(term.datatype.value, prefixes)
        )
        return {"text": term.value, "language": term.language, "note": note}
    return {"text": str(term)}


def _html(query: CannedQuery, values: dict, bound: str | None, error: str | None, languages, status: int = 200):
    store = _store()
    table = None
    truncated = False
    row_limit = current_app.config["ZKG_SETTINGS"].row_limit
    table_rows = min(row_limit, HTML_ROWS)
    if bound is not None:
        collected = protocol.collect(store, bound, table_rows)
        kind, names, found, truncated = collected.kind, collected.variables, collected.items, collected.truncated
        if kind == protocol.BOOLEAN:
            table = {"boolean": found}
        else:
            if kind == protocol.GRAPH:
                names = ["subject", "predicate", "object"]
                found = [{"subject": t.subject, "predicate": t.predicate, "object": t.object} for t in found]
            iris = {row[n].value for row in found for n in names if isinstance(row[n], ox.NamedNode)}
            labels = labels_for(store, iris, languages) if iris else {}
            table = {
                "columns": names,
                "rows": [[_cell(row[n], labels, store.prefixes) for n in names] for row in found],
            }
    here = url_for("canned.run", slug=query.slug)
    formats = [
        (f.label, here + "?" + urlencode([*values.items(), ("format", f.name)]))
        for f in negotiation.FORMATS_BY_FORM[query.form]
    ]
    shown = dict(values)
    html = render_template(
        "query.html",
        query=query,
        values=shown,
        table=table,
        error=error,
        truncated=truncated,
        formats=formats,
        editor_link=editor_url(bound or query.text),
        row_limit=row_limit,
        table_rows=table_rows,
    )
    return _page(html, status)


# -- the OpenAPI document and the service description ---------------------------------------------


@canned_blueprint.route("/openapi.json", methods=["GET", "HEAD"])
def openapi():
    document = openapi_document(
        list(queries().values()),
        server_url=request.url_root.rstrip("/"),
        row_limit=current_app.config["ZKG_SETTINGS"].row_limit,
    )
    response = Response(json.dumps(document, ensure_ascii=False, indent=1), mimetype="application/json")
    return response


def service_description_triples(service: ox.NamedNode, dataset: ox.NamedNode) -> list[ox.Triple]:
    """The canned queries and the OpenAPI document, for the SPARQL service description: each
    query a ``dcat:DataService`` serving the dataset, described by the OpenAPI document."""
    n = ox.NamedNode
    document = n(url_for("canned.openapi", _external=True))
    listing = n(url_for("canned.index", _external=True))
    triples = [
        ox.Triple(service, n("http://www.w3.org/2000/01/rdf-schema#seeAlso"), listing),
        ox.Triple(service, n("http://www.w3.org/2000/01/rdf-schema#seeAlso"), document),
        ox.Triple(document, n(DCTERMS + "conformsTo"), n(OPENAPI_31)),
    ]
    for query in queries().values():
        api = n(url_for("canned.run", slug=query.slug, _external=True))
        triples += [
            ox.Triple(service, n(DCTERMS + "hasPart"), api),
            ox.Triple(api, n(RDF_TYPE), n(DCAT + "DataService")),
            ox.Triple(api, n(DCTERMS + "title"), ox.Literal(query.title, language="en")),
            ox.Triple(api, n(DCAT + "endpointURL"), api),
            ox.Triple(api, n(DCAT + "endpointDescription"), document),
            ox.Triple(api, n(DCAT + "servesDataset"), dataset),
        ]
        if query.question:
            triples.append(ox.Triple(api, n(DCTERMS + "description"), ox.Literal(query.question, language="en")))
    return triples
