"""Where sources disagree, the page says so plainly, and the model guide says how to choose.

On the project's real data with the shipped sources applied (graph/changes/): China Daily
counts 16 sub-parks in March 2016 and 10 in March 2008; beijing-haidian.com gives the zone
100 square kilometres in May 1988, China Daily 488 in March 2016."""

from __future__ import annotations

import html
import re

import pytest

from tests.support.zkg_testing import GRAPH_DIR
from zkg.curation.shipped_changes import apply_shipped
from zkg.linked_data import statistics
from zkg.web.linked_data.model import DISAGREEMENTS_QUERY


@pytest.fixture(scope="module")
def shipped_store():
    from tests.support.zkg_testing import ONTOLOGY_DIR, TEST_BASE
    from zkg.store.local import Store

    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR)
    report = apply_shipped(store, GRAPH_DIR)
    assert len(report.applied) == 3
    return store


@pytest.fixture
def client(shipped_store, tmp_path):
    from tests.support.zkg_testing import TEST_BASE
    from zkg.base.settings import Settings
    from zkg.web import create_app

    settings = Settings.from_env(environ={}, base_iri=TEST_BASE, data=tmp_path / "unused")
    return create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": shipped_store, "TESTING": True}).test_client()


def text_of(body: bytes) -> str:
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body.decode())).split())
    return re.sub(r"\s+([).,;:])", r"\1", words)  # (the space a tag left before punctuation)


def notices(body: bytes) -> list[str]:
    return [text_of(m.encode()) for m in re.findall(r'<div class="disagreement".*?</div>', body.decode(), re.S)]


def test_the_park_page_shows_the_two_counts_of_sub_parks_with_their_sources(client):
    found = notices(client.get("/page/id/z-park").data)
    assert found == [
        "Sources differ on sub-parks: 10 (31 March 2008, China Daily, 31 March 2008, p. 2); "
        "16 (5 March 2016, China Daily, 5 March 2016, p. 7). These are figures for different dates: "
        "the latest is 16 (5 March 2016). How to choose."
    ], found


def test_the_area_page_shows_the_two_areas(client):
    (found,) = notices(client.get("/page/id/z-park-area").data)
    assert "100 km² (May 1988, beijing-haidian.com, 25 August 2016)" in found
    assert "488 km² (5 March 2016, China Daily, 5 March 2016, p. 7)" in found


def test_a_page_whose_sources_agree_shows_no_notice(client):
    assert notices(client.get("/page/id/zhongguancun-development-group").data) == []


def test_the_same_period_from_two_sources_is_called_a_contradiction():
    def obs(value, graph):
        return statistics.Observation(
            "o" + graph, value, "2016", "gYear", "ind", "u", None, statistics.LEVEL, value, None, False, graph, "s"
        )

    (found,) = statistics.disagreements([obs("16", "a"), obs("15", "b")])
    assert found.same_period


def test_the_model_guide_says_how_to_choose_and_its_query_lists_both_pairs(client, shipped_store):
    page = client.get("/def/", follow_redirects=True)
    assert page.status_code == 200
    section = re.search(r'<section class="card" id="disagreements".*?</section>', page.data.decode(), re.S)
    assert section and "take the latest period" in text_of(section.group(0).encode())
    rows = list(shipped_store.query(DISAGREEMENTS_QUERY))
    pairs = sorted((str(r["indicator"].value), r["value"].value) for r in rows)
    assert pairs == [
        ("area covered", "100000000"),
        ("area covered", "488000000"),
        ("sub-parks", "10"),
        ("sub-parks", "16"),
    ]
