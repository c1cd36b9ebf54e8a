"""Linked data: every IRI of the project dereferences (Cool URIs, 303 See Other).

- ``/id/…``, ``/def/…``, ``/code/…``, ``/graph/…`` (the IRIs themselves): 303 to the page
  (``/page/…``) or a data document (``/data/….ttl|.jsonld|.rdf|.nt|.trig|.nq``) by
  ``format=`` or ``Accept`` (q-values and wildcards, :mod:`zkg.rdf.negotiation`; browsers get
  HTML); ``Vary: Accept``; 404 for IRIs the store says nothing about, 406 when nothing
  offered is acceptable.
- ``/page/…``: the page (entity or vocabulary term); ``?format=`` gives a twin instead.
- ``/data/….<ext>``: one data document; ``/data/…`` without extension: negotiated.
- ``/def/context.jsonld``: the vocabulary's JSON-LD context, which every JSON-LD document
  names as its ``@context`` (:mod:`zkg.linked_data.json_ld`).

Every representation carries ``Link: rel="alternate"`` to its twins, ETag and Last-Modified
from the dataset version (304 on revalidation), and works for HEAD.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request
from markupsafe import Markup

from zkg.linked_data import charts, facts, formatting, json_ld, statistics
from zkg.linked_data.describe import NEIGHBOUR, OWN, RDF_TYPE, describe
from zkg.linked_data.documents import FORMATS, compacted_json_ld, format_by_name, serialize_description
from zkg.linked_data.labels import fallback_label, fetch_label_candidates, is_language_tag
from zkg.linked_data.terms import is_term, term_info
from zkg.rdf.namespaces import QB
from zkg.rdf.negotiation import HTML, JSON_LD, NotAcceptable, choose, negotiate
from zkg.rdf.prefixes import VOCABULARY_PATH
from zkg.rdf.serialize import canonical_quads
from zkg.rdf.visible import has_hidden, is_hidden
from zkg.web.http_caching import conditional, model_guide_of, per_version
from zkg.web.iris import candidate_paths, raw_request_path, resolve
from zkg.web.linked_data.model import guide_page, value_text
from zkg.web.linked_data.tables import table_url
from zkg.web.responses import plain
from zkg.web.security import PAGE_SECURITY_POLICY
from zkg.web.urls import curie, data_url, editor_url, link, model_page_url, page_url, request_languages

entities_blueprint = Blueprint("entities", __name__, template_folder="../templates")

#: What an IRI can be answered with, HTML first: a client that accepts anything gets the page.
IRI_OFFERS = (HTML, *FORMATS.values())
DATA_OFFERS = tuple(FORMATS.values())


# -- helpers ------------------------------------------------------------------------------


def _store():
    return current_app.config["ZKG_STORE"]


def ontology_iri() -> str:
    """The zkg vocabulary's IRI, ``{base}def/``: its page is the model guide."""
    return _base() + VOCABULARY_PATH


def _base() -> str:
    return _store().base_iri


def _alternates(iri: str) -> str:
    links = [f'<{page_url(iri)}>; rel="alternate"; type="text/html"']
    links += [f'<{data_url(iri, f.name)}>; rel="alternate"; type="{f.media_type}"' for f in FORMATS.values()]
    return ", ".join(links)


def _not_found(path: str) -> Response:
    """404: a page with a search box for browsers, one line of text for everyone else."""
    message = f"nothing is known about {_base()}{path}"
    if negotiate(request.headers.get("Accept"), (HTML, *DATA_OFFERS)) is HTML:
        guess = fallback_label(path).replace("-", " ")
        # A curator may make the entity this IRI would name (id/…): the page offers it.
        local = path[3:] if path.startswith("id/") and "/" not in path[3:] else ""
        html = render_template("not_found.html", iri=_base() + path, query=guess, new_local=local)
        response = Response(html, status=404, mimetype="text/html")
        response.headers["Content-Security-Policy"] = PAGE_SECURITY_POLICY
    else:
        response = plain(message, 404)
    response.vary.add("Accept")
    return response


def _resolve(decoded: str, *, route: str = "", extension: str | None = None) -> str | None:
    """The IRI a request means: its path below ``route`` (``page/``, ``data/``, or "" for
    the IRI itself; less ``.extension`` for a data twin), decoded, and as the client sent it."""
    raw = raw_request_path(request.environ, request.script_root)
    raw = raw[len(route) + 1 :] if raw and raw.startswith("/" + route) else None
    if raw is not None and extension is not None:
        raw = raw[: -len(extension) - 1] if raw.endswith("." + extension) else None
    return resolve(
        _store(),
        _base(),
        candidate_paths(decoded, raw, raw_first=not route),
        known=current_app.extensions["zkg.resolutions"],
    )


# -- the IRIs themselves: 303 -------------------------------------------------------------


@entities_blueprint.route("/id/<path:rest>", methods=["GET", "HEAD"])
@entities_blueprint.route("/code/<path:rest>", methods=["GET", "HEAD"])
@entities_blueprint.route("/graph/<path:rest>", methods=["GET", "HEAD"])
@entities_blueprint.route("/def/", defaults={"rest": ""}, methods=["GET", "HEAD"])
@entities_blueprint.route("/def/<path:rest>", methods=["GET", "HEAD"])
def dereference(rest: str):
    decoded = request.path[len("/") :]
    iri = _resolve(decoded)
    if iri is None:
        return _not_found(decoded)
    try:
        chosen = choose(request.headers.get("Accept"), request.args.getlist("format"), IRI_OFFERS)
    except NotAcceptable as error:
        response = plain(error.message, 406)
        response.vary.add("Accept")
        return response
    target = page_url(iri) if chosen is HTML else data_url(iri, chosen.name)
    language = request.args.get("lang", "")
    if chosen is HTML and language and all(is_language_tag(t.strip()) for t in language.split(",")):
        target += "?lang=" + quote(language, safe=",")  # the page keeps the reader's language
    response = Response(f"See {target}\n", status=303, mimetype="text/plain")
    response.headers["Location"] = target
    response.headers["Link"] = _alternates(iri) + f', <{target}>; rel="describedby"'
    response.vary.add("Accept")
    return response


# -- data documents -------------------------------------------------------------------------


def json_ld_context_of(store) -> json_ld.Context:
    """The vocabulary's JSON-LD context for the store's current dataset version (built once
    per version: one query)."""
    return per_version("zkg.json_ld_context", json_ld.vocabulary_context, store)


@entities_blueprint.route("/" + json_ld.CONTEXT_PATH, methods=["GET", "HEAD"])
def json_ld_context():
    """The JSON-LD context every JSON-LD document names: always JSON-LD (``application/ld+json``),
    whatever the Accept header, as a context has no other representation; open to every origin,
    so a web page elsewhere can expand zkg's documents."""

    def build() -> Response:
        return Response(json_ld_context_of(_store()).bytes(), content_type=JSON_LD.content_type)

    return conditional(("json-ld-context",), build, headers={"Access-Control-Allow-Origin": "*"}, cache=True)


def data_response(iri: str, document_format, *, negotiated: bool = False) -> Response:
    def build() -> Response:
        context = json_ld_context_of(_store()) if document_format is JSON_LD else None
        body = serialize_description(describe(_store(), iri), document_format, _store().prefixes, context)
        return Response(body, content_type=document_format.content_type)

    headers = {"Link": _alternates(iri) + f', <{iri}>; rel="describes"', "Access-Control-Allow-Origin": "*"}
    if negotiated:
        headers["Content-Location"] = data_url(iri, document_format.name)
    return conditional(
        ("data", iri, document_format.name), build, vary=("Accept",) if negotiated else (), headers=headers, cache=True
    )


@entities_blueprint.route("/data/<path:rest>", methods=["GET", "HEAD"])
def data(rest: str):
    stem, dot, extension = rest.rpartition(".")
    if dot and extension in FORMATS:
        iri = _resolve(stem, route="data/", extension=extension)
        if iri is not None:
            return data_response(iri, FORMATS[extension])
    iri = _resolve(rest, route="data/")
    if iri is None:
        return _not_found(stem if dot and extension in FORMATS else rest)
    try:
        chosen = choose(request.headers.get("Accept"), request.args.getlist("format"), DATA_OFFERS)
    except NotAcceptable as error:
        response = plain(error.message, 406)
        response.vary.add("Accept")
        return response
    return data_response(iri, chosen, negotiated=True)


# -- pages ------------------------------------------------------------------------------------


@entities_blueprint.route("/page/<path:rest>", methods=["GET", "HEAD"])
def page(rest: str):
    iri = _resolve(rest, route="page/")
    if iri is None:
        return _not_found(rest)
    wanted = request.args.get("format")
    if wanted and wanted.lower() not in ("html", "text/html"):
        document_format = format_by_name(wanted)
        if document_format is None:
            return plain(f"no format {wanted!r}: use one of " + ", ".join(FORMATS) + " (or html)", 406)
        return data_response(iri, document_format, negotiated=True)
    languages = request_languages()
    if iri == ontology_iri():
        return guide_page(languages, alternates=_alternates(iri))

    def build() -> Response:
        html = render_template("resource.html", **page_context(iri, languages))
        response = Response(html, mimetype="text/html")
        response.headers["Content-Security-Policy"] = PAGE_SECURITY_POLICY
        return response

    return conditional(
        ("page", iri, *languages), build, vary=("Accept-Language",), cache=True, headers={"Link": _alternates(iri)}
    )


def embedded_json_ld(description, prefixes: dict[str, str]) -> Markup:
    """The resource's own statements and its neighbours' names and types as JSON-LD, safe
    inside ``<script>``: ``<``, ``>`` and ``&`` are escaped, so no text in the data can end
    the element."""
    quads = canonical_quads(
        ox.Quad(s.subject, s.predicate, s.object) for s in description.statements if s.role in (OWN, NEIGHBOUR)
    )
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    document = compacted_json_ld(ox.serialize(triples, format=ox.RdfFormat.JSON_LD), prefixes)
    text = json.dumps(document, ensure_ascii=False, indent=1)
    # Hidden characters (zkg.rdf.visible) as JSON escapes too: the same data, nothing invisible in the page.
    if has_hidden(text):
        text = "".join(json.dumps(c)[1:-1] if is_hidden(c) else c for c in text)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _neighbours(entity: facts.EntityFacts, limit: int = 14) -> list[charts.Neighbour]:
    """What the neighbourhood picture shows: the resources this one links to, then those
    linking here, one per property first so that no single property crowds out the rest."""
    chosen: list[charts.Neighbour] = []
    seen: set[str] = set()
    for fact in entity.facts:
        for value in fact.values:
            if value.iri and value.iri not in seen:
                seen.add(value.iri)
                chosen.append(charts.Neighbour(value.text, value.href, fact.label, False))
    incoming: dict[str, list] = {}
    for subject, prop in entity.incoming:
        if subject.iri and subject.iri not in seen:
            incoming.setdefault(prop.label, []).append(subject)
    while any(incoming.values()):
        for relation, subjects in incoming.items():
            if subjects:
                subject = subjects.pop(0)
                if subject.iri not in seen:
                    seen.add(subject.iri)
                    chosen.append(charts.Neighbour(subject.text, subject.href, relation, True))
    return chosen


def page_context(iri: str, languages: list[str]) -> dict:
    store = _store()
    description = describe(store, iri)
    # A Data Cube data set's page shows the figures in it; any other page those about it.
    dataset = any(s.predicate.value == RDF_TYPE and s.object == ox.NamedNode(QB + "DataSet") for s in description.own())
    found = statistics.observations(store, iri, in_dataset=dataset)
    # The labels the facts and the figures need, in one query.
    candidates = fetch_label_candidates(store, facts.labels_wanted(description) | statistics.labelled_iris(found))
    entity = facts.entity_facts(store, description, link, languages, base_iri=_base(), candidates=candidates)
    observation_labels = statistics.observation_labels(store, found, languages, candidates=candidates) if found else {}
    series_charts = []
    for index, series in enumerate(statistics.yearly_series(found)):
        unit = series.points[0]
        title = observation_labels.get(series.indicator, fallback_label(series.indicator))
        if dataset and series.subject:
            title += f", {observation_labels.get(series.subject, fallback_label(series.subject))}"
        points = [(p.period, float(p.value), p.derived) for p in series.points]
        svg = charts.bar_chart(title, points, lambda v, u=unit: _chart_value(v, u), element_id=f"chart-{index + 1}")
        unit_name = unit.notation if formatting.is_currency(unit.notation) else None
        series_charts.append((title + (f" ({unit_name})" if unit_name else ""), Markup(svg)))
    neighbours = _neighbours(entity)
    term = (
        term_info(store, iri, _base(), languages) if iri.startswith(_base() + "def/") and is_term(store, iri) else None
    )
    graph_size = None
    if iri.startswith(_base() + "graph/"):
        count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {ox.NamedNode(iri)} {{ ?s ?p ?o }} }}"
        row = next(iter(store.query(count, trusted=True)))
        graph_size = int(row["n"].value)
    sparql = f"DESCRIBE <{iri}>"
    # Only a vocabulary term's or a code list's page needs the guide (built once per version).
    in_model = iri.startswith((_base() + VOCABULARY_PATH, _base() + "code/"))
    guide = model_guide_of(store) if in_model else None
    guide_class = guide.class_guide(iri) if guide else None
    code_list = guide.code_list(iri) if guide else None
    return {
        "guide_class": guide_class,
        "code_list": code_list,
        "guide_labels": guide.labels(languages) if guide and (guide_class or code_list) else {},
        "guide_comments": guide.comments(languages) if guide and code_list else {},
        "curie": curie,
        "model_url": model_page_url,
        "value_text": value_text,
        "iri": iri,
        "entity": entity,
        "description": description,
        "term": term,
        "graph_size": graph_size,
        "graph_query_url": editor_url(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }} LIMIT 500")
        if graph_size is not None
        else None,
        "statistics": sorted(
            statistics.statistics_rows(found),
            key=lambda r: (
                observation_labels.get(r.indicator, "").lower(),
                observation_labels.get(r.subject, "") if dataset else "",
                r.period or "",
                observation_labels.get(r.partner, ""),
            ),
        ),
        "disagreements": statistics.disagreements(found),
        "dataset": dataset,
        "table_urls": (table_url(iri, "csv"), table_url(iri, "csv-metadata.json")) if dataset and found else None,
        "observation_labels": observation_labels,
        "charts": series_charts,
        "neighbourhood": Markup(charts.neighbourhood(entity.label, neighbours, element_id="hood"))
        if neighbours
        else None,
        "twins": [(f.label, data_url(iri, f.name), f.media_type) for f in FORMATS.values()],
        "entity_query_url": editor_url(sparql),
        "sparql_query": sparql,
        "json_ld": embedded_json_ld(description, store.prefixes),
        "link": link,
        "refs_for": lambda observations: [
            entity.refs[g] for g in dict.fromkeys(o.graph for o in observations) if g in entity.refs
        ],
        "label_language": _label_language(description, entity.label),
    }


def _chart_value(value: float, sample: statistics.Observation) -> str:
    text = f"{value:f}".rstrip("0").rstrip(".")
    return formatting.format_quantity(text, sample.notation)


def _label_language(description, label: str) -> str | None:
    for statement in description.own():
        if isinstance(statement.object, ox.Literal) and statement.object.value == label:
            return statement.object.language or None
    return None
