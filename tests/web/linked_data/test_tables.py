"""A data set's page shows its figures, and its table downloads as CSV with CSVW metadata
(issue 15): checked against SPARQL over the same store, and read by the clients a researcher
uses, pandas and a CSVW processor (the ``csvw`` package), from a real ``zkg serve``."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE
from zkg.base.settings import Settings
from zkg.linked_data.tables import COLUMNS
from zkg.store.local import Store

HEADLINE = "id/stats-z-park-headline"
BY_PARTNER = "id/stats-z-park-by-partner"


@pytest.fixture(scope="module")
def store():
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR)
    return store


@pytest.fixture(scope="module")
def client(store):
    from zkg.web import create_app

    settings = Settings.from_env(environ={}, base_iri=TEST_BASE, data="/nonexistent")
    return create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": store, "TESTING": True}).test_client()


def observations(store, dataset: str) -> dict[str, Decimal]:
    rows = store.query(
        f"SELECT ?obs ?value WHERE {{ ?obs qb:dataSet <{TEST_BASE}{dataset}> ; sdmx-measure:obsValue ?value }}"
    )
    return {row["obs"].value: Decimal(row["value"].value) for row in rows}


@pytest.mark.parametrize("dataset", [HEADLINE, BY_PARTNER])
def test_a_data_set_page_has_the_table_of_its_figures(client, store, dataset):
    html = client.get(f"/page/{dataset}").get_data(as_text=True)
    expected = observations(store, dataset)
    assert expected
    table = html[
        html.index('<table class="statistics">') : html.index("</table>", html.index('<table class="statistics">'))
    ]
    for obs in expected:  # every figure is in the table, by its link
        assert f'href="/page/id/{obs.rsplit("/", 1)[-1]}"' in table, obs
    assert "The figures of this data set" in html
    assert f'href="/tables/{dataset}.csv"' in html and f'href="/tables/{dataset}.csv-metadata.json"' in html


def test_a_data_set_page_has_charts_of_its_yearly_series(client):
    html = client.get(f"/page/{HEADLINE}").get_data(as_text=True)
    assert html.count('<svg class="chart"') >= 2
    assert "mergers and acquisitions completed, Zhongguancun Science Park" in html


def test_an_entity_page_keeps_its_own_statistics(client):
    html = client.get("/page/id/z-park").get_data(as_text=True)
    assert ">Statistics</h2>" in html and "/tables/" not in html  # only data sets download


@pytest.mark.parametrize("dataset", [HEADLINE, BY_PARTNER])
def test_the_csv_has_every_figure_once(client, store, dataset):
    response = client.get(f"/tables/{dataset}.csv")
    assert response.status_code == 200 and response.content_type.startswith("text/csv")
    assert response.headers["Link"] == (
        f'</tables/{dataset}.csv-metadata.json>; rel="describedby"; type="application/csvm+json"'
    )
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == [c.name for c in COLUMNS]
    assert {r["observation"]: Decimal(r["value"]) for r in rows} == observations(store, dataset)
    assert len(rows) == len(observations(store, dataset))
    assert all(r["graph"].startswith(TEST_BASE + "graph/") and r["derived"] in ("true", "false") for r in rows)


def test_the_metadata_describes_every_column(client):
    document = json.loads(client.get(f"/tables/{HEADLINE}.csv-metadata.json").get_data(as_text=True))
    assert document["url"] == "stats-z-park-headline.csv"
    assert document["dc:source"] == {"@id": TEST_BASE + HEADLINE}
    columns = document["tableSchema"]["columns"]
    assert [c["name"] for c in columns] == [c.name for c in COLUMNS]
    assert next(c for c in columns if c["name"] == "value")["datatype"] == "decimal"
    assert next(c for c in columns if c["name"] == "indicator")["propertyUrl"] == TEST_BASE + "def/indicator"


@pytest.mark.parametrize(
    "path", ["/tables/id/z-park.csv", "/tables/id/nothing.csv", "/tables/id/stats-z-park-headline.xlsx", "/tables/x"]
)
def test_what_is_not_a_data_set_table_is_404(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.content_type.startswith("text/plain")


# -- a notebook, against a real zkg serve ----------------------------------------------------------


def test_a_notebook_reads_the_figures_with_pandas_and_csvw(linked_data_server):
    import pandas
    from csvw import CSVW

    url = linked_data_server.url + f"tables/{HEADLINE}.csv"
    frame = pandas.read_csv(url)  # the one line the page offers
    assert frame["value"].dtype.kind == "f" and len(frame) > 10
    mna = frame[(frame.indicator_label == "mergers and acquisitions completed") & (frame.transformation == "level")]
    assert dict(zip(mna.period, mna.value)) == {"2014": 218.0, "2015": 492.0}

    table = CSVW(url + "-metadata.json", validate=True)  # a CSVW processor: types from the metadata
    assert table.is_valid, table.warnings
    rows = list(table.tables[0].iterdicts())
    assert len(rows) == len(frame)
    typed = {r["observation"].unsplit(): r for r in rows}  # anyURI: an rfc3986 reference
    area = typed[linked_data_server.url + "id/obs-area-2016"]
    assert area["value"] == Decimal("488000000") and area["unit"] == "MTK" and area["derived"] is False
    assert area["partner"] is None  # an empty cell is no value
