"""What OpenRefine does with a reconciliation service, scripted, against a live ``zkg serve``
(conftest's ``live_server``: the project's real graph/, the Oxigraph engine behind it).

1. add the service: fetch the manifest (across origins, as OpenRefine's browser side does);
2. reconcile a column of names in batches (form POSTs of ``queries=``), with misspellings and
   Chinese names among them, and take each first candidate flagged ``match``;
3. add columns from the service: ask which properties to propose for the type, then fetch
   two of them for the matched entities (``extend=``).

Every request and response is checked against the Reconciliation API 0.2's JSON schemas.
``ZKG_OPENREFINE_REPORT=1`` prints the table of names, first candidates and scores.
"""

from __future__ import annotations

import json
import os

import requests

from tests.support.reconciliation_schemas import assert_valid

#: The column to reconcile, and the entity each name must find first.
COLUMN = {
    "Zhongguancun Science Park": "z-park",
    "Zhongguancun Sceince Park": "z-park",
    "Sinovac Biotec": "sinovac-biotech",
    "中关村科技园区": "z-park",
    "中关村发展集团": "zhongguancun-development-group",
    "张首晟": "zhang-shousheng",
    "Zhongguancun Development Group": "zhongguancun-development-group",
    "Microsoft": "microsoft",
    "Stanford University": "stanford-university",
    "Shoucheng Zhang": "zhang-shousheng",
}
ORIGIN = "http://127.0.0.1:3333"  # where OpenRefine's web page runs
TIMEOUT = 30


def _get(url: str, **params) -> requests.Response:
    response = requests.get(url, params=params, headers={"Origin": ORIGIN}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response


def _post(url: str, form: dict) -> dict:
    response = requests.post(url, data=form, headers={"Origin": ORIGIN}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.json()


def test_reconcile_then_extend(live_server):
    service = live_server.url + "reconcile"

    # 1. The manifest; and the preflight a browser sends before a cross-origin POST.
    manifest = _get(service).json()
    assert_valid("manifest", manifest)
    preflight = requests.options(
        service,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=TIMEOUT,
    )
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"

    # 2. Reconcile the column, in batches of the size the manifest asks for (OpenRefine: 10).
    names = list(COLUMN)
    batch_size = min(manifest.get("batchSize", 10), 4)
    results: dict[str, list] = {}
    for start in range(0, len(names), batch_size):
        chunk = names[start : start + batch_size]
        queries = {f"q{start + i}": {"query": name, "type_strict": "should"} for i, name in enumerate(chunk)}
        assert_valid("reconciliation-query-batch", queries)
        answer = _post(service, {"queries": json.dumps(queries)})
        assert_valid("reconciliation-result-batch", answer)
        assert set(answer) == set(queries)
        for key, name in zip(queries, chunk):
            results[name] = answer[key]["result"]
    report = [(name, results[name][0]["id"], results[name][0]["score"], results[name][0]["match"]) for name in names]
    if os.environ.get("ZKG_OPENREFINE_REPORT"):
        print("\nname -> first candidate (score, match)")
        for name, found, score, match in report:
            print(f"  {name} -> {found} ({score}, {'match' if match else 'candidate'})")
    for name, found, score, match in report:
        assert found == COLUMN[name], f"{name!r}: first candidate {found}, expected {COLUMN[name]}"
        assert match, f"{name!r}: {found} ({score}) not flagged as a match"
    matched = sorted({found for _n, found, _s, _m in report})

    # The preview OpenRefine shows on hover, and entity suggestions for a manual match.
    preview = manifest["preview"]["url"].replace("{{id}}", requests.utils.quote(matched[0], safe=""))
    assert _get(preview).headers["Content-Type"].startswith("text/html")
    suggest = manifest["suggest"]["entity"]
    suggestions = _get(suggest["service_url"] + suggest["service_path"], prefix="中关村").json()
    assert_valid("suggest-entities-response", suggestions)
    assert {"z-park", "zhongguancun-development-group"} == {r["id"] for r in suggestions["result"][:2]}

    # 3. Add columns: the properties proposed for organisations, then two of them fetched.
    propose = manifest["extend"]["propose_properties"]
    proposal = _get(propose["service_url"] + propose["service_path"], type="schema:Organization").json()
    proposed = [p["id"] for p in proposal["properties"]]
    chosen = ["zkg:organizationKind", "org:hasSite"]
    assert set(chosen) <= set(proposed)
    extend = {"ids": matched, "properties": [{"id": p} for p in chosen]}
    assert_valid("data-extension-query", extend)
    extension = _post(service, {"extend": json.dumps(extend)})
    assert_valid("data-extension-response", extension)
    assert [m["id"] for m in extension["meta"]] == chosen
    rows = extension["rows"]
    assert set(rows) == set(matched)
    assert rows["z-park"]["zkg:organizationKind"] == [{"str": "science park"}]
    assert rows["zhongguancun-development-group"]["zkg:organizationKind"] == [{"str": "business group"}]
    assert rows["sinovac-biotech"]["zkg:organizationKind"]
    assert rows["zhang-shousheng"] == {"zkg:organizationKind": [], "org:hasSite": []}  # a person
    assert rows["z-park"]["org:hasSite"] == [{"id": "z-park-area", "name": "Zhongguancun Science Park area"}]
    assert rows["microsoft"]["org:hasSite"] == [
        {"id": "microsoft-headquarters-z-park", "name": "headquarters of Microsoft in Z-Park"}
    ]
