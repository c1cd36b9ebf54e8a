"""zkg.linked_data.facts: facts grouped, formatted and sourced; statistics as rows and yearly series."""

from __future__ import annotations

import pytest

from tests.support.zkg_testing import TEST_BASE
from zkg.linked_data import facts, statistics
from zkg.linked_data.describe import describe

ID = TEST_BASE + "id/"


def link(iri: str) -> str:
    return "/page/" + iri[len(TEST_BASE) :] if iri.startswith(TEST_BASE) else iri


@pytest.fixture(scope="module")
def z_park(real_store):
    return facts.entity_facts(real_store, describe(real_store, ID + "z-park"), link, base_iri=TEST_BASE)


def by_predicate(groups, local):
    return next(f for f in groups if f.predicate.endswith(local))


def test_label_description_types(z_park):
    assert z_park.label == "Zhongguancun Science Park"
    assert z_park.description.startswith("China's first science park")
    assert {t.iri for t in z_park.types} == {
        "https://schema.org/Organization",
        "http://www.w3.org/ns/org#FormalOrganization",
    }


def test_names_in_every_language_with_their_source(z_park):
    names = {f.label: [(v.text, v.language) for v in f.values] for f in z_park.names}
    assert names == {
        "name": [
            ("Zhongguancun Science Park", "en"),
            ("中关村科技园区", "zh-hans"),
        ],  # rdfs:label and schema:name: once
        "other name": [("Z-Park", "en"), ("Zhongguancun", "en")],
    }
    chinese = z_park.names[0].values[1]
    assert [s.graph for s in chinese.sources] == [TEST_BASE + "graph/reference"]


def test_every_fact_shows_its_source(z_park):
    for group in z_park.names + z_park.facts:
        for value in group.values:
            assert value.sources, f"{group.label}: {value.text} has no source"
    article = [s for s in z_park.sources if s.derived]
    assert [s.label for s in article] == ["China Daily, 5 March 2016, p. 7"]
    assert article[0].source == ID + "china-daily-2016-03-05-p7"


def test_values_are_linked_and_formatted(z_park):
    owns = by_predicate(z_park.facts, "def/owns")
    assert owns.label == "owns" and owns.href == "/page/def/owns"
    assert [(v.text, v.href) for v in owns.values] == [
        ("Zhongguancun Development Group", "/page/id/zhongguancun-development-group")
    ]
    founded = by_predicate(z_park.facts, "foundingDate")
    assert [(v.text, v.note) for v in founded.values] == [("1988", "year")]


def test_incoming_links_leave_observations_to_the_statistics(z_park):
    linking = {(prop.label, subject.text) for subject, prop in z_park.incoming}
    assert ("administers", "Administrative Committee of Zhongguancun Science Park") in linking
    assert not any("obs-" in (subject.iri or "") for subject, _prop in z_park.incoming)


def test_structured_blank_nodes(real_store):
    fund = facts.entity_facts(real_store, describe(real_store, ID + "zhongguancun-stanford-startup-fund"), link)
    assert [v.text for v in by_predicate(fund.facts, "amount").values] == ["USD 912.5 million"]
    promise = facts.entity_facts(real_store, describe(real_store, ID + "promise-lead-500-enterprises"), link)
    assert [v.text for v in by_predicate(promise.facts, "targetQuantity").values] == ["at least 500 enterprises"]


def test_statistics_rows_merge_units_and_changes(real_store):
    found = statistics.observations(real_store, ID + "z-park")
    assert len(found) == 17
    rows = {(r.indicator.rsplit("/", 1)[-1], r.period, r.partner): r for r in statistics.statistics_rows(found)}
    value = rows[("mna-value", "2015", None)]
    assert [o.value_text() for o in value.levels] == ["CNY 183.4 billion", "USD 28.1 billion"]
    assert [o.value_text() for o in value.changes] == ["+40.7 %"]
    assert [o.value_text() for o in rows[("overseas-mna-completed", "2015", None)].changes] == ["+15"]
    assert rows[("companies-acquired", "2015", ID + "united-kingdom")].levels[0].value_text() == "12"
    area = statistics.observations(real_store, ID + "z-park-area")
    assert [o.value_text() for o in area] == ["488 km²"] and area[0].period_text() == "5 March 2016"


def test_yearly_series(real_store):
    series = statistics.yearly_series(statistics.observations(real_store, ID + "z-park"))
    assert [(s.indicator.rsplit("/", 1)[-1], [(p.period, p.value, p.derived) for p in s.points]) for s in series] == [
        ("mna-completed", [("2014", "218", False), ("2015", "492", False)]),
        ("overseas-mna-completed", [("2014", "21", True), ("2015", "36", False)]),
    ]
    assert statistics.yearly_series(statistics.observations(real_store, ID + "luo-wei")) == []


def test_rdf_lists_are_shown_as_lists(real_store):
    shape = facts.entity_facts(
        real_store, describe(real_store, TEST_BASE + "def/shapes/OrganizationShape-related"), link
    )
    [path] = by_predicate(shape.facts, "shacl#path").values
    [alternatives] = path.parts
    [members] = alternatives.values
    assert [m.text for m in members.items][:3] == ["sub organization of", "has sub organization", "unit of"]
    assert len(members.items) == 10 and all(m.href for m in members.items)
