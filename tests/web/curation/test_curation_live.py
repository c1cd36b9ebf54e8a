"""What is validated is what is written, on a real ``zkg serve`` (its Oxigraph engine behind it,
the project's real data, a write token): the startup fund's amount changed by SPARQL Update
stays on its own node; the China Daily graph deleted by the Graph Store Protocol; each change
reverted with the revert button, after which the whole dataset (its dump, the history left out)
is isomorphic to what it was, with the same number of quads in each graph. A stale correction
is a 409 and a forged agent record a 403, nothing written."""

from __future__ import annotations

import gzip
import re

import pyoxigraph as ox
import pytest
import requests

from tests.support.live_server import LiveServer, zkg_load
from tests.support.zkg_testing import TEST_BASE, shipped_changesets
from zkg.rdf.serialize import serialize_dataset

pytestmark = pytest.mark.slow

SOURCE = "https://example.org/second-article"
ARTICLE = f"{TEST_BASE}graph/china-daily-2016-03-05-p7"
FUND = f"<{TEST_BASE}id/zhongguancun-stanford-startup-fund>"
METADATA = f"{TEST_BASE}graph/metadata"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from zkg.curation import tokens

    data = tmp_path_factory.mktemp("curation-live") / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE)
    token = tokens.create(data, "li.curator", scope=tokens.WRITE)
    live = LiveServer(data, base_iri=TEST_BASE, options=("--threads", "4"))
    live.headers = {"Authorization": f"Bearer {token}", "ZKG-Source": SOURCE}
    live.token = token
    yield live
    live.stop()


def update(server, text: str) -> requests.Response:
    return requests.post(
        server.sparql,
        data=text.encode("utf-8"),
        timeout=60,
        headers={**server.headers, "Content-Type": "application/sparql-update"},
    )


def select(server, text: str) -> list[dict]:
    answer = requests.post(
        server.sparql, data={"query": text}, headers={"Accept": "application/sparql-results+json"}, timeout=60
    )
    answer.raise_for_status()
    return answer.json()["results"]["bindings"]


def dataset(server) -> tuple[bytes, dict]:
    """The whole dataset from its dump, the history left out: canonical N-Quads (isomorphic
    datasets give the same bytes) and the quads per graph."""
    dump = requests.get(server.url + "dumps/zkg.nq.gz", timeout=60)
    dump.raise_for_status()
    quads = [
        q
        for q in ox.parse(gzip.decompress(dump.content), format=ox.RdfFormat.N_QUADS)
        if not (
            isinstance(q.graph_name, ox.NamedNode)
            and q.graph_name.value == METADATA
            and isinstance(q.subject, ox.NamedNode)
            and q.subject.value.startswith((TEST_BASE + "graph/changes/", TEST_BASE + "id/agent/"))
        )
    ]
    counts: dict = {}
    for quad in quads:
        counts[str(quad.graph_name)] = counts.get(str(quad.graph_name), 0) + 1
    return serialize_dataset(quads, format="nquads"), counts


def revert(server, changeset: str) -> None:
    """The revert, as a browser signed in with the token confirms it (with a reason)."""
    browser = requests.Session()
    form = browser.get(server.url + "sign-in", timeout=30).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    browser.post(server.url + "sign-in", data={"token": server.token, "csrf_token": csrf}, timeout=30)
    page = browser.get(server.url + f"changes/{changeset}/revert", timeout=60).text  # the confirmation
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = browser.post(
        server.url + f"changes/{changeset}/revert",
        data={"csrf_token": csrf, "next": "/", "reason": "back as it was"},
        allow_redirects=False,
        timeout=60,
    )
    assert done.status_code == 303, done.text


def amount(server) -> list[tuple[bool, str]]:
    rows = select(
        server,
        f"SELECT ?a ?v WHERE {{ GRAPH <{ARTICLE}> {{ {FUND} <https://schema.org/amount> ?a . "
        "OPTIONAL { ?a <https://schema.org/value> ?v } } }",
    )
    return [(r["a"]["type"] == "bnode", r.get("v", {}).get("value")) for r in rows]


def test_the_funds_amount_changed_and_reverted_on_a_live_server(server):
    before = dataset(server)
    changed = update(
        server,
        f"DELETE {{ GRAPH ?g {{ ?a schema:value ?v }} }} "
        f"INSERT {{ GRAPH ?g {{ ?a schema:value 912500001 }} }} "
        f"WHERE {{ GRAPH ?g {{ {FUND} schema:amount ?a . ?a schema:value ?v }} }}",
    )
    assert changed.status_code == 200, changed.text
    assert amount(server) == [(True, "912500001")]
    orphans = select(
        server,
        f"SELECT ?s WHERE {{ GRAPH <{ARTICLE}> {{ ?s <https://schema.org/value> ?v }} "
        f"FILTER NOT EXISTS {{ GRAPH <{ARTICLE}> {{ ?x ?p ?s }} }} }}",
    )
    assert orphans == []  # no blank node holding the value on its own
    revert(server, changed.headers["ZKG-Changeset"])
    assert dataset(server) == before


def test_the_article_graph_deleted_and_reverted_on_a_live_server(server):
    before = dataset(server)
    # The later sources' graphs point to the article's entities (Z-Park, its places): the shapes
    # refuse the article's deletion while they are there, so they go first (each conforms alone).
    later = [g for c in shipped_changesets() for g in c.changed_graphs() if g != f"{TEST_BASE}graph/metadata"]
    assert (
        requests.delete(
            server.url + "graph-store", params={"graph": ARTICLE}, headers=server.headers, timeout=60
        ).status_code
        == 422
    )
    changesets = []
    for graph in [*later, ARTICLE]:
        deleted = requests.delete(
            server.url + "graph-store", params={"graph": graph}, headers=server.headers, timeout=60
        )
        assert deleted.status_code == 204, deleted.text
        changesets.append(deleted.headers["ZKG-Changeset"])
    assert amount(server) == []
    for changeset in reversed(changesets):
        revert(server, changeset)
    assert dataset(server) == before and amount(server) == [(True, "912500000")]


def test_stale_corrections_and_forged_records_are_refused_on_a_live_server(server):
    name = f"<{TEST_BASE}id/luo-wei> <https://schema.org/name>"
    fixed = update(server, f'DELETE DATA {{ {name} "Luo Wei"@en }} ; INSERT DATA {{ {name} "LUO Wei"@en }}')
    assert fixed.status_code == 200, fixed.text
    before = dataset(server)
    assert (
        update(server, f'DELETE DATA {{ {name} "Luo Wei"@en }} ; INSERT DATA {{ {name} "Wei Luo"@en }}').status_code
        == 409
    )
    forged = update(
        server,
        f"INSERT DATA {{ GRAPH <{METADATA}> {{ <{TEST_BASE}id/agent/li-curator> "
        f'<http://www.w3.org/2000/01/rdf-schema#label> "Mallory"@en }} }}',
    )
    assert forged.status_code == 403 and "zkg only" in forged.text
    assert dataset(server) == before
