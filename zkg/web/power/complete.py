"""``/sparql/complete``: completion from the shapes and the labels, for the query editor.

- ``?class=schema:Person``: the properties that class's shapes allow, with their value
  types, required ones first (``"source": "shape"``), then the other properties its
  instances have in the data (``"source": "data"``), most used first.
- ``?property=schema:location&q=be``: the value types the shapes give that property, and
  the classes and entities that fit, by label (prefix of the label or of a word in it, any
  language; ``inverse=true`` for the subjects instead).
- ``?prefix=sch``: the namespace of a predeclared prefix (``namespace``, when it is one) and
  every prefix starting so (``matches``).

``q`` and ``prefix`` are at most 200 characters, classes and properties 2000 (400 past them).

Classes and properties may be given as ``prefix:local`` or as full IRIs. JSON, with labels
in the reader's language (``lang=`` or Accept-Language); ETag per dataset version; any origin
may read it (the /sparql CORS policy). Computed from this store only.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from zkg.base.errors import ZkgError
from zkg.linked_data.labels import labels_for
from zkg.linked_data.matching import fold
from zkg.power.canned import TYPES, ParameterError
from zkg.power.completion import MAX_TEXT, ShapeCatalogue, data_properties, fitting_resources
from zkg.rdf.prefixes import compact as compact_iri
from zkg.web.http_caching import conditional, per_version
from zkg.web.urls import request_languages

complete_blueprint = Blueprint("complete", __name__)

LIMIT, MAX_LIMIT = 50, 500


def _store():
    return current_app.config["ZKG_STORE"]


def shape_catalogue() -> ShapeCatalogue:
    """The app's shape catalogue, rebuilt when the dataset version changes."""
    return per_version("zkg.shapes", ShapeCatalogue.from_store, _store())


def _iri(name: str, text: str) -> str:
    try:
        return TYPES["iri"].parse(text, _store().prefixes).value
    except ValueError as error:
        raise ParameterError(f"{name} must be an IRI or prefix:local ({error})") from None


def _error(message: str, status: int = 400) -> Response:
    return Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")


def _term(iri: str, labels: dict[str, str], **extra) -> dict:
    curie = compact_iri(iri, _store().prefixes)
    return {"iri": iri, "curie": None if curie.startswith("<") else curie, "label": labels.get(iri), **extra}


@complete_blueprint.route("/sparql/complete", methods=["GET", "HEAD"])
def complete():
    args = request.args
    try:
        limit = max(1, min(int(args.get("limit", LIMIT)), MAX_LIMIT))
    except ValueError:
        return _error(f"limit must be a number from 1 to {MAX_LIMIT}")
    modes = [m for m in ("class", "property", "prefix") if m in args]
    if len(modes) != 1:
        return _error(
            "ask about one thing: class=<class>, property=<property> (with q=<label prefix>), or prefix=<prefix name>"
        )
    mode = modes[0]
    for name in ("q", "prefix"):
        if len(args.get(name, "")) > MAX_TEXT:
            return _error(f"{name} is longer than {MAX_TEXT} characters")
    languages = request_languages()
    variant = ("complete", mode, args.get(mode, ""), args.get("q", ""), args.get("inverse", ""), str(limit), *languages)
    try:
        if mode == "prefix":
            build = lambda: _prefix(args.get("prefix", "").strip().rstrip(":"))  # noqa: E731
        elif mode == "class":
            klass = _iri("class", args["class"])
            build = lambda: _class(klass, languages, limit)  # noqa: E731
        else:
            prop = _iri("property", args["property"])
            inverse = args.get("inverse", "").lower() in ("1", "true", "yes")
            build = lambda: _property(prop, inverse, args.get("q", ""), languages, limit)  # noqa: E731
        return conditional(variant, build, vary=("Accept-Language",))
    except ParameterError as error:
        return _error(error.message)
    except ZkgError as error:
        return _error(f"cannot complete: {error.message}", 503)


def _prefix(name: str) -> Response:
    prefixes = _store().prefixes
    matches = [{"prefix": p, "namespace": ns} for p, ns in sorted(prefixes.items()) if p.startswith(name)]
    return jsonify({"prefix": name, "namespace": prefixes.get(name), "matches": matches})


def _class(klass: str, languages, limit: int) -> Response:
    catalogue = shape_catalogue()
    from_shapes = catalogue.class_properties(klass)
    from_data = [
        (p, n)
        for p, n in data_properties(_store(), klass, limit=limit)
        if not any(s.path == p and not s.inverse for s in from_shapes)
    ]
    mentioned = {klass, *(s.path for s in from_shapes), *(p for p, _n in from_data)}
    mentioned |= {v.iri for s in from_shapes for v in s.value_types}
    labels = labels_for(_store(), mentioned, languages)

    def compact(iri: str) -> str | None:
        curie = compact_iri(iri, _store().prefixes)
        return None if curie.startswith("<") else curie

    properties = [s.as_json(compact, labels) for s in from_shapes]
    properties += [_term(p, labels, source="data", uses=n) for p, n in from_data]
    return jsonify(
        {
            "class": _term(klass, labels, superClasses=catalogue.ancestors(klass)[1:]),
            "properties": properties[: max(limit, len(from_shapes))],
        }
    )


def _property(prop: str, inverse: bool, text: str, languages, limit: int) -> Response:
    catalogue = shape_catalogue()
    value_types = catalogue.property_value_types(prop, inverse=inverse)
    classes: list[str] = []
    for v in value_types:
        if v.kind == "class":
            classes += [c for c in catalogue.descendants(v.iri) if c not in classes]
    store = _store()
    entities = fitting_resources(store, classes=classes, property_iri=prop, inverse=inverse, text=text, limit=limit)
    wanted = fold(text)
    labels = labels_for(store, {prop, *classes, *entities, *(v.iri for v in value_types)}, languages)
    fitting_classes = [
        c
        for c in classes
        if not wanted
        or fold(labels.get(c, "")).startswith(wanted)
        or fold(compact_iri(c, store.prefixes)).split(":")[-1].startswith(wanted)
    ]
    return jsonify(
        {
            "property": _term(prop, labels, inverse=inverse),
            "valueTypes": [_term(v.iri, labels, kind=v.kind) for v in value_types],
            "classes": [_term(c, labels) for c in fitting_classes[:limit]],
            "entities": [_term(e, labels) for e in entities],
        }
    )
