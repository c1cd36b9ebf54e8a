"""The reconciliation service (W3C Entity Reconciliation API 0.2): matching, and every
endpoint's requests and responses checked against the specification's own JSON schemas."""

from __future__ import annotations

import json

import pytest

from tests.support.reconciliation_schemas import assert_valid, errors
from tests.support.zkg_testing import TEST_BASE
from zkg.power import entity_index, reconcile_query
from zkg.power import reconcile as core
from zkg.power.completion import ShapeCatalogue


@pytest.fixture(scope="module")
def indexes(real_store):
    shapes = ShapeCatalogue.from_store(real_store)
    return core.Catalogue.from_store(real_store), core.Vocabulary.from_store(real_store, shapes)


def run(indexes, store, queries: dict, languages=("en",)) -> dict:
    assert_valid("reconciliation-query-batch", queries)
    catalogue, vocabulary = indexes
    result = core.reconcile_batch(queries, catalogue, vocabulary, store, list(languages))
    assert_valid("reconciliation-result-batch", result)
    return result


def first(result: dict, key: str = "q0") -> dict:
    candidates = result[key]["result"]
    assert candidates, f"no candidate for {key}"
    return candidates[0]


# -- matching ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Zhongguancun Science Park", "z-park"),
        ("zhongguancun science park", "z-park"),
        ("Zhongguancun Sceince Park", "z-park"),  # two letters swapped
        ("Zhongguancun Sciense Park", "z-park"),
        ("Z Park", "z-park"),
        ("Sinovac Biotec", "sinovac-biotech"),
        ("Sinovac", "sinovac-biotech"),
        ("Microsfot", "microsoft"),
        ("Zhongguancun Development Grp", "zhongguancun-development-group"),
        ("中关村科技园区", "z-park"),
        ("中关村发展集团", "zhongguancun-development-group"),
        ("中关村科技园区管理委员会", "z-park-administrative-committee"),
        ("张首晟", "zhang-shousheng"),
        ("Shoucheng Zhang", "zhang-shousheng"),  # another spelling (reference graph)
        ("Shousheng Zhang", "zhang-shousheng"),  # family name last
        ("Zhāng Shǒushèng", "zhang-shousheng"),  # pinyin with tones
        ("Stanford Univ.", "stanford-university"),
        ("International Association of Science Parks", "iasp"),
    ],
)
def test_the_right_entity_comes_first(indexes, real_store, name, expected):
    top = first(run(indexes, real_store, {"q0": {"query": name}}))
    assert top["id"] == expected, f"{name!r} -> {top}"


@pytest.mark.parametrize(
    "name", ["Zhongguancun Science Park", "中关村科技园区", "张首晟", "Sinovac Biotec", "Zhongguancun Sceince Park"]
)
def test_clear_matches_are_flagged(indexes, real_store, name):
    result = run(indexes, real_store, {"q0": {"query": name}})
    top = first(result)
    assert top["match"] is True and top["score"] >= core.MATCH_SCORE
    assert all(c["match"] is False for c in result["q0"]["result"][1:])


@pytest.mark.parametrize("name", ["Zhongguancun", "Sinovac", "Stanford", "Microsfot"])
def test_partial_or_doubtful_names_are_not_flagged(indexes, real_store, name):
    # "Zhongguancun" is Z-Park's other name, but it also starts many other names: a candidate,
    # not a sure match, unless far ahead. Partial names and misspelt short names stay candidates.
    top = first(run(indexes, real_store, {"q0": {"query": name}}))
    if name == "Zhongguancun":
        assert top["id"] == "z-park"
    else:
        assert top["match"] is False


def test_candidates_are_ranked_and_limited(indexes, real_store):
    result = run(indexes, real_store, {"q0": {"query": "Zhongguancun", "limit": 3}})
    scores = [c["score"] for c in result["q0"]["result"]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)


def test_a_candidate_has_name_type_description_and_features(indexes, real_store):
    top = first(run(indexes, real_store, {"q0": {"query": "Sinovac Biotech"}}))
    assert top["name"] == "Sinovac Biotech"
    assert {"id": "schema:Corporation", "name": "Corporation"} in top["type"]
    assert {f["id"] for f in top["features"]} >= {"name"}


def test_an_identifier_as_query_finds_its_entity(indexes, real_store):
    for given in ("z-park", "id:z-park", TEST_BASE + "id/z-park"):
        top = first(run(indexes, real_store, {"q0": {"query": given}}))
        assert top["id"] == "z-park" and top["score"] == 100


def test_type_constraints_filter_or_weigh(indexes, real_store):
    # Strict (any, the default): only organisations; schema:Organization takes in its
    # sub-classes (a corporation, a government body).
    strict = run(indexes, real_store, {"q0": {"query": "Zhongguancun", "type": "schema:Organization", "limit": 20}})
    catalogue, vocabulary = indexes
    for candidate in strict["q0"]["result"]:
        iri = catalogue.resolve(candidate["id"])
        assert vocabulary.conforms(catalogue.types[iri], [entity_index.SCHEMA + "Organization"], "any"), candidate
    ids = [c["id"] for c in strict["q0"]["result"]]
    assert "zhongguancun-development-group" in ids and "z-park-area" not in ids
    # A person's name asked as an organisation: nothing of the wrong type…
    assert (
        run(indexes, real_store, {"q0": {"query": "Zhang Shousheng", "type": "schema:Organization"}})["q0"]["result"][
            0
        ]["id"]
        != "zhang-shousheng"
    )
    # …unless "should", which lowers the score instead and never flags a match.
    soft = first(
        run(
            indexes,
            real_store,
            {"q0": {"query": "Zhang Shousheng", "type": "schema:Organization", "type_strict": "should"}},
        )
    )
    assert soft["id"] == "zhang-shousheng" and soft["match"] is False and soft["score"] < 90
    assert {"id": "type_match", "value": False} in soft["features"]
    # all: every type must hold.
    both = run(
        indexes,
        real_store,
        {
            "q0": {
                "query": "Sinovac Biotech",
                "type_strict": "all",
                "type": ["schema:Corporation", "org:FormalOrganization"],
            }
        },
    )
    assert first(both)["id"] == "sinovac-biotech"
    assert (
        run(
            indexes,
            real_store,
            {"q0": {"query": "Sinovac Biotech", "type_strict": "all", "type": ["schema:Corporation", "schema:Person"]}},
        )["q0"]["result"]
        == []
    )


def test_property_constraints(indexes, real_store):
    # Two organisations named like "Zhongguancun …": the one located in Silicon Valley.
    result = run(
        indexes,
        real_store,
        {
            "q0": {
                "query": "Zhongguancun innovation center",
                "properties": [{"pid": "schema:location", "v": "Silicon Valley"}],
            }
        },
    )
    top = first(result)
    assert top["id"] == "z-park-innovation-center-silicon-valley"
    assert {"id": "property_match", "value": 1.0} in top["features"]
    # By entity identifier, as OpenRefine sends a reconciled column.
    by_id = first(
        run(
            indexes,
            real_store,
            {
                "q0": {
                    "query": "Zhongguancun",
                    "properties": [{"pid": "zkg:owns", "v": {"id": "zhongguancun-development-group", "name": "ZDG"}}],
                }
            },
        )
    )
    assert by_id["id"] == "z-park"
    # Numbers and literals; properties without a query.
    founded = first(run(indexes, real_store, {"q0": {"properties": [{"pid": "schema:foundingDate", "v": 1988}]}}))
    assert founded["id"] == "z-park"
    # A value that does not hold lowers the score and blocks the match flag.
    wrong = first(
        run(
            indexes,
            real_store,
            {"q0": {"query": "Zhongguancun Science Park", "properties": [{"pid": "schema:foundingDate", "v": "1999"}]}},
        )
    )
    assert wrong["id"] == "z-park" and wrong["match"] is False


def test_names_follow_the_readers_language(indexes, real_store):
    top = first(run(indexes, real_store, {"q0": {"query": "Zhongguancun Science Park"}}, languages=["zh"]))
    assert top["name"] == "中关村科技园区"
    top = first(run(indexes, real_store, {"q0": {"query": "中关村科技园区"}}, languages=["en"]))
    assert top["name"] == "Zhongguancun Science Park"


@pytest.mark.parametrize(
    "batch, message",
    [
        ([], "must be a JSON object"),
        ({"q0": {"type": "schema:Person"}}, "needs 'query' or 'properties'"),
        ({"q0": {"query": "x", "type": "nope:Thing"}}, "unknown type identifier"),
        ({"q0": {"query": "x", "limit": 0}}, "positive integer"),
        ({"q0": {"query": "x", "type_strict": "maybe"}}, "type_strict"),
        ({"q0": {"query": "x", "properties": [{"pid": "schema:name"}]}}, "'pid'"),
    ],
)
def test_bad_queries_are_refused(indexes, real_store, batch, message):
    catalogue, vocabulary = indexes
    with pytest.raises(core.ReconcileError, match=message):
        core.reconcile_batch(batch, catalogue, vocabulary, real_store, ["en"])


def test_the_schemas_bite():
    assert errors("reconciliation-result-batch", {"q0": {"result": [{"id": "x", "score": 1}]}})  # no name
    assert errors("manifest", {"versions": ["0.1"], "name": "x", "identifierSpace": "i", "schemaSpace": "s"})
    assert errors("data-extension-response", {"meta": [], "rows": {"a": {"p": [{"str": 1}]}}})


def test_similarity_measures():
    # The one scoring of the site search and reconciliation (issue 15): zkg.linked_data.matching.
    from zkg.linked_data.matching import Name, Query, osa_distance, score, words

    assert score(Query.of("z park"), Name.of("z-park")).score == 0.98
    assert score(Query.of("abc"), Name.of("xyz")) is None  # nothing in common: no score (was < 0.2)
    assert osa_distance("kitten", "sitting") == 3
    assert set(words("中关村")) >= {"中关", "关村"}


# -- over HTTP ----------------------------------------------------------------------------------


def test_manifest(client):
    response = client.get("/reconcile")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    manifest = response.get_json()
    assert_valid("manifest", manifest)
    assert "0.2" in manifest["versions"]
    assert manifest["identifierSpace"] == TEST_BASE + "id/"
    assert manifest["view"]["url"] == TEST_BASE + "id/{{id}}"
    assert {t["id"] for t in manifest["defaultTypes"]} >= {"schema:Organization", "schema:Person"}
    assert manifest["preview"]["url"] == "http://localhost/reconcile/preview?id={{id}}"
    assert set(manifest["suggest"]) == {"entity", "type", "property"}
    assert manifest["extend"]["propose_properties"] == {
        "service_url": "http://localhost/reconcile",
        "service_path": "/properties",
    }


def test_manifest_keeps_the_language(client):
    manifest = client.get("/reconcile?lang=zh").get_json()
    assert manifest["preview"]["url"] == "http://localhost/reconcile/preview?lang=zh&id={{id}}"
    assert manifest["suggest"]["entity"]["service_path"] == "/suggest/entity?lang=zh"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_batch_by_get_and_post(client, method):
    queries = {"q0": {"query": "Sinovac Biotec"}, "q1": {"query": "张首晟", "type": "schema:Person"}}
    if method == "GET":
        response = client.get("/reconcile", query_string={"queries": json.dumps(queries)})
    else:
        response = client.post("/reconcile", data={"queries": json.dumps(queries)})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    result = response.get_json()
    assert_valid("reconciliation-result-batch", result)
    assert first(result, "q0")["id"] == "sinovac-biotech"
    assert first(result, "q1")["id"] == "zhang-shousheng"


def test_batch_as_a_json_body_and_single_queries(client):
    body = client.post("/reconcile", json={"queries": {"a": {"query": "Microsoft"}}}).get_json()
    assert first(body, "a")["id"] == "microsoft"
    bare = client.post("/reconcile", json={"a": {"query": "Microsoft"}}).get_json()
    assert first(bare, "a")["id"] == "microsoft"
    single = client.get("/reconcile", query_string={"query": "Microsoft"}).get_json()
    assert single["result"][0]["id"] == "microsoft"
    single = client.get("/reconcile", query_string={"query": json.dumps({"query": "Microsoft", "limit": 1})}).get_json()
    assert [c["id"] for c in single["result"]] == ["microsoft"]


def test_errors_are_json_with_a_status(client):
    response = client.post("/reconcile", data={"queries": "{not json"})
    assert response.status_code == 400 and "not valid JSON" in response.get_json()["error"]
    response = client.post("/reconcile", data={"queries": json.dumps({"q0": {"query": "x", "type": "bad:X"}})})
    assert response.status_code == 400 and "q0" in response.get_json()["error"]
    big = {f"q{i}": {"query": "x"} for i in range(reconcile_query.MAX_BATCH + 1)}
    assert client.post("/reconcile", data={"queries": json.dumps(big)}).status_code == 413


def test_cors_preflight(client):
    response = client.options(
        "/reconcile",
        headers={
            "Origin": "http://localhost:3333",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"
    for path in ("/reconcile/suggest/entity", "/reconcile/preview", "/reconcile/properties"):
        assert client.options(path).headers["Access-Control-Allow-Origin"] == "*"


def test_suggest_entities(client):
    response = client.get("/reconcile/suggest/entity", query_string={"prefix": "Zhong"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    answer = response.get_json()
    assert_valid("suggest-entities-response", answer)
    ids = [r["id"] for r in answer["result"]]
    assert ids[0] == "z-park" and "zhongguancun-development-group" in ids
    chinese = client.get("/reconcile/suggest/entity", query_string={"prefix": "中关村发", "lang": "zh"}).get_json()
    assert chinese["result"][0] == {
        **chinese["result"][0],
        "id": "zhongguancun-development-group",
        "name": "中关村发展集团",
    }
    people = client.get("/reconcile/suggest/entity", query_string={"prefix": "Zh", "type": "schema:Person"}).get_json()
    assert sorted(r["id"] for r in people["result"]) == ["zhang-shousheng", "zhou-guolin"]  # shorter names first
    page2 = client.get(
        "/reconcile/suggest/entity", query_string={"prefix": "Zhong", "cursor": 1, "limit": 2}
    ).get_json()
    assert [r["id"] for r in page2["result"]] == ids[1:3]


def test_suggest_types_and_properties(client):
    types = client.get("/reconcile/suggest/type", query_string={"prefix": "Corp"}).get_json()
    assert_valid("suggest-types-response", types)
    corporation = next(t for t in types["result"] if t["id"] == "schema:Corporation")
    assert corporation["broader"][0]["id"] == "schema:Organization"
    props = client.get("/reconcile/suggest/property", query_string={"prefix": "organization k"}).get_json()
    assert_valid("suggest-properties-response", props)
    assert props["result"][0]["id"] == "zkg:organizationKind"
    assert props["result"][0]["name"] == "organization kind"


def test_preview_card(client):
    response = client.get("/reconcile/preview", query_string={"id": "z-park"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Zhongguancun Science Park" in html and "China&#39;s first science park" in html
    assert "frame-ancestors" not in response.headers["Content-Security-Policy"]  # OpenRefine frames it
    assert "script" not in response.headers["Content-Security-Policy"]
    zh = client.get("/reconcile/preview", query_string={"id": "z-park"}, headers={"Accept-Language": "zh-CN"})
    assert "<h1><a" in zh.get_data(as_text=True) and "中关村科技园区</a></h1>" in zh.get_data(as_text=True)
    assert client.get("/reconcile/preview", query_string={"id": "nothing-here"}).status_code == 404


def test_one_label_index_for_search_and_reconciliation(power_app, client):
    """The app reads every label once per dataset version: the reconciliation catalogue is a
    view of the site search's label index, not a second one."""
    assert client.get("/search?q=park").status_code == 200
    assert client.get("/reconcile?query=park").status_code == 200
    store = power_app.config["ZKG_STORE"]
    catalogue, _vocabulary = power_app.extensions["zkg.power.reconcile"].get(store)
    assert catalogue.labels is power_app.extensions["zkg.label_index"].get(store)


def test_propose_properties(client):
    answer = client.get("/reconcile/properties", query_string={"type": "schema:Organization", "limit": 8}).get_json()
    assert answer["type"] == "schema:Organization" and answer["limit"] == 8
    ids = [p["id"] for p in answer["properties"]]
    assert len(ids) == 8 and "zkg:organizationKind" in ids and "schema:location" in ids
    assert client.get("/reconcile/properties", query_string={"type": "nope:X"}).status_code == 400
    assert client.get("/reconcile/properties").get_json()["properties"]


def test_data_extension(client):
    query = {
        "ids": ["z-park", "zhongguancun-stanford-startup-fund", "zhang-shousheng", "no-such-entity"],
        "properties": [
            {"id": "zkg:organizationKind"},
            {"id": "schema:foundingDate"},
            {"id": "schema:amount"},
            {"id": "zkg:owns"},
            {"id": "schema:name", "settings": {"limit": 1}},
            {"id": "schema:datePublished"},
        ],
    }
    assert_valid("data-extension-query", query)
    response = client.post("/reconcile", data={"extend": json.dumps(query)})
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    assert_valid("data-extension-response", answer)
    assert [m["id"] for m in answer["meta"]] == [p["id"] for p in query["properties"]]
    owns = next(m for m in answer["meta"] if m["id"] == "zkg:owns")
    assert owns["type"]["id"] in ("schema:Corporation", "org:FormalOrganization")
    rows = answer["rows"]
    assert rows["z-park"]["zkg:organizationKind"] == [{"str": "science park"}]
    assert rows["z-park"]["schema:foundingDate"] == [{"str": "1988"}]
    assert rows["z-park"]["zkg:owns"] == [
        {"id": "zhongguancun-development-group", "name": "Zhongguancun Development Group"}
    ]
    assert rows["zhongguancun-stanford-startup-fund"]["schema:amount"] == [{"str": "912500000 USD"}]
    assert rows["zhang-shousheng"]["zkg:organizationKind"] == []
    assert rows["no-such-entity"] == {p["id"]: [] for p in query["properties"]}
    # Texts in several languages: the reader's.
    zh = client.post("/reconcile?lang=zh", data={"extend": json.dumps(query)}).get_json()
    assert zh["rows"]["z-park"]["schema:name"] == [{"str": "中关村科技园区"}]
    assert rows["z-park"]["schema:name"] == [{"str": "Zhongguancun Science Park"}]
    # Dates as the protocol's date-times.
    article = client.post(
        "/reconcile",
        data={
            "extend": json.dumps(
                {"ids": [TEST_BASE + "id/china-daily-2016-03-05-p7"], "properties": [{"id": "schema:datePublished"}]}
            )
        },
    ).get_json()
    assert_valid("data-extension-response", article)
    assert article["rows"][TEST_BASE + "id/china-daily-2016-03-05-p7"]["schema:datePublished"] == [
        {"date": "2016-03-05T00:00:00Z"}
    ]


def test_data_extension_errors(client):
    assert client.post("/reconcile", data={"extend": "[]"}).status_code == 400
    bad = {"ids": ["z-park"], "properties": [{"id": "nope:x"}]}
    assert client.post("/reconcile", data={"extend": json.dumps(bad)}).status_code == 400


def test_listed_in_the_service_description(client):
    turtle = client.get("/sparql", headers={"Accept": "text/turtle"}).get_data(as_text=True)
    assert "<http://localhost/reconcile>" in turtle and "reconciliation-api.github.io/specs/0.2/" in turtle
