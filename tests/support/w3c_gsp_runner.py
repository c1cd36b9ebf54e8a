"""zkg's own runner of the W3C SPARQL 1.1 Graph Store HTTP Protocol tests (test data:
``graph-store-protocol/`` of the W3C manifests, :func:`tests.support.w3c_runner.w3c_dir`).

It reads ``manifest.ttl`` and the manifests it includes (direct and indirect graph
identification), and runs every ``mf:GraphStoreProtocolTest`` they define: each test's
requests in order, with the ``/gsp`` path prefix rewritten to the endpoint's path, the
``Location`` of a response kept as ``$LOCATION$`` for the requests after it
(``mf:expectedLocation``), and extra headers of the caller's (zkg's write token and source).
Each response is checked for its status (``hts:`` codes or classes), its ``Content-Type``
(media type), and its body: parsed by that type, it must be isomorphic to the expected graph
(compared as canonical N-Triples).
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
from rdflib import RDF, Graph, Namespace
from rdflib.collection import Collection

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
STATUS = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}
RDF_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
PREFIX = "/gsp"


@dataclass
class Request:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes | None
    expected_status: set[str]  # "200", "2xx", …
    expected_headers: list[tuple[str, str]] = field(default_factory=list)
    expected_body: str | None = None
    location_variable: str | None = None


@dataclass
class GraphStoreTest:
    id: str
    name: str
    requires: list[str]
    requests: list[Request]


def _local(node) -> str:
    return str(node).rsplit("#", 1)[-1]


def load_tests(manifest: Path) -> list[GraphStoreTest]:
    graph = Graph()
    graph.parse(manifest, format="turtle")
    root = next(graph.subjects(RDF.type, MF.Manifest))
    for included in Collection(graph, graph.value(root, MF.include)):
        graph.parse(Path(str(included).removeprefix("file://")), format="turtle")
    tests = []
    for node in sorted(graph.subjects(RDF.type, MF.GraphStoreProtocolTest), key=str):
        action = graph.value(node, MF.action)
        requests = [_request(graph, r) for r in Collection(graph, graph.value(action, HT.requests))]
        tests.append(
            GraphStoreTest(
                _local(node),
                str(graph.value(node, MF.name)),
                sorted(_local(r) for r in graph.objects(node, MF.requires)),
                requests,
            )
        )
    return tests


def _headers(graph: Graph, node) -> list[tuple[str, str]]:
    found = []
    listed = graph.value(node, HT.headers)
    if listed is not None:
        for header in Collection(graph, listed):
            found.append((str(graph.value(header, HT.fieldName)), str(graph.value(header, HT.fieldValue))))
    return found


def _body(graph: Graph, node) -> str | None:
    content = graph.value(node, HT.body)
    return None if content is None else str(graph.value(content, CNT.chars))


def _request(graph: Graph, node) -> Request:
    response = graph.value(node, HT.resp)
    statuses = set()
    for status in graph.objects(response, MF.expectedStatus):
        name = _local(status)
        statuses.add(str(STATUS[name]) if name in STATUS else name.removeprefix("StatusCode"))
    body = _body(graph, node)
    location = graph.value(response, MF.expectedLocation)
    return Request(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)),
        headers=_headers(graph, node),
        body=body.encode("utf-8") if body is not None else None,
        expected_status=statuses,
        expected_headers=_headers(graph, response),
        expected_body=_body(graph, response),
        location_variable=str(location) if location is not None else None,
    )


def rewrite(path: str, endpoint_path: str) -> str:
    """``/gsp/person/1.ttl`` → ``{endpoint_path}/person/1.ttl``; ``/gsp?graph=…`` likewise.

    >>> rewrite("/gsp?default", "/graph-store"), rewrite("/gsp/person/1.ttl", "/graph-store")
    ('/graph-store?default', '/graph-store/person/1.ttl')
    """
    if not path.startswith(PREFIX):
        raise ValueError(f"a manifest path that does not start with {PREFIX}: {path}")
    return endpoint_path + path[len(PREFIX) :]


def canonical(body: bytes | str, media_type: str, base: str) -> list[str]:
    data = body.encode("utf-8") if isinstance(body, str) else body
    dataset = ox.Dataset(ox.parse(data, format=RDF_TYPES[media_type], base_iri=base))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


def run(test: GraphStoreTest, endpoint: str, extra_headers: dict[str, str]) -> list[str]:
    """Send the test's requests in order; the problems found (none: it passes)."""
    parts = urlsplit(endpoint)
    variables: dict[str, str] = {}
    problems = []
    for request in test.requests:
        path, body = request.path, request.body
        for name, value in variables.items():
            path = path.replace(name, value)
            body = body.replace(name.encode(), value.encode()) if body is not None else None
        headers = {**dict(request.headers), **extra_headers}
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            connection.request(request.method, rewrite(path, parts.path), body=body, headers=headers)
            answer = connection.getresponse()
            received = answer.read()
        finally:
            connection.close()
        where = f"{request.method} {path}"
        status = str(answer.status)
        if status not in request.expected_status and f"{status[0]}xx" not in request.expected_status:
            problems.append(
                f"{where}: status {status}, expected {' or '.join(sorted(request.expected_status))}: {received[:300]!r}"
            )
            break
        if request.location_variable:
            location = answer.getheader("Location")
            if not location:
                problems.append(f"{where}: no Location header")
                break
            variables[request.location_variable] = location
        media_type = (answer.getheader("Content-Type") or "").split(";")[0].strip().lower()
        for name, value in request.expected_headers:
            if name.lower() == "content-type" and media_type != value.split(";")[0].strip().lower():
                problems.append(f"{where}: Content-Type {answer.getheader('Content-Type')!r}, expected {value!r}")
        if request.expected_body is not None and request.method != "HEAD":
            if media_type not in RDF_TYPES:
                problems.append(f"{where}: cannot compare a {media_type or 'typeless'} body")
                continue
            got = canonical(received, media_type, endpoint)
            want = canonical(request.expected_body, "text/turtle", endpoint)
            if got != want:
                problems.append(f"{where}: the graph differs from the expected one:\n  got  {got}\n  want {want}")
        if request.method == "HEAD" and received:
            problems.append(f"{where}: HEAD answered with a body")
    return problems
