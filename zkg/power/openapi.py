"""The OpenAPI 3.1 document of zkg's APIs: the canned queries (one path each, with its typed
parameters and every result format), the reconciliation service and the completion API.
Served at ``/openapi.json`` (:mod:`zkg.web.power.canned`).

>>> from zkg.power.canned import parse_query_text
>>> q = parse_query_text("demo", "# title: Demo\\n# param: year integer required\\nSELECT ?y { BIND(?year AS ?y) }")
>>> doc = openapi_document([q], server_url="http://localhost:8080")
>>> doc["openapi"], [p["name"] for p in doc["paths"]["/queries/demo"]["get"]["parameters"]]
('3.1.0', ['year', 'format', 'lang'])
"""

from __future__ import annotations

from typing import Sequence

import zkg
from zkg.power.canned import CannedQuery
from zkg.power.completion import MAX_TEXT as COMPLETION_TEXT
from zkg.power.reconcile_query import (
    MAX_BATCH,
    MAX_EXTEND_IDS,
    MAX_EXTEND_PROPERTIES,
    MAX_PROPERTY_COMPARISONS,
    MAX_PROPERTY_VALUES,
    MAX_TEXT_LENGTH,
    MAX_TYPES,
)
from zkg.rdf import negotiation

TITLE = "Zhongguancun Knowledge Graph APIs"


def _text_response(description: str) -> dict:
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


def _json_response(description: str, schema: dict | None = None) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema or {"type": "object"}}}}


def _query_param(name: str, description: str, schema: dict, *, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


LANG = _query_param(
    "lang",
    "The language of labels (a language tag, or several separated by commas); overrides Accept-Language.",
    {"type": "string"},
)


def _canned_path(query: CannedQuery, row_limit: int | None) -> dict:
    formats = negotiation.FORMATS_BY_FORM[query.form]
    parameters = []
    for param in query.params:
        schema = dict(param.kind.json_schema)
        if param.default is not None:
            schema["default"] = (
                param.default if schema.get("type") == "string" else _typed_default(param.default, schema)
            )
        parameters.append(
            _query_param(param.name, param.description or param.kind.summary, schema, required=param.required)
        )
    parameters.append(
        _query_param(
            "format",
            "The result format (wins over Accept).",
            {"type": "string", "enum": [f.name for f in formats] + ["html"]},
        )
    )
    if query.param("lang") is None:
        parameters.append(LANG)
    content = {
        f.media_type: {"schema": {"type": "object"} if "json" in f.media_type else {"type": "string"}} for f in formats
    }
    content["text/html"] = {"schema": {"type": "string"}}
    cap = f" At most {row_limit} rows or triples (the row limit; a capped answer says so)." if row_limit else ""
    return {
        "get": {
            "operationId": "query_" + query.slug.replace("-", "_"),
            "summary": query.title,
            "description": (query.question + "\n\n" if query.question else "")
            + f"Runs the canned SPARQL {query.form} query `{query.slug}`; parameters are bound as typed RDF terms, "
            f"never spliced into the query text.{cap}",
            "tags": ["canned queries"],
            "parameters": parameters,
            "responses": {
                "200": {"description": f"The {query.form} results, in the format asked for.", "content": content},
                "304": {"description": "Not modified (ETag / Last-Modified from the dataset version)."},
                "400": _text_response("A missing, unknown or badly typed parameter."),
                "406": _text_response("No format offered is acceptable; the message lists those offered."),
                "503": _text_response("The query passed the time limit, or the engine is unavailable."),
            },
        }
    }


def _typed_default(value: str, schema: dict):
    try:
        return (
            int(value)
            if schema.get("type") == "integer"
            else (value.lower() in ("true", "1") if schema.get("type") == "boolean" else value)
        )
    except ValueError:
        return value


def _reconcile_paths() -> dict:
    queries = _query_param(
        "queries",
        f"A reconciliation query batch (JSON) of at most {MAX_BATCH} queries, e.g. "
        '{"q0": {"query": "Zhongguancun Science Park", "type": "schema:Organization"}}.',
        {"type": "string"},
    )
    extend = _query_param(
        "extend", 'A data extension query (JSON): {"ids": [...], "properties": [{"id": ...}]}.', {"type": "string"}
    )
    single = _query_param("query", "One reconciliation query: a name, or one query object (JSON).", {"type": "string"})
    form = {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "properties": {
                    "queries": {"type": "string"},
                    "extend": {"type": "string"},
                    "query": {"type": "string"},
                },
            }
        },
        "application/json": {"schema": {"type": "object"}},
    }
    answers = {
        "200": _json_response(
            "The service manifest (no parameters), a reconciliation result batch (queries), "
            "a reconciliation result (query) or a data extension response (extend)."
        ),
        "400": _json_response(
            "A request the protocol cannot answer, or one past a cap (texts of "
            f"{MAX_TEXT_LENGTH} characters, {MAX_TYPES} types and {MAX_PROPERTY_VALUES} property "
            f"values a query, {MAX_PROPERTY_COMPARISONS} property comparisons a request, "
            f"{MAX_EXTEND_IDS} identifiers and {MAX_EXTEND_PROPERTIES} properties an extension): "
            '{"error": "…"}.'
        ),
        "413": _json_response(f"A batch of more than {MAX_BATCH} queries."),
        "503": _json_response("The request's work passed the time limit (ZKG_QUERY_TIMEOUT)."),
    }
    paging = [
        _query_param("prefix", "What the user typed.", {"type": "string", "maxLength": MAX_TEXT_LENGTH}),
        _query_param("cursor", "How many suggestions to skip.", {"type": "integer", "minimum": 0}),
        _query_param("limit", "How many suggestions.", {"type": "integer", "minimum": 1, "maximum": 50}),
        LANG,
    ]
    suggestions = {"200": _json_response('Suggestions: {"result": [{"id", "name", …}]}.')}
    tag = ["reconciliation"]
    return {
        "/reconcile": {
            "get": {
                "operationId": "reconcile",
                "summary": "W3C Entity Reconciliation API 0.2: manifest, reconcile, extend",
                "tags": tag,
                "parameters": [queries, single, extend, LANG],
                "responses": answers,
            },
            "post": {
                "operationId": "reconcile_post",
                "summary": "Reconcile or extend (form fields queries/query/extend)",
                "tags": tag,
                "parameters": [LANG],
                "requestBody": {"content": form},
                "responses": answers,
            },
        },
        "/reconcile/suggest/entity": {
            "get": {
                "operationId": "suggest_entity",
                "summary": "Entities whose names start with the prefix",
                "tags": tag,
                "parameters": paging + [_query_param("type", "Only entities of this type.", {"type": "string"})],
                "responses": suggestions,
            }
        },
        "/reconcile/suggest/type": {
            "get": {
                "operationId": "suggest_type",
                "summary": "Types (classes) by name",
                "tags": tag,
                "parameters": paging,
                "responses": suggestions,
            }
        },
        "/reconcile/suggest/property": {
            "get": {
                "operationId": "suggest_property",
                "summary": "Properties by name",
                "tags": tag,
                "parameters": paging
                + [_query_param("type", "Prefer the properties of this type.", {"type": "string"})],
                "responses": suggestions,
            }
        },
        "/reconcile/preview": {
            "get": {
                "operationId": "preview",
                "summary": "An HTML card of an entity, for an iframe",
                "tags": tag,
                "parameters": [
                    _query_param("id", "The entity identifier (z-park).", {"type": "string"}, required=True),
                    LANG,
                ],
                "responses": {
                    "200": {"description": "The card.", "content": {"text/html": {"schema": {"type": "string"}}}},
                    "404": {"description": "No such entity.", "content": {"text/html": {"schema": {"type": "string"}}}},
                },
            }
        },
        "/reconcile/properties": {
            "get": {
                "operationId": "propose_properties",
                "summary": "Properties to fetch for a type (data extension)",
                "tags": tag,
                "parameters": [
                    _query_param("type", "A type identifier (schema:Organization).", {"type": "string"}),
                    _query_param("limit", "How many properties.", {"type": "integer", "minimum": 1}),
                    LANG,
                ],
                "responses": {
                    "200": _json_response('{"type", "properties": [{"id", "name"}], "limit"}.'),
                    "400": _json_response("An unknown type."),
                },
            }
        },
    }


def _completion_paths() -> dict:
    return {
        "/sparql/complete": {
            "get": {
                "operationId": "complete",
                "summary": "Completion from the SHACL shapes and the labels (one of class, property, prefix)",
                "tags": ["completion"],
                "parameters": [
                    _query_param(
                        "class",
                        "A class (schema:Person): the properties its shapes allow, then those the data uses.",
                        {"type": "string"},
                    ),
                    _query_param(
                        "property",
                        "A property: its value types, and the classes and entities that fit.",
                        {"type": "string"},
                    ),
                    _query_param(
                        "q",
                        "With property: the beginning of the label of what fits.",
                        {"type": "string", "maxLength": COMPLETION_TEXT},
                    ),
                    _query_param(
                        "inverse", "With property: what the property's subjects are instead.", {"type": "boolean"}
                    ),
                    _query_param(
                        "prefix",
                        "A prefix name: its namespace, and the prefixes starting so.",
                        {"type": "string", "maxLength": COMPLETION_TEXT},
                    ),
                    _query_param("limit", "How many entries.", {"type": "integer", "minimum": 1, "maximum": 500}),
                    LANG,
                ],
                "responses": {"200": _json_response("The completions."), "400": _text_response("A bad request.")},
            }
        }
    }


def openapi_document(queries: Sequence[CannedQuery], *, server_url: str, row_limit: int | None = None) -> dict:
    """The OpenAPI 3.1 document for a server at ``server_url``."""
    paths: dict = {
        "/queries": {
            "get": {
                "operationId": "list_queries",
                "summary": "The canned queries",
                "tags": ["canned queries"],
                "parameters": [_query_param("format", "json or html.", {"type": "string", "enum": ["json", "html"]})],
                "responses": {
                    "200": {
                        "description": "The list.",
                        "content": {
                            "application/json": {"schema": {"type": "object"}},
                            "text/html": {"schema": {"type": "string"}},
                        },
                    }
                },
            }
        }
    }
    for query in queries:
        paths[f"/queries/{query.slug}"] = _canned_path(query, row_limit)
    paths.update(_reconcile_paths())
    paths.update(_completion_paths())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": zkg.__version__,
            "summary": "Named, parameterised SPARQL queries at stable URLs; entity reconciliation; completion.",
            "description": "The organisations, people, events, places and statistics of Zhongguancun Science Park "
            "(Z-Park) as RDF. The SPARQL 1.1 endpoint itself is /sparql (SPARQL 1.1 Protocol).",
        },
        "servers": [{"url": server_url}],
        "tags": [
            {"name": "canned queries", "description": "SPARQL queries with typed parameters, as stable URLs."},
            {
                "name": "reconciliation",
                "description": "W3C Entity Reconciliation API 0.2 (OpenRefine).",
                "externalDocs": {"url": "https://reconciliation-api.github.io/specs/0.2/"},
            },
            {"name": "completion", "description": "What fits where, from the SHACL shapes and the labels."},
        ],
        "externalDocs": {"description": "SPARQL endpoint (service description)", "url": server_url + "/sparql"},
        "paths": paths,
    }
