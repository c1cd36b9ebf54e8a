"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/graph-store``.

Graphs are named
- indirectly: ``/graph-store?graph=<IRI>`` (any absolute IRI; the query string is decoded
  once, so ``%2531`` names ``%31``), or ``/graph-store?default`` for the default graph;
- directly: ``/graph-store/<path>`` names the graph ``{base}graph-store/<path>`` (the path as
  sent, percent-encoding kept): the request URL is the graph's IRI when the server runs at
  its base IRI.

**The default graph.** ``?default`` is a named graph of its own,
``{base}graph/graph-store-default`` (:func:`zkg.curation.writer.graph_store_default`). zkg
keeps its data in named graphs (DESIGN.md, decision 4) and a query's default graph is their
set union (:mod:`zkg.store.union_graph`), which no write can make hold exactly a document
(what only zkg writes stays in it); so ``?default`` reads and writes that graph, whose
statements are in the union like any other's (it always exists: GET answers 200, empty or
not). SPARQL Update works otherwise: there the default graph is the union
(:mod:`zkg.curation.update_translation`).

Methods: GET and HEAD (the graph in Turtle, N-Triples, JSON-LD or RDF/XML by ``Accept`` or
``format=``; 404 for a graph without statements; ETag and Last-Modified from the dataset
version, 304 on revalidation), PUT (replace; 201 when the graph is new, else 204), POST to a
graph (merge; 201 when new, else 204; ``multipart/form-data`` parts are merged too), POST to
``/graph-store`` itself (a new graph ``{base}graph-store/<id>``, 201 with its IRI in
``Location``), DELETE (204; 404 when there is no such graph).

After the bearer token and the source (:mod:`zkg.web.curation.writes`), every write is a call
to the one write API (:meth:`zkg.curation.writer.Curator.replace_graph`, ``add_to_graph``,
``delete_graph``: the diff against the graph's statements, SHACL check, one atomic changeset).
Writes honour ``If-Match`` and ``If-None-Match`` with the ETags GET gives (any format's ETag
of the graph's current state matches; ``*`` means "the graph exists"): 412 when they fail,
checked under the writer lock so that nothing can change the graph between the check and the
write.
"""

from __future__ import annotations

import secrets
from functools import partial
from typing import Iterable

import pyoxigraph as ox
from flask import Blueprint, Response, request

from zkg.base.errors import ZkgError
from zkg.curation.writer import graph_quads
from zkg.rdf import negotiation
from zkg.rdf.negotiation import NotAcceptable
from zkg.rdf.serialize import canonical_quads
from zkg.web.curation import writes
from zkg.web.curation.upload_guard import check_upload
from zkg.web.http_caching import conditional, current_version
from zkg.web.iris import raw_request_path

graph_store_blueprint = Blueprint("graph_store", __name__)

PATH = "graph-store"
DEFAULT = ox.DefaultGraph()
#: What a graph is served and accepted as.
FORMATS = (negotiation.TURTLE, negotiation.N_TRIPLES, negotiation.JSON_LD, negotiation.RDF_XML)
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]


class GraphStoreError(ZkgError):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.http_status = status


# -- which graph ----------------------------------------------------------------------------------


def _target(direct: bool) -> ox.NamedNode | ox.DefaultGraph | None:
    """The graph the request names; None for the service itself (POST creates a graph)."""
    base = writes.store().base_iri
    has_graph, has_default = "graph" in request.args, "default" in request.args
    if direct:
        if has_graph or has_default:
            raise GraphStoreError("a graph named by the URL path cannot also be named by ?graph= or ?default")
        raw = raw_request_path(request.environ, request.script_root)
        path = (
            raw[len("/" + PATH + "/") :] if raw and raw.startswith("/" + PATH + "/") else request.path[len(PATH) + 2 :]
        )
        return _node(base + PATH + "/" + path)
    if has_graph and has_default:
        raise GraphStoreError("name the graph with ?graph=IRI or with ?default, not both")
    if has_default:
        return DEFAULT
    if has_graph:
        values = request.args.getlist("graph")
        if len(values) != 1:
            raise GraphStoreError("name one graph: one ?graph= parameter")
        return _node(values[0])
    return None


def _node(iri: str) -> ox.NamedNode:
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        raise GraphStoreError(f"not an IRI: {iri!r}") from None
    if ":" not in iri.split("/", 1)[0]:
        raise GraphStoreError(f"the graph must be named by an absolute IRI, not {iri!r}")
    return node


# -- reading ---------------------------------------------------------------------------------------


def _name(graph) -> str:
    return "" if isinstance(graph, ox.DefaultGraph) else graph.value


def _label(graph) -> str:
    return "the default graph" if isinstance(graph, ox.DefaultGraph) else f"the graph {graph}"


def etags(graph, version=None) -> set[str]:
    """The ETags of the graph's current state, one per format."""
    version = version or current_version()
    return {version.etag(PATH, _name(graph), f.name) for f in FORMATS}


def _serialize(quads: Iterable[ox.Quad], chosen: negotiation.Format) -> bytes:
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in canonical_quads(quads)]
    if chosen is negotiation.TURTLE:
        return ox.serialize(triples, format=chosen.oxigraph, prefixes=_used_prefixes(triples))
    return ox.serialize(triples, format=chosen.oxigraph)


def _used_prefixes(triples) -> dict[str, str]:
    iris = {
        t.value
        for triple in triples
        for t in (triple.subject, triple.predicate, triple.object)
        if isinstance(t, ox.NamedNode)
    }
    return {name: ns for name, ns in writes.store().prefixes.items() if any(i.startswith(ns) for i in iris)}


def _get(graph) -> Response:
    chosen = negotiation.choose(request.headers.get("Accept"), request.args.getlist("format"), FORMATS)
    quads = graph_quads(writes.store(), graph)
    if not quads and not isinstance(graph, ox.DefaultGraph):
        return writes.plain(f"there is no graph {graph} (no statements in it)", 404)
    return conditional(
        (PATH, _name(graph), chosen.name),
        lambda: Response(_serialize(quads, chosen), content_type=chosen.content_type),
        vary=("Accept",),
    )


# -- writing ---------------------------------------------------------------------------------------


def _format_of(content_type: str | None, filename: str | None = None) -> negotiation.Format:
    mimetype = (content_type or "").split(";", 1)[0].strip().lower()
    for fmt in FORMATS:
        if mimetype in fmt.media_types:
            return fmt
    if filename:
        extension = filename.rsplit(".", 1)[-1].lower()
        for fmt in FORMATS:
            if extension == fmt.name or extension in fmt.names:
                return fmt
    offered = ", ".join(f.media_type for f in FORMATS)
    raise GraphStoreError(f"send the graph as one of {offered} (got {mimetype or 'no Content-Type'})", 415)


def _parse(data: bytes, fmt: negotiation.Format, graph, what: str = "the body") -> list[ox.Quad]:
    fresh: dict[str, ox.BlankNode] = {}

    def own(term):
        # The document's blank nodes are new nodes: never the store's, whatever their labels.
        if isinstance(term, ox.BlankNode):
            return fresh.setdefault(term.value, ox.BlankNode())
        return term

    check_upload(data, fmt.oxigraph, what)  # no DTD in RDF/XML: no entity expansion
    try:
        base = _name(graph) or writes.store().base_iri
        parsed = list(ox.parse(data, format=fmt.oxigraph, base_iri=base))
    except SyntaxError as error:
        raise GraphStoreError(f"{what} is not valid {fmt.label}: {error}") from None
    quads = []
    for item in parsed:
        if isinstance(item, ox.Quad) and not isinstance(item.graph_name, ox.DefaultGraph):
            raise GraphStoreError(f"{what} names graphs: send the statements of one graph")
        quads.append(ox.Quad(own(item.subject), item.predicate, own(item.object), graph))
    return quads


def _body_quads(graph) -> list[ox.Quad]:
    charset = request.mimetype_params.get("charset")
    if request.mimetype == "multipart/form-data":
        quads = []
        for name, part in request.files.items(multi=True):
            fmt = _format_of(part.content_type, part.filename)
            quads += _parse(part.read(), fmt, graph, what=f"the part {name!r}")
        return quads
    if charset is not None and charset.strip().lower() not in ("utf-8", "utf8"):
        raise GraphStoreError(f"send the graph in UTF-8 (got charset={charset})", 415)
    return _parse(request.get_data(cache=False), _format_of(request.content_type), graph)


def _check_preconditions(graph, exists: bool) -> None:
    """If-Match / If-None-Match against the graph's current ETags (412 when they fail)."""
    current = etags(graph) if exists else set()
    if_match = request.headers.get("If-Match")
    if if_match is not None:
        wanted = {t.strip() for t in if_match.split(",")}
        if not (("*" in wanted and exists) or wanted & current):
            raise GraphStoreError(
                "If-Match: the graph has changed since that ETag (or does not exist); GET it again", 412
            )
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        wanted = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        if ("*" in wanted and exists) or wanted & current:
            raise GraphStoreError("If-None-Match: the graph exists (in that state)", 412)


def _write(graph, method: str) -> Response:
    attribution = writes.request_attribution()
    body = _body_quads(graph) if method in ("PUT", "POST") else []
    curator = writes.app_curator()
    # If-Match / If-None-Match are checked by the curator under the writer lock: nothing can
    # change the graph between that check and the write.
    precondition = partial(_check_preconditions, graph)
    dry_run = writes.dry_run_requested()
    if method == "PUT":
        done = curator.replace_graph(graph, body, attribution, precondition=precondition, dry_run=dry_run)
    elif method == "POST":
        done = curator.add_to_graph(graph, body, attribution, precondition=precondition, dry_run=dry_run)
    else:
        done = curator.delete_graph(graph, attribution, precondition=precondition, dry_run=dry_run)
    outcome = done.outcome
    if outcome is None:
        return writes.nothing_to_do("", 204)
    headers = {"Location": _name(graph)} if done.created else {}
    if not outcome.committed:
        return writes.committed_response(outcome)
    return writes.committed_response(outcome, status=201 if done.created else 204, headers=headers)


# -- the endpoint ---------------------------------------------------------------------------------


@graph_store_blueprint.route(f"/{PATH}", methods=METHODS, defaults={"rest": None})
@graph_store_blueprint.route(f"/{PATH}/<path:rest>", methods=METHODS)
def graph_store(rest: str | None):
    if request.method not in ("GET", "HEAD"):
        writes.mark_write()
    try:
        graph = _target(direct=rest is not None)
        if graph is None:
            if request.method == "POST":
                base = writes.store().base_iri
                return _write(ox.NamedNode(f"{base}{PATH}/{secrets.token_hex(8)}"), "POST")
            if request.method in ("GET", "HEAD"):
                return writes.plain(
                    "the SPARQL 1.1 Graph Store HTTP Protocol: name a graph with ?graph=IRI or ?default, or "
                    f"by the path below /{PATH}/; POST here creates a graph",
                    200,
                )
            raise GraphStoreError(f"{request.method} needs a graph: ?graph=IRI or ?default", 400)
        if request.method in ("GET", "HEAD"):
            return _get(graph)
        return _write(graph, request.method)
    except GraphStoreError as error:
        return writes.plain(error.message, error.http_status)
    except NotAcceptable as error:
        return writes.plain(error.message, 406)
    except Exception as error:
        response = writes.error_response(error)
        if response is None:
            raise
        return response
