"""zkg.sparql.protocol without a web framework: an in-memory store, a text, an Answer."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from zkg.base.errors import QueryError, QueryRefused, StoreError
from zkg.rdf import negotiation, sparql_lexer
from zkg.rdf.negotiation import NotAcceptable
from zkg.sparql import guard, protocol
from zkg.sparql.passthrough import AnswerCache
from zkg.store.facade import Capabilities
from zkg.store.http_exchange import EngineUnavailable, QueryTimeout
from zkg.store.local import Store
from zkg.store.version import dataset_version

BASE = "http://zkg.test/"
LIMITS = "http://zkg.test/sparql/limits#row-limit"
NAMES = "SELECT ?name { ?s schema:name ?name } ORDER BY ?name"


@pytest.fixture
def store():
    store = Store.open(base_iri=BASE)
    store.update(
        'INSERT DATA { GRAPH graph:a { id:a schema:name "A" . id:b schema:name "B" } '
        'GRAPH graph:c { id:c schema:name "C" } }'
    )
    yield store
    store.close()


def answer(store, text, **options):
    return protocol.answer(store, text, **{"row_limit": 100, "limits_url": LIMITS, **options})


def names(found: protocol.Answer) -> list[str]:
    return [row["name"]["value"] for row in json.loads(found.body)["results"]["bindings"]]


def test_a_select_in_the_format_asked_for(store):
    found = answer(store, NAMES, accept="text/csv")
    assert (found.status, found.content_type, found.body) == (
        200,
        "text/csv; charset=utf-8",
        b"name\r\nA\r\nB\r\nC\r\n",
    )
    assert found.vary == ("Accept",) and not found.truncated and found.shareable is None and not found.editor
    assert names(answer(store, NAMES, formats=["json"], accept="text/csv")) == ["A", "B", "C"]  # format= wins


def test_each_form_has_its_formats(store):
    ask = answer(store, "ASK { id:a ?p ?o }", accept="application/sparql-results+xml")
    assert ask.content_type.startswith("application/sparql-results+xml") and b"<boolean>true</boolean>" in ask.body
    graph = answer(store, "CONSTRUCT WHERE { id:a ?p ?o }", accept="application/n-triples")
    assert graph.body == b'<http://zkg.test/id/a> <https://schema.org/name> "A" .\n'
    with pytest.raises(NotAcceptable):
        answer(store, "ASK {}", accept="text/turtle")


def test_a_browser_gets_the_editor_for_a_query_and_for_a_refused_one(store):
    assert answer(store, NAMES, accept="text/html,*/*;q=0.8") is protocol.EDITOR
    assert answer(store, "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", accept="text/html") is protocol.EDITOR


def test_a_refusal_is_raised_with_its_position(store):
    with pytest.raises(QueryRefused, match="SERVICE at line 2, column 3"):
        answer(store, "SELECT *\n{ SERVICE <http://x/> { ?s ?p ?o } }", accept="application/json")
    with pytest.raises(QueryRefused, match="graph:nowhere|nowhere"):
        answer(store, "SELECT * FROM graph:nowhere { ?s ?p ?o }")
    with pytest.raises(QueryError, match="the query is empty"):
        answer(store, "  \n")


def test_the_dataset_from_the_request(store):
    assert names(answer(store, NAMES)) == ["A", "B", "C"]  # the union of the graphs
    assert names(answer(store, NAMES, default_graphs=[BASE + "graph/c"])) == ["C"]
    assert names(
        answer(
            store, "SELECT ?name { GRAPH ?g { ?s schema:name ?name } } ORDER BY ?name", named_graphs=[BASE + "graph/a"]
        )
    ) == ["A", "B"]
    assert names(answer(store, "SELECT ?name FROM graph:a { ?s schema:name ?name } ORDER BY ?name")) == ["A", "B"]


def test_a_result_past_the_row_limit_is_cut_and_says_so(store):
    found = answer(store, NAMES, row_limit=2, accept="application/sparql-results+json")
    document = json.loads(found.body)
    assert found.truncated and found.truncated_at == 2
    assert len(document["results"]["bindings"]) == 2
    assert document["head"]["link"] == [LIMITS] and document["truncated"]["limit"] == 2


def test_a_query_is_read_once(store, monkeypatch):
    runs = []
    original = sparql_lexer.Lexer.run

    def counted(self):
        runs.append(len(self.text))
        return original(self)

    monkeypatch.setattr(sparql_lexer.Lexer, "run", counted)
    text = NAMES + " #" + "x" * 20_000
    answer(store, text, default_graphs=[BASE + "graph/a"])
    answer(store, text)
    assert runs == [len(text), len(text)]


def test_an_engine_error_is_located_in_the_users_text(store, monkeypatch):
    text = "PREFIX ex: <http://example.org/>\nSELECT * { ?s ex:p ?o }"
    reading = guard.check_query(text, base_iri=BASE, prefixes=store.prefixes)
    message = "SPARQL syntax error: error at 2:25: something"  # a column of the engine's text

    def failing(*args, **kwargs):
        raise QueryError(message)

    monkeypatch.setattr(store, "query", failing)
    with pytest.raises(QueryError) as raised:
        answer(store, text)
    assert raised.value.message == reading.locate(message) != message


def test_zkgs_own_text_runs_as_written_in_the_format_chosen(store):
    text = "SELECT ?name FROM <http://zkg.test/graph/nowhere> { ?s schema:name ?name }"
    with pytest.raises(QueryRefused):
        answer(store, text)  # a client's text: the guard refuses a graph the store lacks
    found = answer(store, text, own_text=True, chosen=negotiation.SPARQL_JSON)
    assert found.status == 200 and names(found) == []


class EngineLike(Store):
    """An in-process store that passes its own SPARQL JSON on, as zkg's supervised engine does."""

    capabilities = Capabilities(in_process=True, engine_bytes=True, supervised_engine=True)
    timeout = 30.0
    engine_row_cap = None  # (no cap of its own, as Oxigraph)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.raw_queries = 0

    def query_raw(self, sparql, accept, *, max_bytes=8 * 2**20, **dataset):
        self.raw_queries += 1
        result = self.query(sparql, **dataset)
        body = result.serialize(format=ox.QueryResultsFormat.JSON)
        return "application/sparql-results+json", body, None


def test_checked_engine_bytes_are_passed_on_and_kept_per_version():
    store = EngineLike(ox.Store(), base_iri=BASE, data_dir=None)
    store.update('INSERT DATA { GRAPH graph:a { id:a schema:name "A" } }')
    cache = AnswerCache()
    first = answer(store, NAMES, accept="application/sparql-results+json", cache=cache)
    version = dataset_version(store).tag
    assert names(first) == ["A"] and first.shareable == version and store.raw_queries == 1
    again = answer(store, NAMES, accept="application/sparql-results+json", cache=cache)
    assert again.body == first.body and again.shareable == version and store.raw_queries == 1  # from the cache
    csv = answer(store, NAMES, accept="text/csv", cache=cache)  # not a format passed on
    assert csv.body == b"name\r\nA\r\n" and csv.shareable is None and store.raw_queries == 1
    store.update('INSERT DATA { GRAPH graph:a { id:b schema:name "B" } }')  # a new version: asked again
    assert names(answer(store, NAMES, accept="application/sparql-results+json", cache=cache)) == ["A", "B"]
    assert store.raw_queries == 2


def test_without_the_capability_the_cache_is_not_used(store):
    cache = AnswerCache()
    found = answer(store, NAMES, accept="application/sparql-results+json", cache=cache)
    assert found.shareable is None and len(cache) == 0


@pytest.mark.parametrize(
    "error, status, retry_after, body",
    [
        (QueryError("bad"), 400, None, b"bad\n"),
        (NotAcceptable(negotiation.RESULTS_FORMATS, "Accept: image/png"), 406, None, None),
        (QueryTimeout(30), 503, 1, None),
        (EngineUnavailable("down"), 503, 1, b"down\n"),
        (StoreError("full"), 503, None, b"the store cannot answer: full\n"),
    ],
)
def test_each_failure_has_its_plain_text_answer(error, status, retry_after, body):
    found = protocol.failure(error)
    assert (found.status, found.retry_after, found.content_type) == (status, retry_after, "text/plain; charset=utf-8")
    assert found.body == (body or (error.message + "\n").encode())
    assert isinstance(error, protocol.FAILURES)


def test_collect_gives_rows_triples_or_a_boolean(store):
    rows = protocol.collect(store, NAMES, 2)
    assert (rows.kind, rows.variables, rows.truncated) == (protocol.SOLUTIONS, ["name"], True)
    assert [r["name"].value for r in rows.items] == ["A", "B"]
    graph = protocol.collect(store, "CONSTRUCT WHERE { id:a ?p ?o }", 10)
    assert graph.kind == protocol.GRAPH and len(graph.items) == 1 and not graph.truncated
    assert protocol.collect(store, "ASK { id:z ?p ?o }", 10) == protocol.Collected(protocol.BOOLEAN, [], False, False)
