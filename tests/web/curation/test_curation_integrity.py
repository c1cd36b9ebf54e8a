"""What is validated is what is written, over HTTP (Flask's test client, a fresh in-memory store
per test): a SPARQL Update correcting a statement someone else has changed is refused (409) as
the form refuses it; what only zkg writes (the records of changesets and their agents, the
changesets' own graphs) is refused (403) on every write path; statements about blank nodes of
the store (the startup fund's amount, in the project's real data) are written on those nodes by
SPARQL Update and the Graph Store Protocol, and the revert button restores the dataset."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from tests.support.curation_testing import make_curation
from tests.support.zkg_testing import GRAPH_DIR, TEST_BASE
from zkg.rdf.serialize import serialize_dataset

NAME = "<https://schema.org/name>"
ALICE = f"<{TEST_BASE}id/alice>"
SOURCE_GRAPH = f"<{TEST_BASE}graph/example-source>"
METADATA = f"{TEST_BASE}graph/metadata"


def correct(cur, old: str, new: str, *, graph: str | None = SOURCE_GRAPH, **headers):
    """A correction of Alice's English name as a SPARQL client sends it."""

    def data(value):
        triple = f'{ALICE} {NAME} "{value}"@en'
        return f"{{ GRAPH {graph} {{ {triple} }} }}" if graph else f"{{ {triple} }}"

    return cur.update(f"DELETE DATA {data(old)} ; INSERT DATA {data(new)}", **headers)


def names(cur) -> list[str]:
    rows = cur.store.query(f'SELECT ?n WHERE {{ {ALICE} {NAME} ?n FILTER(LANG(?n) = "en") }}')
    return sorted(r["n"].value for r in rows)


# -- stale corrections ----------------------------------------------------------------------------------


def test_a_correction_of_a_value_someone_else_changed_is_409(cur):
    assert correct(cur, "Alice", "Alicia").status_code == 200  # the first curator's correction
    before = cur.store.dump(format="nquads")
    stale = correct(cur, "Alice", "Alice B.")  # the second one, made from the page as it was
    assert stale.status_code == 409
    text = stale.get_data(as_text=True)
    assert "nothing was written" in text and '"Alice"@en' in text
    assert cur.store.dump(format="nquads") == before and names(cur) == ["Alicia"]


@pytest.mark.parametrize(
    "text",
    [
        f'DELETE DATA {{ {ALICE} {NAME} "Alice"@en }} ; INSERT DATA {{ {ALICE} {NAME} "Alice B."@en }}',
        f'INSERT DATA {{ {ALICE} {NAME} "Alice B."@en }} ; DELETE DATA {{ {ALICE} {NAME} "Alice"@en }}',
        f'DELETE {{ {ALICE} {NAME} "Alice"@en }} INSERT {{ {ALICE} {NAME} "Alice B."@en }} WHERE {{}}',
        f'WITH {SOURCE_GRAPH} DELETE {{ {ALICE} {NAME} "Alice"@en }} INSERT {{ {ALICE} {NAME} "Alice B."@en }} '
        f"WHERE {{ {ALICE} a ?type }}",
        f'DELETE DATA {{ {ALICE} {NAME} "Alice"@en }} ; INSERT DATA {{ GRAPH {SOURCE_GRAPH} {{ {ALICE} {NAME} "Alicia"@en }} }}',
    ],
    ids=["no graph", "insert first", "template", "with", "same correction twice"],
)
def test_every_spelling_of_a_stale_correction_is_409(cur, text):
    assert correct(cur, "Alice", "Alicia").status_code == 200
    before = cur.store.dump(format="nquads")
    assert cur.update(text).status_code == 409
    assert cur.update(text, **{"ZKG-Dry-Run": "1"}).status_code == 409
    assert cur.store.dump(format="nquads") == before


def test_what_sparql_makes_a_no_op_stays_one(cur):
    # Deleting what is not there, alone, changes nothing (SPARQL 1.1 Update, 3.1.2); a
    # conditional correction whose WHERE finds nothing does nothing either.
    assert cur.update(f'DELETE DATA {{ {ALICE} {NAME} "Nobody"@en }}').status_code == 200
    conditional = cur.update(
        f'DELETE {{ ?s {NAME} "Nobody"@en }} INSERT {{ ?s {NAME} "Somebody"@en }} WHERE {{ ?s {NAME} "Nobody"@en }}'
    )
    assert conditional.status_code == 200 and "ZKG-Changeset" not in conditional.headers
    assert names(cur) == ["Alice"]


# -- what only zkg writes ------------------------------------------------------------------------------------


def test_agent_and_changeset_records_are_refused_on_every_path(cur):
    first = correct(cur, "Alice", "Alicia")
    changeset = first.headers["ZKG-Changeset"]
    agent = f"<{TEST_BASE}id/agent/alice>"
    before = cur.store.dump(format="nquads")
    refused = [
        cur.update(f'INSERT DATA {{ GRAPH <{METADATA}> {{ {agent} rdfs:label "Mallory"@en }} }}'),
        cur.update(
            f"DELETE WHERE {{ GRAPH <{METADATA}> {{ {agent} rdfs:label ?name }} }} ; "
            f'INSERT DATA {{ GRAPH <{METADATA}> {{ {agent} rdfs:label "Mallory"@en }} }}'
        ),
        cur.update(f'INSERT DATA {{ {agent} rdfs:label "Mallory"@en }}'),
        cur.update(f'INSERT DATA {{ GRAPH <{TEST_BASE}graph/changes/{changeset}> {{ {ALICE} {NAME} "Mallory"@en }} }}'),
        cur.update(f"COPY GRAPH {SOURCE_GRAPH} TO GRAPH <{TEST_BASE}graph/changes/{changeset}>"),
        cur.update(f"DROP GRAPH <{METADATA}>"),
        cur.client.post(
            "/graph-store",
            query_string={"graph": f"{TEST_BASE}graph/changes/{changeset}"},
            data=f'{ALICE} {NAME} "Mallory"@en .',
            headers={**cur.auth(), "Content-Type": "text/turtle"},
        ),
        cur.client.put(
            "/graph-store",
            query_string={"graph": METADATA},
            data=f"{agent} a <http://www.w3.org/ns/prov#Agent> .",
            headers={**cur.auth(), "Content-Type": "text/turtle"},
        ),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert all("zkg only" in r.get_data(as_text=True) for r in refused)
    assert cur.store.dump(format="nquads") == before
    assert cur.update("CLEAR ALL").status_code == 200  # a clear of everything leaves the history
    page = cur.client.get("/changes").get_data(as_text=True)
    assert changeset in page and "Mallory" not in page


# -- blank nodes of the store, on the project's real data ------------------------------------------------------

ARTICLE = f"{TEST_BASE}graph/china-daily-2016-03-05-p7"
FUND = f"<{TEST_BASE}id/zhongguancun-stanford-startup-fund>"


@pytest.fixture
def real(tmp_path):
    return make_curation(tmp_path, project=GRAPH_DIR.parent)


def data_dump(store) -> tuple[bytes, dict]:
    """The dataset but the history (canonical: isomorphic datasets dump alike), and its
    quads per graph."""

    def history(q):
        return (
            isinstance(q.graph_name, ox.NamedNode)
            and q.graph_name.value == METADATA
            and isinstance(q.subject, ox.NamedNode)
            and q.subject.value.startswith((TEST_BASE + "graph/changes/", TEST_BASE + "id/agent/"))
        )

    kept = [q for q in store.quads() if not history(q)]
    counts: dict = {}
    for quad in kept:
        counts[str(quad.graph_name)] = counts.get(str(quad.graph_name), 0) + 1
    return serialize_dataset(kept, format="nquads"), counts


def revert_by_form(cur, changeset: str):
    form = cur.client.get("/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    cur.client.post("/sign-in", data={"token": cur.write_token, "csrf_token": csrf})
    # The confirmation page (signed in: a new CSRF token), then its form with a reason.
    page = cur.client.get(f"/changes/{changeset}/revert").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = cur.client.post(f"/changes/{changeset}/revert", data={"csrf_token": csrf, "next": "/", "reason": "undo"})
    assert response.status_code == 303, response.get_data(as_text=True)


def amount_value(cur) -> list[str]:
    rows = cur.store.query(
        f"SELECT ?v WHERE {{ GRAPH <{ARTICLE}> {{ {FUND} <https://schema.org/amount> ?a . "
        f"?a <https://schema.org/value> ?v }} }}"
    )
    return [r["v"].value for r in rows]


def test_an_update_of_the_funds_amount_is_written_on_the_amount(real):
    before = data_dump(real.store)
    response = real.update(
        f"DELETE {{ GRAPH ?g {{ ?a schema:value ?v }} }} INSERT {{ GRAPH ?g {{ ?a schema:value 912500001 }} }} "
        f"WHERE {{ GRAPH ?g {{ {FUND} schema:amount ?a . ?a schema:value ?v }} }}"
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert amount_value(real) == ["912500001"]
    revert_by_form(real, response.headers["ZKG-Changeset"])
    assert data_dump(real.store) == before and amount_value(real) == ["912500000"]


def test_graph_store_delete_and_put_of_a_graph_with_blank_nodes_revert_exactly(real):
    before = data_dump(real.store)
    got = real.client.get("/graph-store", query_string={"graph": ARTICLE}, headers={"Accept": "text/turtle"})
    changed = got.get_data().replace(b"912500000", b"912500002")
    put = real.client.put(
        "/graph-store",
        query_string={"graph": ARTICLE},
        data=changed,
        headers={**real.auth(), "Content-Type": "text/turtle"},
    )
    assert put.status_code == 204 and amount_value(real) == ["912500002"]
    revert_by_form(real, put.headers["ZKG-Changeset"])
    assert data_dump(real.store) == before
    deleted = real.client.delete("/graph-store", query_string={"graph": ARTICLE}, headers=real.auth())
    assert deleted.status_code == 204 and amount_value(real) == []
    revert_by_form(real, deleted.headers["ZKG-Changeset"])
    assert data_dump(real.store) == before


LOOKALIKES = f"{TEST_BASE}graph/lookalikes"


@pytest.mark.parametrize("method", ["DELETE", "PUT"])
def test_graph_store_removes_a_blank_node_an_iri_looks_like(cur, method):
    # The blank node's only statement is also said of an IRI (was: 400 "match 2 ways").
    cur.store.update(
        f"INSERT DATA {{ GRAPH <{LOOKALIKES}> {{ [ <https://schema.org/value> 9 ] . "
        f"{ALICE} <https://schema.org/value> 9 }} }}"
    )  # setting the scene, around the write path
    before = data_dump(cur.store)
    body = f"[ <https://schema.org/value> 10 ] . {ALICE} <https://schema.org/value> 9 ." if method == "PUT" else None
    response = cur.client.open(
        "/graph-store",
        method=method,
        query_string={"graph": LOOKALIKES},
        data=body,
        headers={**cur.auth(), "Content-Type": "text/turtle"},
    )
    assert response.status_code == 204, response.get_data(as_text=True)
    left = cur.store.query(f"SELECT ?s ?v WHERE {{ GRAPH <{LOOKALIKES}> {{ ?s <https://schema.org/value> ?v }} }}")
    expected = {(f"<{TEST_BASE}id/alice>", "9"), ("_", "10")} if method == "PUT" else set()
    assert {("_" if isinstance(r["s"], ox.BlankNode) else str(r["s"]), r["v"].value) for r in left} == expected
    revert_by_form(cur, response.headers["ZKG-Changeset"])
    assert data_dump(cur.store) == before


def test_two_tokens_are_two_authors(cur):
    # Names that one slug would make one agent ("ann.lee" and "Ann-Lee" both ann-lee): each
    # token's changes are shown under its own name.
    from zkg.curation import tokens

    data = cur.app.config["ZKG_SETTINGS"].data
    ids = {}
    for name, value in (("ann.lee", "Alicia"), ("Ann-Lee", "Alice B.")):
        token = tokens.create(data, name, scope=tokens.WRITE)
        response = cur.update(f'INSERT DATA {{ {ALICE} {NAME} "{value}"@en }}', token=token)
        assert response.status_code == 200, response.get_data(as_text=True)
        ids[name] = response.headers["ZKG-Changeset"]
    for name, changeset in ids.items():
        page = cur.client.get(f"/changes/{changeset}").get_data(as_text=True)
        others = [other for other in ids if other != name]
        assert name in page and not any(other in page for other in others), name
