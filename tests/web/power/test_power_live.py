"""Canned queries and completion on a live ``zkg serve``: the parameters are bound as VALUES,
so they work the same on the engine process as on the embedded store."""

from __future__ import annotations

import csv
import io

import requests

from tests.support.web_testing import LIVE_ROW_LIMIT

TIMEOUT = 30


def test_a_canned_query_with_parameters(live_server):
    response = requests.get(
        live_server.url + "queries/statistics-for-year", params={"year": "2015", "format": "csv"}, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert {row["value"] for row in table if row["indicator"].endswith("/mna-completed")} == {"492"}
    bad = requests.get(live_server.url + "queries/statistics-for-year", params={"year": "MMXV"}, timeout=TIMEOUT)
    assert bad.status_code == 400 and "parameter 'year'" in bad.text


def test_every_competency_question_answers(live_server):
    listing = requests.get(live_server.url + "queries", params={"format": "json"}, timeout=TIMEOUT).json()
    for query in listing["queries"]:
        if any(p["required"] for p in query["params"]):
            continue
        response = requests.get(
            query["url"], headers={"Accept": "application/sparql-results+json, text/turtle;q=0.9"}, timeout=TIMEOUT
        )
        assert response.status_code == 200, (query["slug"], response.text)
        if response.headers.get("ZKG-Results-Truncated"):
            assert response.headers["ZKG-Results-Truncated"] == f"limit={LIVE_ROW_LIMIT}"


def test_completion_and_openapi(live_server):
    person = requests.get(
        live_server.url + "sparql/complete", params={"class": "schema:Person"}, timeout=TIMEOUT
    ).json()
    assert "schema:worksFor" in [p["curie"] for p in person["properties"] if p["source"] == "shape"]
    document = requests.get(live_server.url + "openapi.json", timeout=TIMEOUT).json()
    assert document["servers"] == [{"url": live_server.url.rstrip("/")}]
