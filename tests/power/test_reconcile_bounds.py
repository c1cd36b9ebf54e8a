"""Reconciliation costs what its caps allow, not what a client sends (issue 13, item 3).

- the bit-parallel edit distance gives exactly the textbook one: since the one scoring of
  issue 15 (zkg.linked_data.matching) that check is ``tests/linked_data/test_matching.py``'s,
  on the distance with swaps the scoring uses;
- every cap refuses past it, whole, with the cap in the message: queries per batch (413),
  text length, types, property values, property comparisons, extension ids, properties and
  values, suggest prefixes, preview ids, nesting of the JSON;
- the review's request (12 KB: twenty 600-character names, ~20 CPU-seconds before) costs
  well under a CPU-second.

The route-by-route CPU property test is ``tests/hardening/test_work_bounds.py``; the live
one ``tests/hardening/test_work_live.py``.
"""

from __future__ import annotations

import json
import time

import pytest

from zkg.power import reconcile_query as caps

# -- the caps --------------------------------------------------------------------------------------


def _batch(client, queries, **kwargs):
    return client.post("/reconcile", data={"queries": json.dumps(queries)}, **kwargs)


def _refused(response, status: int, *words: str) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    message = response.get_json()["error"]
    for word in words:
        assert word in message, message
    return message


def test_the_caps_are_the_documented_ones():
    # SECURITY.md and README state these numbers; the CPU tests generate requests up to them.
    assert (
        caps.MAX_BATCH,
        caps.MAX_TEXT_LENGTH,
        caps.MAX_TYPES,
        caps.MAX_PROPERTY_VALUES,
        caps.MAX_PROPERTY_COMPARISONS,
    ) == (20, 1000, 10, 10, 2000)
    assert (caps.MAX_EXTEND_IDS, caps.MAX_EXTEND_PROPERTIES, caps.MAX_VALUES_READ) == (500, 50, 20000)
    assert caps.BATCH_SIZE == caps.MAX_BATCH  # the manifest never advertises more than is accepted


def test_a_batch_past_the_cap_is_413_and_the_manifest_says_the_cap(client):
    assert client.get("/reconcile").get_json()["batchSize"] == 20
    _refused(_batch(client, {f"q{i}": {"query": "x"} for i in range(21)}), 413, "at most 20 queries", "has 21")
    assert _batch(client, {f"q{i}": {"query": "Sinovac"} for i in range(20)}).status_code == 200


@pytest.mark.parametrize(
    "query, words",
    [
        ({"query": "x" * 1001}, ("'query' is longer than 1000 characters", "first 300")),
        ({"query": "x", "type": ["schema:Person"] * 11}, ("at most 10 types",)),
        (
            {
                "query": "x",
                "properties": [{"pid": "schema:name", "v": ["a"] * 6}, {"pid": "schema:location", "v": ["b"] * 5}],
            },
            ("at most 10 property values",),
        ),
        (
            {"query": "x", "properties": [{"pid": "schema:name", "v": "y" * 1001}]},
            ("a property value is longer than 1000",),
        ),
        ({"query": "x", "properties": [{"pid": "schema:name", "v": [[["deep"]]]}]}, ("must be a string, a number",)),
        ({"query": "x", "properties": [{"pid": "schema:name", "v": 1e400}]}, ("finite",)),
        ({"query": "x", "properties": [{"pid": "schema:name", "v": {"id": 5}}]}, ("'id'",)),
        ({"query": "x", "limit": 1e400}, ("positive integer",)),
    ],
)
def test_a_query_past_a_cap_is_refused_whole(client, query, words):
    _refused(_batch(client, {"ok": {"query": "Sinovac"}, "q1": query}), 400, "query 'q1'", *words)


def test_property_comparisons_are_capped_per_request(client):
    # Each query compares its values with max(4 x limit, 20) candidates: 20 x 100 = 2000 is the cap.
    five = [{"pid": "schema:location", "v": ["Beijing"] * 5}]
    at_cap = {f"q{i}": {"query": "Zhongguancun", "properties": five} for i in range(20)}
    assert _batch(client, at_cap).status_code == 200
    past = {**at_cap, "q0": {"query": "Zhongguancun", "limit": 6, "properties": five}}  # 24 candidates
    _refused(_batch(client, past), 400, "2020 times, more than 2000", "smaller limit")
    single = {"query": "Zhongguancun", "limit": 100, "properties": [{"pid": "schema:location", "v": ["Beijing"] * 6}]}
    _refused(client.get("/reconcile", query_string={"query": json.dumps(single)}), 400, "2400 times")


def test_data_extension_caps(client):
    def extend(ids, properties):
        return client.post("/reconcile", data={"extend": json.dumps({"ids": ids, "properties": properties})})

    _refused(extend(["z-park"] * 501, [{"id": "schema:name"}]), 400, "at most 500 identifiers")
    _refused(extend(["z-park"], [{"id": "schema:name"}] * 51), 400, "at most 50 properties")
    _refused(extend(["z" * 1001], [{"id": "schema:name"}]), 400, "an identifier is longer than 1000")
    assert extend(["z-park"] * 500, [{"id": "schema:name"}] * 50).status_code == 200


def test_deep_json_is_a_400_not_a_crash(client):
    deep = "[" * 50_000 + "]" * 50_000
    _refused(client.post("/reconcile", data=deep, content_type="application/json"), 400, "nested too deeply")
    _refused(client.post("/reconcile", data={"extend": deep}), 400, "'extend' is nested too deeply")


def test_an_unpaired_surrogate_escape_is_a_400_not_a_crash(client):
    # It decodes to half a character: the extension echoed it as a row key and failed to
    # write the answer (a 500).
    extension = json.dumps({"ids": ["\ud800"], "properties": [{"id": "schema:name"}]})
    _refused(client.post("/reconcile", data={"extend": extension}), 400, "unpaired surrogate")
    _refused(_batch(client, {"q": {"query": "Zhongguancun \udc00"}}), 400, "unpaired surrogate")


def test_suggest_preview_and_properties_caps(client):
    _refused(client.get("/reconcile/suggest/entity", query_string={"prefix": "z" * 1001}), 400, "'prefix' is longer")
    many = [("prefix", "z")] + [("type", "schema:Person")] * 11
    _refused(client.get("/reconcile/suggest/entity", query_string=many), 400, "at most 10 types")
    _refused(client.get("/reconcile/preview", query_string={"id": "z" * 1001}), 400, "'id' is longer")
    _refused(client.get("/reconcile/properties", query_string={"type": "z" * 1001}), 400, "'type' is longer")


# -- the review's request ---------------------------------------------------------------------------

NAME = "Zhongguancun Science Park Administrative Committee of Beijing "
#: Twenty names of 600 characters: 12.7 KB, ~20 CPU-seconds before the caps and the distance.
REVIEW_BATCH = {f"q{i}": {"query": (NAME * 10)[i : i + 600], "limit": 100} for i in range(20)}


def test_the_reviews_request_costs_well_under_a_cpu_second(client):
    _batch(client, {"warm": {"query": "Z-Park"}})  # the catalogue is built once per dataset version
    body = json.dumps(REVIEW_BATCH)
    assert 12_000 < len(body) < 13_000
    started = time.thread_time()
    response = _batch(client, REVIEW_BATCH)
    spent = time.thread_time() - started
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["q0"]["result"][0]["id"] == "z-park-administrative-committee"
    assert spent < 1.0, f"the review's 12 KB request cost {spent:.2f} CPU-seconds"
