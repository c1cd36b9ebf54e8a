"""The home page's summary (zkg.web.linked_data.home.summarise) answers as the per-statement
FILTER queries it replaced (issue 18: HAVING tests each IRI once per group, half the time at
1M triples), on the project's data with awkward statements added: blank-node subjects and
objects, literals, IRIs outside ``id/``, a statement in two graphs, an entity only linked to."""

from __future__ import annotations

import random

from zkg.web.linked_data.home import ENTRY_POINTS, summarise


def _old_entities(store) -> int:
    entities = store.base_iri + "id/"
    rows = store.query(
        f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{entities}")) }}'
    )
    return int(next(iter(rows))["n"].value)


def _old_linked(store) -> list[str]:
    entities = store.base_iri + "id/"
    return [
        row["e"].value
        for row in store.query(
            f'SELECT ?e (COUNT(*) AS ?n) WHERE {{ ?s ?p ?e FILTER(isIRI(?e) && STRSTARTS(STR(?e), "{entities}")) }} '
            f"GROUP BY ?e ORDER BY DESC(?n) ?e LIMIT {ENTRY_POINTS * 2}"
        )
    ]


def _about(store) -> list[str]:  # unchanged: the entities the sources are about
    return [
        row["e"].value
        for row in store.query(
            "SELECT DISTINCT ?e WHERE { ?graph prov:wasDerivedFrom|dcterms:source ?doc . ?doc schema:about ?e "
            "FILTER(isIRI(?e)) FILTER EXISTS { GRAPH ?graph { ?s ?p ?o } } } ORDER BY ?e"
        )
    ]


def test_the_summary_counts_and_links_as_the_old_queries(store):
    base = store.base_iri
    chance = random.Random(18)
    statements = []
    for k in range(60):
        subject = chance.choice([f"<{base}id/extra-{k}>", f"_:b{k}", f"<http://elsewhere.example/{k}>"])
        target = chance.choice(
            [f"<{base}id/z-park>", f"<{base}id/only-linked-{k % 7}>", f"_:o{k}", '"a literal"', f"<{base}def/x>"]
        )
        statements.append(f"GRAPH <{base}graph/extra-{k % 3}> {{ {subject} <{base}def/p{k % 4}> {target} }}")
    statements.append(f"GRAPH <{base}graph/extra-0> {{ <{base}id/twice> <{base}def/p> <{base}id/z-park> }}")
    statements.append(f"GRAPH <{base}graph/extra-1> {{ <{base}id/twice> <{base}def/p> <{base}id/z-park> }}")
    store.update("INSERT DATA { " + " ".join(statements) + " }")
    summary = summarise(store)
    assert summary["entities"] == _old_entities(store) > 0
    expected = list(dict.fromkeys(_about(store) + _old_linked(store)))[:ENTRY_POINTS]
    assert summary["entry_points"] == expected
    assert f"{store.base_iri}id/z-park" in expected  # linked to by the added statements too
