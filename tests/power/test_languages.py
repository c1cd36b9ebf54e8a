"""Labels in the reader's language: Accept-Language with q-values, the lang= override, the
fallback (asked → English → no language → any), and the Chinese names with their sources."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from tests.support.zkg_testing import GRAPH_DIR, TEST_BASE
from zkg.linked_data.labels import RDFS_LABEL, SKOS_PREF_LABEL, choose_label, parse_accept_language, preferred_languages


@pytest.mark.parametrize(
    "header, expected",
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", ["zh-cn", "zh", "en"]),
        ("en;q=0.5, zh", ["zh", "en"]),
        ("de;q=0.7, fr;q=0.7, en;q=0.9", ["en", "de", "fr"]),  # ties keep the header's order
        ("zh;q=0, en", ["en"]),  # q=0: not wanted
        ("*", []),
        ("en-GB;q=abc, fr", ["fr"]),  # a malformed q-value leaves its element out
        ("", []),
    ],
)
def test_accept_language(header, expected):
    assert parse_accept_language(header) == expected


def test_preferred_languages():
    assert preferred_languages("en", "zh") == ["zh"]
    assert preferred_languages("en", "zh-Hant,en") == ["zh-hant", "zh", "en"]
    assert preferred_languages("fr;q=0.2, zh-TW") == ["zh-tw", "zh", "fr"]
    assert preferred_languages(None, "") == ["en"]


def test_fallback_order():
    def lit(text, language=None):
        return ox.Literal(text, language=language) if language else ox.Literal(text)

    found = [
        (RDFS_LABEL, lit("Zhongguancun Science Park", "en")),
        (SKOS_PREF_LABEL, lit("中关村科技园区", "zh-Hans")),
        (RDFS_LABEL, lit("Zhongguancun")),
        (RDFS_LABEL, lit("Parc scientifique", "fr")),
    ]
    assert choose_label(found, ["zh"]) == "中关村科技园区"
    assert choose_label(found, ["de"]) == "Zhongguancun Science Park"  # English
    assert choose_label(found[1:], ["de"]) == "Zhongguancun"  # then no language
    assert choose_label(found[1:2] + found[3:], ["de"]) == "中关村科技园区"  # then any (skos:prefLabel first)


def _title(html: str) -> str:
    return re.search(r'<h1 id="resource-title"[^>]*>([^<]*)</h1>', html).group(1)


@pytest.mark.parametrize(
    "headers, query, expected",
    [
        ({}, "", "Zhongguancun Science Park"),
        ({"Accept-Language": "zh-CN,zh;q=0.9"}, "", "中关村科技园区"),
        ({"Accept-Language": "en;q=0.5, zh;q=0.9"}, "", "中关村科技园区"),
        ({"Accept-Language": "fr"}, "", "Zhongguancun Science Park"),
        ({"Accept-Language": "en"}, "?lang=zh", "中关村科技园区"),
        ({"Accept-Language": "zh"}, "?lang=en", "Zhongguancun Science Park"),
    ],
)
def test_pages_speak_the_readers_language(client, headers, query, expected):
    response = client.get("/page/id/z-park" + query, headers={"Accept": "text/html", **headers})
    assert response.status_code == 200
    assert _title(response.get_data(as_text=True)) == expected
    assert "Accept-Language" in response.headers["Vary"]


def test_the_iri_keeps_the_language_on_its_way_to_the_page(client):
    response = client.get("/id/z-park?lang=zh", headers={"Accept": "text/html"})
    assert response.status_code == 303 and response.headers["Location"] == "/page/id/z-park?lang=zh"
    assert (
        client.get("/id/z-park?lang=%3Cscript%3E", headers={"Accept": "text/html"}).headers["Location"]
        == "/page/id/z-park"
    )


def test_search_speaks_the_readers_language(client):
    english = client.get("/search?q=zhongguancun%20science&format=json").get_json()["results"][0]
    chinese = client.get("/search?q=zhongguancun%20science&format=json&lang=zh").get_json()["results"][0]
    assert english["iri"] == chinese["iri"] == TEST_BASE + "id/z-park"
    assert (english["label"], chinese["label"]) == ("Zhongguancun Science Park", "中关村科技园区")
    by_header = client.get("/search?q=张&format=json", headers={"Accept-Language": "zh"}).get_json()["results"][0]
    assert by_header["label"] == "张首晟"


def test_reconciliation_speaks_the_readers_language(client):
    manifest = client.get("/reconcile", headers={"Accept-Language": "zh"}).get_json()
    assert manifest["name"]
    result = client.post("/reconcile?lang=zh", data={"queries": '{"q0": {"query": "Zhang Shousheng"}}'}).get_json()
    assert result["q0"]["result"][0]["name"] == "张首晟"


def test_every_chinese_name_has_its_source(real_store):
    """Each Chinese label of the reference graph is repeated by an rdf:Statement that says
    where it comes from (prov:wasDerivedFrom a web page), with a note; and nothing else is."""
    reference = ox.NamedNode(TEST_BASE + "graph/reference")
    labels = {
        (r["s"].value, r["p"].value, r["o"].value)
        for r in real_store.query(
            f"SELECT ?s ?p ?o WHERE {{ GRAPH {reference} {{ ?s ?p ?o FILTER(isLiteral(?o) && langMatches(lang(?o), 'zh')) "
            f"FILTER(?p != rdf:object) }} }}"
        )
    }
    sourced = {
        (r["s"].value, r["p"].value, r["o"].value): (r["source"].value, r["note"].value)
        for r in real_store.query(
            f"SELECT ?s ?p ?o ?source ?note WHERE {{ GRAPH {reference} {{ ?st a rdf:Statement ; rdf:subject ?s ; "
            f"rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?source ; skos:note ?note }} }}"
        )
    }
    assert labels and labels == set(sourced)
    assert all(source.startswith(("http://", "https://")) and note for source, note in sourced.values())
    # Chinese names live in the reference graph only (the sources are in English).
    elsewhere = real_store.query(
        "ASK { GRAPH ?g { ?s ?p ?o FILTER(isLiteral(?o) && langMatches(lang(?o), 'zh')) } "
        f"FILTER(?g != {reference}) }}"
    )
    assert not bool(elsewhere)
    assert (GRAPH_DIR / "reference.trig").read_text(encoding="utf-8").count("a rdf:Statement") == len(sourced)
