"""What the endpoint says about itself: the SPARQL Service Description, VoID, and the limits.

- ``GET /sparql`` with no query (RDF Accept): the Service Description (sd:), whose
  ``sd:endpoint`` is the URL requested, with result formats, features, and the dataset's
  named graphs (``sd:name``) and sizes; its dataset is the VoID dataset.
- ``GET /.well-known/void``: the VoID description (RFC 5785 well-known location): triples,
  entities, classes, properties, one subset per named graph, the SPARQL endpoint, the URI
  space, the vocabularies, and the data dumps the app serves.
- ``GET /sparql/limits``: a short page on the time limit, the row cap and the size limit,
  which capped results link to.

Statistics come from a few aggregate queries, cached for a minute per app.
"""

from __future__ import annotations

import logging
import threading
import time
from html import escape

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request, url_for

from zkg.base.errors import ZkgError
from zkg.rdf import negotiation
from zkg.rdf.namespaces import DCTERMS, SD, VOID
from zkg.rdf.prefixes import ENTITY_PATH, VOCABULARY_PATH
from zkg.rdf.results import serialize_triples
from zkg.store.facade import StoreFacade

service_blueprint = Blueprint("service", __name__)
log = logging.getLogger(__name__)

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_SEE_ALSO = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
STATISTICS_TTL = 60.0
TITLE = "Zhongguancun Knowledge Graph"
#: Standard vocabularies the data uses (void:vocabulary); the project's own is added.
VOCABULARIES = (
    "https://schema.org/",
    "http://www.w3.org/ns/org#",
    "http://www.w3.org/ns/prov#",
    "http://purl.org/dc/terms/",
    "http://www.w3.org/2004/02/skos/core#",
    "http://purl.org/linked-data/cube#",
)


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD_INTEGER)


def _known(triples: list[ox.Triple]) -> list[ox.Triple]:
    """Leave out the statistics that could not be computed (their object is None)."""
    return [t for t in triples if t is not None]


def _count(subject, predicate: str, value: int | None) -> ox.Triple | None:
    return None if value is None else ox.Triple(subject, _n(predicate), _int(value))


# -- statistics ----------------------------------------------------------------------------------

GRAPH_SIZES = "SELECT ?g (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
TOTALS = """SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?p) AS ?properties)
  (COUNT(DISTINCT ?o) AS ?objects) { ?s ?p ?o }"""
CLASSES = "SELECT (COUNT(DISTINCT ?c) AS ?classes) { ?s a ?c }"
ENTITIES = "SELECT (COUNT(DISTINCT ?s) AS ?entities) { ?s ?p ?o FILTER(STRSTARTS(STR(?s), ?space)) }"

_cache_lock = threading.Lock()


def _rows(store, query: str, **options) -> list | None:
    """The rows of one statistics query; None when it fails (e.g. past the time limit on a
    big store): the descriptions then leave that number out rather than fail."""
    try:
        return list(store.query(query, **options))
    except ZkgError as error:
        log.warning("a VoID statistic is left out: %s", error)
        return None


def _value(rows: list | None, name: str) -> int | None:
    if not rows or rows[0][name] is None:
        return None
    return int(rows[0][name].value)


def statistics(store: StoreFacade, base_iri: str) -> dict:
    """Sizes of the dataset and of each named graph, None where unknown. Cached for
    ``STATISTICS_TTL`` seconds, and no longer than the next write through ``store``; kept by
    the app (``app.extensions["zkg.statistics"]``), never in module state."""
    key = (store.session, store.writes)
    with _cache_lock:
        cache = current_app.extensions.setdefault("zkg.statistics", {})
        hit = cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < STATISTICS_TTL:
            return hit[1]
    graphs = {
        graph.value: {"triples": None, "subjects": None}
        for graph in store.named_graphs()
        if isinstance(graph, ox.NamedNode)
    }
    for row in _rows(store, GRAPH_SIZES) or []:
        graphs[row["g"].value] = {"triples": int(row["triples"].value), "subjects": int(row["subjects"].value)}
    totals = _rows(store, TOTALS)
    space = base_iri + ENTITY_PATH
    stats = {
        "graphs": dict(sorted(graphs.items())),
        "triples": _value(totals, "triples"),
        "distinct_subjects": _value(totals, "subjects"),
        "properties": _value(totals, "properties"),
        "distinct_objects": _value(totals, "objects"),
        "entities": _value(_rows(store, ENTITIES.replace("?space", '"' + space.replace('"', '\\"') + '"')), "entities"),
        "classes": _value(_rows(store, CLASSES), "classes"),
    }
    with _cache_lock:
        cache.clear()  # the one store of this app: no entries of earlier writes
        cache[key] = (time.monotonic(), stats)
    return stats


def _void_urls() -> tuple[str, ox.NamedNode]:
    document = url_for("service.void", _external=True)
    return document, _n(document + "#dataset")


def data_dumps() -> list[str]:
    """Absolute URLs of the whole-dataset dumps the app serves: ``ZKG_DATA_DUMPS`` (paths or
    URLs) if configured, else every argument-less route whose path ends in .gz."""
    configured = current_app.config.get("ZKG_DATA_DUMPS")
    root = request.url_root
    if configured is not None:
        return [u if "://" in u else root + u.lstrip("/") for u in configured]
    return sorted(
        root + rule.rule.lstrip("/")
        for rule in current_app.url_map.iter_rules()
        if not rule.arguments and rule.rule.endswith(".gz")
    )


# -- the service description -------------------------------------------------------------------


def service_description(store, base_iri: str) -> list[ox.Triple]:
    endpoint = _n(request.base_url)
    service = _n(request.base_url + "#service")
    void_document, dataset = _void_urls()
    stats = statistics(store, base_iri)
    triples = [
        ox.Triple(service, RDF_TYPE, _n(SD + "Service")),
        ox.Triple(service, _n(SD + "endpoint"), endpoint),
        ox.Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")),
        ox.Triple(service, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")),
        ox.Triple(service, _n(SD + "defaultEntailmentRegime"), _n("http://www.w3.org/ns/entailment/Simple")),
        ox.Triple(service, _n(DCTERMS + "title"), ox.Literal(f"{TITLE}: SPARQL endpoint", language="en")),
        ox.Triple(service, _n(SD + "defaultDataset"), dataset),
        ox.Triple(service, RDFS_SEE_ALSO, _n(void_document)),
        ox.Triple(dataset, RDF_TYPE, _n(SD + "Dataset")),
        ox.Triple(dataset, RDFS_SEE_ALSO, _n(void_document)),
    ]
    for fmt in (*negotiation.RESULTS_FORMATS, *negotiation.GRAPH_FORMATS):
        triples.append(ox.Triple(service, _n(SD + "resultFormat"), _n(fmt.w3c_format)))
    default_graph = _n(void_document + "#default-graph")
    triples += [
        ox.Triple(dataset, _n(SD + "defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, _n(SD + "Graph")),
        _count(default_graph, VOID + "triples", stats["triples"]),
        ox.Triple(
            default_graph, _n(DCTERMS + "description"), ox.Literal("the union of all named graphs", language="en")
        ),
    ]
    for index, (name, sizes) in enumerate(stats["graphs"].items()):
        named_graph = ox.BlankNode(f"namedGraph{index}")
        graph = ox.BlankNode(f"graph{index}")
        triples += [
            ox.Triple(dataset, _n(SD + "namedGraph"), named_graph),
            ox.Triple(named_graph, RDF_TYPE, _n(SD + "NamedGraph")),
            ox.Triple(named_graph, _n(SD + "name"), _n(name)),
            ox.Triple(named_graph, _n(SD + "graph"), graph),
            ox.Triple(graph, RDF_TYPE, _n(SD + "Graph")),
            _count(graph, VOID + "triples", sizes["triples"]),
        ]
    # What other parts of the app publish about themselves (canned queries, reconciliation):
    # callables (service, dataset) -> triples, registered in app.extensions.
    for extra in current_app.extensions.get("zkg.service_description", ()):
        triples += extra(service, dataset)
    return _known(triples)


def service_description_response(fmt) -> Response:
    store = current_app.config["ZKG_STORE"]
    settings = current_app.config["ZKG_SETTINGS"]
    body = serialize_triples(_grouped(service_description(store, settings.base_iri)), fmt, prefixes=_prefixes(store))
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def _grouped(triples: list[ox.Triple]) -> list[ox.Triple]:
    """Each subject's triples together (in first-mention order), so Turtle writes each
    subject once."""
    order: dict = {}
    for triple in triples:
        order.setdefault(triple.subject, len(order))
    return sorted(triples, key=lambda t: order[t.subject])


def _prefixes(store) -> dict[str, str]:
    names = ("sd", "void", "dcterms", "rdfs", "xsd", "rdf", "foaf", "dcat")
    own = {n: store.prefixes[n] for n in names if n in store.prefixes}
    own["formats"] = "http://www.w3.org/ns/formats/"
    return own


# -- VoID ---------------------------------------------------------------------------------------------


def void_description(store, base_iri: str) -> list[ox.Triple]:
    document, dataset = _void_urls()
    stats = statistics(store, base_iri)
    description = _n(document)
    triples = [
        ox.Triple(description, RDF_TYPE, _n(VOID + "DatasetDescription")),
        ox.Triple(description, _n(DCTERMS + "title"), ox.Literal(f"A VoID description of the {TITLE}", language="en")),
        ox.Triple(description, _n("http://xmlns.com/foaf/0.1/primaryTopic"), dataset),
        ox.Triple(dataset, RDF_TYPE, _n(VOID + "Dataset")),
        ox.Triple(dataset, _n(DCTERMS + "title"), ox.Literal(TITLE, language="en")),
        ox.Triple(
            dataset,
            _n(DCTERMS + "description"),
            ox.Literal(
                "The organisations, people, events, places and statistics of Zhongguancun Science Park "
                "(Z-Park), each fact in the named graph of its source.",
                language="en",
            ),
        ),
        ox.Triple(dataset, _n(VOID + "sparqlEndpoint"), _n(url_for("sparql.endpoint", _external=True))),
        ox.Triple(dataset, _n(VOID + "uriSpace"), ox.Literal(base_iri + ENTITY_PATH)),
        _count(dataset, VOID + "triples", stats["triples"]),
        _count(dataset, VOID + "entities", stats["entities"]),
        _count(dataset, VOID + "classes", stats["classes"]),
        _count(dataset, VOID + "properties", stats["properties"]),
        _count(dataset, VOID + "distinctSubjects", stats["distinct_subjects"]),
        _count(dataset, VOID + "distinctObjects", stats["distinct_objects"]),
    ]
    for vocabulary in (*VOCABULARIES, base_iri + VOCABULARY_PATH):
        triples.append(ox.Triple(dataset, _n(VOID + "vocabulary"), _n(vocabulary)))
    for fmt in negotiation.GRAPH_FORMATS:
        triples.append(ox.Triple(dataset, _n(VOID + "feature"), _n(fmt.w3c_format)))
    for dump in data_dumps():
        triples.append(ox.Triple(dataset, _n(VOID + "dataDump"), _n(dump)))
    for index, (name, sizes) in enumerate(stats["graphs"].items()):
        subset = _n(f"{document}#graph-{index + 1}")
        triples += [
            ox.Triple(dataset, _n(VOID + "subset"), subset),
            ox.Triple(subset, RDF_TYPE, _n(VOID + "Dataset")),
            ox.Triple(subset, RDF_TYPE, _n(SD + "NamedGraph")),
            ox.Triple(subset, _n(SD + "name"), _n(name)),
            _count(subset, VOID + "triples", sizes["triples"]),
            _count(subset, VOID + "distinctSubjects", sizes["subjects"]),
        ]
    return _known(triples)


@service_blueprint.get("/.well-known/void")
def void():
    store = current_app.config["ZKG_STORE"]
    settings = current_app.config["ZKG_SETTINGS"]
    fmt = negotiation.choose(request.headers.get("Accept"), request.args.getlist("format"), negotiation.GRAPH_FORMATS)
    body = serialize_triples(_grouped(void_description(store, settings.base_iri)), fmt, prefixes=_prefixes(store))
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


@service_blueprint.errorhandler(negotiation.NotAcceptable)
def not_acceptable(error):
    return Response(error.message + "\n", status=406, mimetype="text/plain")


# -- the limits page ------------------------------------------------------------------------------


@service_blueprint.get("/sparql/limits")
def limits():
    settings = current_app.config["ZKG_SETTINGS"]
    sections = [
        (
            "time-limit",
            "Time limit",
            f"A query runs for at most {settings.query_timeout:g} seconds (ZKG_QUERY_TIMEOUT). Past it the "
            "engine stops the work and the endpoint answers 503 with a message naming the limit.",
        ),
        (
            "row-limit",
            "Row limit",
            f"A response carries at most {settings.row_limit} rows or triples (ZKG_ROW_LIMIT). A capped response "
            f"says so in the header ZKG-Results-Truncated: limit={settings.row_limit} (with a Link to this page "
            "and a Warning), and inside the format where it can: SPARQL JSON has a link in head and a "
            'top-level "truncated" object; SPARQL XML a link in head; Turtle, TriG, N-Triples and N-Quads '
            "a comment at the top; RDF/XML a comment. Use LIMIT and OFFSET with ORDER BY to page.",
        ),
        (
            "request-size",
            "Request size",
            f"A request (URL or body) is at most {settings.max_request_bytes} bytes (ZKG_MAX_REQUEST_BYTES); "
            "past it the answer is 413.",
        ),
        (
            "outbound",
            "No outbound requests",
            "SERVICE, LOAD, and FROM or FROM NAMED naming a graph this dataset does not have are refused "
            "with 400: the endpoint never fetches anything from elsewhere.",
        ),
    ]
    body = "".join(
        f'<section id="{anchor}"><h2>{escape(title)}</h2><p>{escape(text)}</p></section>'
        for anchor, title, text in sections
    )
    html = (
        f'<!doctype html><html lang="en"><meta charset="utf-8"><title>zkg SPARQL endpoint limits</title>'
        f'<h1>Limits of the SPARQL endpoint</h1>{body}<p><a href="{url_for("sparql.endpoint")}">'
        f"Back to the endpoint</a></p></html>"
    )
    return Response(html, mimetype="text/html")
