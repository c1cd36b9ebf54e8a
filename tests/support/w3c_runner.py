"""zkg's own runner of the W3C SPARQL 1.1 Protocol tests (test data: the W3C manifests,
vendored in tests/conformance/w3c/sparql11/).

It reads ``protocol/manifest.ttl`` (the ht: HTTP vocabulary: method, path, headers, body and
its character encoding; the expected status class, result format and boolean), sends each
test's requests as described to a live endpoint, with the ``/sparql/`` path prefix
rewritten to the endpoint's path, and checks each response. ``ut:graphData`` files are
turned into one TriG file of named graphs named by their ``rdfs:label``, for preloading.

Where the manifests are: ``ZKG_W3C_DIR`` if set (another copy of the same folders),
else the copy vendored in the repository. Absent: :func:`w3c_dir` raises, loudly.
"""

from __future__ import annotations

import http.client
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection

REPO = Path(__file__).resolve().parents[2]
#: The manifests and data as copied from the W3C suite, unchanged (their README: source, licence).
VENDORED = REPO / "tests" / "conformance" / "w3c" / "sparql11"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")

#: Media types that count as each expected result kind (the manifest names the kinds).
BOOLEAN_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
}
TABULAR_TYPES = {
    **BOOLEAN_TYPES,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
RDF_TYPES = {
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
}


def w3c_dir() -> Path:
    configured = os.environ.get("ZKG_W3C_DIR")
    folder = Path(configured) if configured else VENDORED
    if not (folder / "protocol" / "manifest.ttl").is_file():
        raise RuntimeError(
            f"the W3C test manifests are not at {folder} (expected protocol/manifest.ttl there): "
            f"set ZKG_W3C_DIR to a copy of them, or unset it to use {VENDORED}"
        )
    return folder


@dataclass
class Request:
    method: str
    path: str  # as in the manifest, starting with /sparql/
    headers: list[tuple[str, str]]
    body: bytes | None
    expected_status: set[str]  # status classes: "2xx", "3xx", "4xx"
    expected_format: str | None  # "boolean", "tabular", "RDF"
    expected_boolean: bool | None


@dataclass
class ProtocolTest:
    id: str  # the local name, e.g. query_post_form
    name: str
    requests: list[Request]
    graph_data: list[tuple[Path, str]] = field(default_factory=list)  # (file, graph name)

    @property
    def is_update(self) -> bool:
        """Update tests are named so (update_*, bad_update_*); they change the store."""
        return "update" in self.id


def _local(node) -> str:
    return str(node).rsplit("#", 1)[-1]


def load_manifest(path: Path) -> list[ProtocolTest]:
    graph = Graph().parse(path, format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        requests = [_request(graph, node) for node in Collection(graph, graph.value(action, HT.requests))]
        data = [
            (Path(str(graph.value(d, UT.graph)).removeprefix("file://")), str(graph.value(d, RDFS_LABEL)))
            for d in graph.objects(entry, UT.graphData)
        ]
        tests.append(ProtocolTest(_local(entry), str(graph.value(entry, MF.name)), requests, sorted(data)))
    return tests


def _request(graph: Graph, node) -> Request:
    headers = []
    header_list = graph.value(node, HT.headers)
    if header_list is not None:
        for header in Collection(graph, header_list):
            headers.append((str(graph.value(header, HT.fieldName)), str(graph.value(header, HT.fieldValue))))
    body = None
    content = graph.value(node, HT.body)
    if content is not None:
        encoding = str(graph.value(content, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(content, CNT.chars)).encode(encoding)
    response = graph.value(node, HT.resp)
    boolean = graph.value(response, MF.expectedBoolean)
    expected_format = graph.value(response, MF.expectedFormat)
    return Request(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)),
        headers=headers,
        body=body,
        expected_status={_local(s).removeprefix("StatusCode") for s in graph.objects(response, MF.expectedStatus)},
        expected_format=str(expected_format) if expected_format is not None else None,
        expected_boolean=boolean.toPython() if boolean is not None else None,
    )


def graph_data_trig(tests: list[ProtocolTest]) -> str:
    """One TriG document holding every test's graph data, each file in its named graph."""
    parts = []
    for file, label in sorted({item for test in tests for item in test.graph_data}):
        parts.append(f"<{label}> {{\n{file.read_text(encoding='utf-8')}}}\n")
    return "".join(parts)


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes


def rewrite(path: str, endpoint_path: str) -> str:
    """``/sparql/?query=…`` → ``{endpoint_path}?query=…``.

    >>> rewrite("/sparql/?query=ASK", "/sparql"), rewrite("/sparql/", "/x/sparql")
    ('/sparql?query=ASK', '/x/sparql')
    """
    if not path.startswith("/sparql/"):
        raise ValueError(f"a manifest path that does not start with /sparql/: {path}")
    return endpoint_path + path[len("/sparql/") :]


def send(endpoint: str, request: Request, extra_headers: dict[str, str] | None = None) -> Response:
    """The request, as the manifest describes it, to ``endpoint`` (http://host:port/path),
    with ``extra_headers`` (zkg's write token and source, for updates) added."""
    parts = urlsplit(endpoint)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(
            request.method,
            rewrite(request.path, parts.path),
            body=request.body,
            headers={**dict(request.headers), **(extra_headers or {})},
        )
        answer = connection.getresponse()
        body = answer.read()
        content_type = (answer.getheader("Content-Type") or "").split(";")[0].strip().lower()
        return Response(answer.status, content_type, body)
    finally:
        connection.close()


def check(request: Request, response: Response) -> list[str]:
    """What is wrong with ``response`` to ``request`` (nothing: an empty list)."""
    where = f"{request.method} {request.path}"
    status_class = f"{response.status // 100}xx"
    if status_class not in request.expected_status:
        return [
            f"{where}: status {response.status}, expected {' or '.join(sorted(request.expected_status))}: "
            f"{response.body[:300]!r}"
        ]
    kind = request.expected_format
    if kind in ("boolean", "tabular"):
        formats = BOOLEAN_TYPES if kind == "boolean" else TABULAR_TYPES
        if response.content_type not in formats:
            return [f"{where}: {kind} results expected, got Content-Type {response.content_type!r}"]
        try:
            parsed = ox.parse_query_results(response.body, format=formats[response.content_type])
            rows = None if isinstance(parsed, ox.QueryBoolean) else list(parsed)
        except SyntaxError as error:
            return [f"{where}: the {response.content_type} body does not parse: {error}"]
        if kind == "boolean" and rows is not None:
            return [f"{where}: a boolean result expected, got solutions"]
        if kind == "tabular" and rows is None:
            return [f"{where}: solutions expected, got a boolean"]
        if request.expected_boolean is not None and bool(parsed) != request.expected_boolean:
            return [f"{where}: expected {request.expected_boolean}, got {bool(parsed)}"]
    elif kind == "RDF":
        if response.content_type not in RDF_TYPES:
            return [f"{where}: RDF expected, got Content-Type {response.content_type!r}"]
        try:
            list(ox.parse(response.body, format=RDF_TYPES[response.content_type]))
        except SyntaxError as error:
            return [f"{where}: the {response.content_type} body does not parse: {error}"]
    return []


def run(test: ProtocolTest, endpoint: str, extra_headers: dict[str, str] | None = None) -> list[str]:
    """Send the test's requests in order; the problems found (none: it passes)."""
    problems = []
    for request in test.requests:
        problems += check(request, send(endpoint, request, extra_headers))
    return problems
