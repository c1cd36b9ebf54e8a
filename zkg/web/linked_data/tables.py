"""A data set's figures as a download: ``/tables/<path>.csv`` and its CSVW metadata at
``/tables/<path>.csv-metadata.json`` (:mod:`zkg.linked_data.tables`), for every Data Cube data
set of the graph (``/tables/id/stats-z-park-headline.csv``). The CSV names its metadata in a
``Link: rel="describedby"`` header, as CSVW's discovery asks; both are cached per dataset
version and revalidate like every page.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request

from zkg.linked_data import statistics
from zkg.linked_data.labels import labels_for
from zkg.linked_data.tables import csvw_metadata, table_csv
from zkg.web.http_caching import conditional
from zkg.web.iris import local_path, quote_path
from zkg.web.responses import plain

tables_blueprint = Blueprint("tables", __name__)

CSV_TYPE = "text/csv; charset=utf-8; header=present"
METADATA_TYPE = "application/csvm+json"


def table_url(dataset: str, extension: str) -> str:
    """``/tables/<path>.<extension>`` of a data set of this store (``csv`` or
    ``csv-metadata.json``)."""
    base = current_app.config["ZKG_STORE"].base_iri
    return f"{request.script_root}/tables/{quote_path(local_path(dataset, base))}.{extension}"


@tables_blueprint.route("/tables/<path:rest>", methods=["GET", "HEAD"])
def table(rest: str):
    store = current_app.config["ZKG_STORE"]
    for extension in ("csv-metadata.json", "csv"):
        if rest.endswith("." + extension):
            path = rest[: -len(extension) - 1]
            break
    else:
        return plain(f"no table at /tables/{rest}: ask for <data set path>.csv or .csv-metadata.json", 404)
    dataset = store.base_iri + path
    is_dataset = bool(
        path
        and not any(c in path for c in '<>"{}|\\^` ')
        and store.query(f"ASK {{ {ox.NamedNode(dataset)} a qb:DataSet }}")
    )
    if not is_dataset:
        return plain(f"{dataset} is not a data set of this graph", 404)
    name = path.rsplit("/", 1)[-1]

    def build_csv() -> Response:
        found = statistics.observations(store, dataset, in_dataset=True)
        labels = statistics.observation_labels(store, found) if found else {}
        body = table_csv(found, lambda iri: labels.get(iri, iri))
        response = Response(body, content_type=CSV_TYPE)
        response.headers["Content-Disposition"] = f'inline; filename="{name}.csv"'
        return response

    def build_metadata() -> Response:
        title = labels_for(store, [dataset])[dataset]
        document = csvw_metadata(dataset, f"{name}.csv", title=title, base_iri=store.base_iri)
        return Response(json.dumps(document, ensure_ascii=False, indent=1), content_type=METADATA_TYPE)

    headers = {"Access-Control-Allow-Origin": "*"}
    if extension == "csv":
        headers["Link"] = f'<{table_url(dataset, "csv-metadata.json")}>; rel="describedby"; type="{METADATA_TYPE}"'
        return conditional(("table", dataset, "csv"), build_csv, headers=headers, cache=True)
    return conditional(("table", dataset, "csvw"), build_metadata, headers=headers, cache=True)
