"""``/reconcile``: the W3C Entity Reconciliation API 0.2 (what OpenRefine speaks) over HTTP.
The matching itself is :mod:`zkg.power.reconcile`.

- ``GET /reconcile``: the service manifest (add it in OpenRefine as a standard service);
- ``GET|POST /reconcile`` with ``queries=<batch JSON>`` (a form field or a URL parameter):
  the reconciliation result batch; ``query=<text or one query JSON>``: one result (the 0.1
  form); ``extend=<data extension query JSON>``: the data extension response. A POST may
  also carry the JSON itself (``Content-Type: application/json``): ``{"queries": …}``,
  ``{"extend": …}`` or a bare query batch;
- ``GET /reconcile/suggest/entity|type|property?prefix=…&cursor=…``: suggestions;
- ``GET /reconcile/preview?id=…``: an HTML card of the entity, to show in an ``<iframe>``;
- ``GET /reconcile/properties?type=…&limit=…``: properties to fetch for a type.

``lang=`` (or Accept-Language) picks the language of names; registering
``…/reconcile?lang=zh`` in OpenRefine gives Chinese names wherever the graph has them (every
URL in that manifest carries it).

Cross-origin: every answer has ``Access-Control-Allow-Origin: *`` and preflights are
answered, as the protocol requires (0.2, section 3.3). JSONP (optional in 0.2) is not
offered: it lets the service run script in the client's page, which is what CORS replaced,
and OpenRefine, since 3.4, reaches services through CORS or from its server. A ``callback``
parameter is ignored. Errors: 400 with ``{"error": "…"}``; 413 past the batch limit; 503 when
the request's work is stopped at the time limit (:mod:`zkg.base.deadline`). What one request may
ask is capped (:mod:`zkg.power.reconcile`: queries per batch, texts, types, property values,
identifiers and properties of an extension); past a cap the request is refused whole, with
the cap in the message.
"""

from __future__ import annotations

import json
import threading
from html import escape

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from werkzeug.datastructures import CombinedMultiDict

import zkg
from zkg.base import deadline
from zkg.base.errors import ZkgError
from zkg.linked_data.labels import is_language_tag
from zkg.power import extend as extension_api
from zkg.power import reconcile as core
from zkg.power.reconcile_query import (
    MAX_TEXT_LENGTH,
    MAX_TYPES,
    ReconcileError,
    bounded_text,
    check_work,
    parse_batch,
    parse_query,
)
from zkg.web.http_caching import label_index, per_version
from zkg.web.power.complete import shape_catalogue
from zkg.web.security import preflight_response
from zkg.web.urls import link, request_languages

reconcile_blueprint = Blueprint("reconcile", __name__, template_folder="../templates")

SERVICE_NAME = "Zhongguancun Knowledge Graph"
#: Matching is Python work: one batch, extension or query at a time per process, so that each
#: finishes in its own time and frees its thread (zkg.base.deadline.one_at_a_time).
_MATCHING = threading.Lock()
SUGGEST_LIMIT, SUGGEST_MAX = 10, 50
#: The preview card may be framed by any site (OpenRefine runs on the user's machine).
PREVIEW_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
)


def _store():
    return current_app.config["ZKG_STORE"]


def _build_indexes(store) -> tuple[core.Catalogue, core.Vocabulary]:
    # The catalogue's names are the app's label index, the one the site search reads.
    return core.Catalogue.from_store(store, label_index(store)), core.Vocabulary.from_store(store, shape_catalogue())


def _indexes() -> tuple[core.Catalogue, core.Vocabulary]:
    """The entity catalogue and the vocabulary, rebuilt when the dataset version changes."""
    return per_version("zkg.power.reconcile", _build_indexes, _store())


def _error(message: str, status: int = 400) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _json(document) -> Response:
    response = Response(json.dumps(document, ensure_ascii=False, separators=(",", ":")), mimetype="application/json")
    response.vary.add("Accept-Language")
    return response


@reconcile_blueprint.after_app_request
def _cors(response: Response) -> Response:
    if request.path == "/reconcile" or request.path.startswith("/reconcile/"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "Content-Type"
    return response


def _preflight() -> Response:
    asked = request.headers.get("Access-Control-Request-Headers", "")
    allowed = ", ".join(h.strip() for h in asked.split(",") if h.strip().replace("-", "").isalnum())
    return preflight_response("GET, POST, OPTIONS", allowed or "Content-Type, Accept, Accept-Language")


def _json_value(text: str, what: str):
    try:
        value = json.loads(text)
        # "\ud800" decodes to half a character, which no answer could be written with.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
        return value
    except RecursionError:  # the decoder recurses per level: a few thousand "[" exhaust it
        raise ReconcileError(f"{what} is nested too deeply to be a reconciliation request") from None
    except UnicodeEncodeError:
        raise ReconcileError(
            f"{what} holds an unpaired surrogate escape (\\ud800 to \\udfff): not a character"
        ) from None
    except ValueError as error:
        raise ReconcileError(f"{what} is not valid JSON: {error}") from None


def _parameters() -> dict:
    """``queries``, ``query`` and ``extend`` from the URL and the form, or from a JSON body."""
    if request.method == "POST" and request.mimetype == "application/json":
        try:
            text = request.get_data(cache=False).decode("utf-8")
        except UnicodeDecodeError as error:
            raise ReconcileError(f"the body is not JSON: {error}") from None
        body = _json_value(text, "the body")
        if isinstance(body, dict) and body and set(body) <= {"queries", "extend"}:
            return dict(body)
        return {"queries": body}
    params = CombinedMultiDict([request.args, request.form]) if request.method == "POST" else request.args
    found = {}
    for name in ("queries", "query", "extend"):
        values = params.getlist(name)
        if len(values) > 1:
            raise ReconcileError(f"the request has {len(values)} '{name}' parameters; send one")
        if values:
            found[name] = values[0]
    return found


def _decode(name: str, value):
    if not isinstance(value, str):
        return value
    return _json_value(value, f"'{name}'")


def _service_url() -> str:
    return url_for("reconcile.service", _external=True)


@reconcile_blueprint.route("/reconcile", methods=["GET", "POST", "OPTIONS"], provide_automatic_options=False)
def service():
    if request.method == "OPTIONS":
        return _preflight()
    languages = request_languages()
    try:
        found = _parameters()
        catalogue, vocabulary = _indexes()
        if not found:
            language = request.args.get("lang")
            query_string = (
                f"?lang={language}" if language and all(is_language_tag(t.strip()) for t in language.split(",")) else ""
            )
            return _json(
                core.manifest(
                    name=SERVICE_NAME,
                    service_url=_service_url(),
                    base_iri=_store().base_iri,
                    vocabulary=vocabulary,
                    languages=languages,
                    query_string=query_string,
                    version=zkg.__version__,
                    documentation=url_for("canned.openapi", _external=True)
                    if "canned.openapi" in current_app.view_functions
                    else None,
                )
            )
        if "queries" in found:
            queries = parse_batch(_decode("queries", found["queries"]), vocabulary)
            with deadline.one_at_a_time(_MATCHING):
                return _json(core.reconcile_parsed(queries, catalogue, vocabulary, _store(), languages))
        if "extend" in found:
            extension = _decode("extend", found["extend"])
            with deadline.one_at_a_time(_MATCHING):
                return _json(extension_api.extend(extension, catalogue, vocabulary, _store(), languages))
        raw = found["query"]
        single = _decode("query", raw) if isinstance(raw, str) and raw.lstrip().startswith("{") else raw
        parsed = parse_query(single, vocabulary)
        check_work([parsed])
        with deadline.one_at_a_time(_MATCHING):
            return _json({"result": core.reconcile(parsed, catalogue, vocabulary, _store(), languages)})
    except ReconcileError as error:
        return _error(error.message, error.http_status)
    except deadline.STOPPED as error:
        return _error(error.message, 503)
    except ZkgError as error:
        return _error(f"the store cannot answer: {error.message}", 503)


def _paging() -> tuple[int, int]:
    try:
        cursor = max(0, int(request.args.get("cursor", 0) or 0))
        limit = max(1, min(int(request.args.get("limit", SUGGEST_LIMIT) or SUGGEST_LIMIT), SUGGEST_MAX))
    except ValueError:
        raise ReconcileError(f"cursor and limit must be numbers (limit at most {SUGGEST_MAX})") from None
    return cursor, limit


@reconcile_blueprint.route("/reconcile/suggest/<kind>", methods=["GET", "OPTIONS"], provide_automatic_options=False)
def suggest(kind: str):
    if request.method == "OPTIONS":
        return _preflight()
    if kind not in ("entity", "type", "property"):
        return _error("suggest services: entity, type, property", 404)
    languages = request_languages()
    try:
        cursor, limit = _paging()
        prefix = bounded_text(request.args.get("prefix", ""), "'prefix'")
        catalogue, vocabulary = _indexes()
        type_ids = [t for t in request.args.getlist("type") if t]
        if len(type_ids) > MAX_TYPES:
            raise ReconcileError(f"at most {MAX_TYPES} types (this request has {len(type_ids)})")
        types = []
        for t in type_ids:
            iri = vocabulary.resolve(t)
            if iri is None:
                raise ReconcileError(f"unknown type identifier '{t}'")
            types.append(iri)
        if kind == "entity":
            answer = core.suggest_entities(
                prefix, catalogue, vocabulary, languages, cursor=cursor, limit=limit, types=types
            )
        elif kind == "type":
            answer = core.suggest_types(prefix, vocabulary, languages, cursor=cursor, limit=limit)
        else:
            answer = core.suggest_properties(
                prefix,
                vocabulary,
                languages,
                _store(),
                cursor=cursor,
                limit=limit,
                type_iri=types[0] if types else None,
            )
        return _json(answer)
    except ReconcileError as error:
        return _error(error.message)
    except deadline.STOPPED as error:
        return _error(error.message, 503)
    except ZkgError as error:
        return _error(f"the store cannot answer: {error.message}", 503)


@reconcile_blueprint.route("/reconcile/properties", methods=["GET", "OPTIONS"], provide_automatic_options=False)
def properties():
    if request.method == "OPTIONS":
        return _preflight()
    languages = request_languages()
    try:
        limit = max(1, min(int(request.args.get("limit", 20) or 20), 200))
    except ValueError:
        return _error("limit must be a number")
    try:
        type_id = bounded_text(request.args.get("type") or "", "'type'") or None
        _catalogue, vocabulary = _indexes()
        return _json(extension_api.propose_properties(type_id, vocabulary, _store(), languages, limit=limit))
    except ReconcileError as error:
        return _error(error.message)
    except ZkgError as error:
        return _error(f"the store cannot answer: {error.message}", 503)


@reconcile_blueprint.route("/reconcile/preview", methods=["GET", "OPTIONS"], provide_automatic_options=False)
def preview():
    if request.method == "OPTIONS":
        return _preflight()
    languages = request_languages()
    identifier = request.args.get("id", "")
    if len(identifier) > MAX_TEXT_LENGTH:
        return _error(f"'id' is longer than {MAX_TEXT_LENGTH} characters")
    catalogue, vocabulary = _indexes()
    iri = catalogue.resolve(identifier, vocabulary.prefixes)
    if iri is None:
        response = Response(
            f"<!doctype html><meta charset=utf-8><p>No entity “{escape(identifier)}” in zkg.</p>",
            status=404,
            mimetype="text/html",
        )
    else:
        name = catalogue.label(iri, languages)
        other_names = sorted({e.text for e in catalogue.labels_of(iri) if e.text != name})
        html = render_template(
            "reconcile_preview.html",
            iri=iri,
            name=name,
            identifier=catalogue.identifier(iri),
            other_names=other_names[:8],
            description=catalogue.description(iri, languages),
            types=[vocabulary.name(t, languages, "class") for t in catalogue.types.get(iri, ())],
            page=request.host_url.rstrip("/") + link(iri),
            language=languages[0],
        )
        response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_SECURITY_POLICY
    response.vary.add("Accept-Language")
    return response


def service_description_triples(service, dataset) -> list:
    """The reconciliation service, for the SPARQL service description: a ``dcat:DataService``
    conforming to the Reconciliation API 0.2, serving the dataset."""
    import pyoxigraph as ox

    n = ox.NamedNode
    api = n(_service_url())
    dcat, dcterms = "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/"
    return [
        ox.Triple(service, n(dcterms + "hasPart"), api),
        ox.Triple(api, n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), n(dcat + "DataService")),
        ox.Triple(api, n(dcterms + "title"), ox.Literal(f"{SERVICE_NAME}: reconciliation service", language="en")),
        ox.Triple(api, n(dcterms + "conformsTo"), n("https://reconciliation-api.github.io/specs/0.2/")),
        ox.Triple(api, n(dcat + "endpointURL"), api),
        ox.Triple(api, n(dcat + "servesDataset"), dataset),
    ]
