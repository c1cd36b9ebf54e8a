"""zkg.linked_data.labels: language preference with fallback, property preference, one query."""

import pyoxigraph as ox

from tests.support.zkg_testing import TEST_BASE
from zkg.linked_data.labels import (
    RDFS_LABEL,
    SCHEMA_NAME,
    SKOS_PREF_LABEL,
    choose_label,
    choose_literal,
    fallback_label,
    labels_for,
)
from zkg.store.local import Store


def lit(text, language=None):
    return ox.Literal(text, language=language) if language else ox.Literal(text)


def test_property_order_within_a_language():
    found = [(SCHEMA_NAME, lit("name", "en")), (RDFS_LABEL, lit("label", "en")), (SKOS_PREF_LABEL, lit("pref", "en"))]
    assert choose_label(found) == "pref"
    assert choose_label(found[:2]) == "label"


def test_language_before_property():
    found = [(SKOS_PREF_LABEL, lit("中关村科技园区", "zh-Hans")), (SCHEMA_NAME, lit("Zhongguancun Science Park", "en"))]
    assert choose_label(found, ["en"]) == "Zhongguancun Science Park"
    assert choose_label(found, ["zh"]) == "中关村科技园区"
    assert choose_label(found, ["zh-Hant", "zh"]) == "中关村科技园区"


def test_fallbacks_english_then_untagged_then_any():
    assert choose_label([(RDFS_LABEL, lit("plain")), (RDFS_LABEL, lit("English", "en"))], ["fr"]) == "English"
    assert choose_label([(RDFS_LABEL, lit("plain")), (RDFS_LABEL, lit("Deutsch", "de"))], ["fr"]) == "plain"
    assert choose_label([(RDFS_LABEL, lit("Deutsch", "de")), (RDFS_LABEL, lit("English", "en"))], ["fr"]) == "English"
    assert choose_label([(RDFS_LABEL, lit("Deutsch", "de"))], ["fr"]) == "Deutsch"
    assert choose_label([]) is None


def test_ties_break_alphabetically():
    assert choose_label([(RDFS_LABEL, lit("b", "en")), (RDFS_LABEL, lit("a", "en"))]) == "a"
    assert choose_literal([lit("Beschreibung", "de"), lit("description", "en")], ["de"]).value == "Beschreibung"


def test_fallback_label_decodes_the_last_segment():
    assert fallback_label("http://zkg.test/id/zhong%20guan") == "zhong guan"
    assert fallback_label("http://www.w3.org/2004/02/skos/core#prefLabel") == "prefLabel"
    assert fallback_label("http://zkg.test/def/") == "def"


def test_labels_for_uses_one_query_per_chunk():
    store = Store.open(base_iri=TEST_BASE)
    store.update('INSERT DATA { GRAPH graph:g { id:a schema:name "A"@en . id:b rdfs:label "B" } }')
    calls = []
    original = store.query
    store.query = lambda *a, **k: calls.append(a) or original(*a, **k)
    labels = labels_for(store, [TEST_BASE + "id/a", TEST_BASE + "id/b", TEST_BASE + "id/c"])
    assert labels == {TEST_BASE + "id/a": "A", TEST_BASE + "id/b": "B", TEST_BASE + "id/c": "c"}
    assert len(calls) == 1
