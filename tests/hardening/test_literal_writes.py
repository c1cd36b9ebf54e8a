"""Ill-typed literals and NUL (zkg.rdf.lexical) are refused on every write path beyond the HTTP
catalogue of test_hostile_input.py: the CLI (``zkg add``, ``zkg apply``), ``zkg load`` of
source files, the curate form of the entity pages, a revert, and a live ``zkg serve`` whose
store is the managed Oxigraph engine (RemoteStore). Each refusal is a 400 or exit 1 with one
readable line, and nothing is stored; a bad literal that got into the store some other way can
still be removed. The project's own data and the benchmark generator's hold none."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from tests.support.curation_testing import SOURCE, make_curation
from tests.support.live_server import LiveServer, zkg_load
from tests.support.zkg_testing import FIXTURE_PROJECT, GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE
from zkg.base.errors import DataError
from zkg.curation import tokens
from zkg.curation.apply import apply_changeset, revert
from zkg.curation.changelog import LOG_FILE, ChangeLog
from zkg.curation.changeset_files import parse_quads
from zkg.curation.changesets import Changeset, IllTypedLiteral
from zkg.store import loading
from zkg.store.local import Store

XSD = "http://www.w3.org/2001/XMLSchema#"
ALICE = f"<{TEST_BASE}id/alice>"
TITLE = "<https://schema.org/jobTitle>"
GRAPH = f"{TEST_BASE}graph/lexical"
ZKG = [sys.executable, "-m", "zkg.cli.main"]
REPO = Path(__file__).resolve().parents[2]


def _zkg(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZKG_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([*ZKG, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _one_line_error(result, *fragments: str) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("zkg: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def _dump(data: Path) -> bytes:
    with Store.open(data, base_iri=TEST_BASE) as store:
        return store.dump(format="nquads")


# -- the CLI --------------------------------------------------------------------------------------


def test_cli_add_apply_and_load_refuse_ill_typed_literals(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(FIXTURE_PROJECT, project)
    data = tmp_path / "data"
    common = ["--data", data, "--base-iri", TEST_BASE]
    loaded = _zkg(
        *common, "load", "--graph-dir", project / "graph", "--ontology-dir", project / "ontology", cwd=tmp_path
    )
    assert loaded.returncode == 0, loaded.stderr
    before = _dump(data)

    fact = tmp_path / "fact.ttl"
    fact.write_text('id:alice schema:birthDate "2021-02-29"^^xsd:date .\n')
    _one_line_error(
        _zkg(*common, "add", fact, "--source", SOURCE, "--by", "Ada", cwd=tmp_path),
        '"2021-02-29" is not a valid xsd:date (2021 is not a leap year',
        "id/alice>",
    )
    patch = tmp_path / "fix.rdfp"
    patch.write_text('TX .\nA id:alice zkg:publications "128"^^xsd:byte .\nTC .\n')
    _one_line_error(
        _zkg(*common, "apply", patch, "--source", SOURCE, "--by", "Ada", cwd=tmp_path),
        '"128" is not a valid xsd:byte (out of range: -128 to 127)',
    )

    bad = project / "graph" / "sources" / "bad.trig"
    bad.write_text(
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n<graph/bad> {\n"
        '  <id/carol> <https://schema.org/name> "Carol"@en .\n'
        '  <id/carol> <def/publications> "twelve"^^xsd:integer .\n}\n'
    )
    line = _one_line_error(
        _zkg(*common, "load", "--graph-dir", project / "graph", "--ontology-dir", project / "ontology", cwd=tmp_path),
        '"twelve" is not a valid xsd:integer',
    )
    assert re.search(r"bad\.trig:4: ", line), line

    assert _dump(data) == before
    log = data / LOG_FILE
    assert not log.exists() or "TX" not in log.read_text()


# -- zkg load, in process -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content,line,fragment",
    [
        (
            '<graph/a> {\n<id/x> <def/note> "a\x00b" .\n}\n',
            2,
            'the literal "a\\u0000b" contains the character U+0000 (NUL)',
        ),
        ('<graph/a> {\n<id/x> <def/note> "a\\u0000b"@en .\n}\n', 2, "U+0000 (NUL)"),
        (
            '<graph/a> { <id/x> <def/size> "1e"^^<http://www.w3.org/2001/XMLSchema#double> . }\n',
            1,
            '"1e" is not a valid xsd:double',
        ),
        (
            '<graph/a> { <id/x> <def/at> "2020-01-01T10:00:00+15:00"^^<http://www.w3.org/2001/XMLSchema#dateTime> . }\n',
            1,
            "timezone +15:00 is not between -14:00 and +14:00",
        ),
    ],
    ids=["raw-nul", "escaped-nul-language-string", "double", "timezone"],
)
def test_load_refuses_a_source_file_naming_file_line_and_literal(tmp_path, content, line, fragment):
    (tmp_path / "graph").mkdir()
    (tmp_path / "ontology").mkdir()
    (tmp_path / "graph" / "a.trig").write_text(content, encoding="utf-8")
    store = Store.open(base_iri=TEST_BASE)
    with pytest.raises(DataError) as refused:
        store.load_sources(graph_dir=tmp_path / "graph", ontology_dir=tmp_path / "ontology")
    assert fragment in refused.value.message
    assert refused.value.line == line and f"a.trig:{line}: " in refused.value.message
    assert len(store.oxigraph) == 0


def test_load_refuses_an_ill_typed_literal_in_the_vocabulary(tmp_path):
    shutil.copytree(FIXTURE_PROJECT, tmp_path / "project")
    vocabulary = tmp_path / "project" / "ontology" / "vocabulary.ttl"
    vocabulary.write_text(
        vocabulary.read_text() + "\n<def/role> <http://example.org/since> "
        '"--13"^^<http://www.w3.org/2001/XMLSchema#gMonth> .\n'
    )
    with pytest.raises(DataError, match=r'vocabulary\.ttl:\d+: "--13" is not a valid xsd:gMonth \(month 13'):
        Store.open(base_iri=TEST_BASE).load_sources(
            graph_dir=tmp_path / "project" / "graph", ontology_dir=tmp_path / "project" / "ontology"
        )


def test_the_bulk_load_path_refuses_before_it_drops_anything(tmp_path):
    shutil.copytree(FIXTURE_PROJECT, tmp_path / "project")
    graph_dir, ontology_dir = tmp_path / "project" / "graph", tmp_path / "project" / "ontology"
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=graph_dir, ontology_dir=ontology_dir)
    before = store.dump(format="nquads")
    source = graph_dir / "sources" / "example-source.trig"
    source.write_text(source.read_text().replace('"1970-01-01"^^xsd:date', '"1970-02-30"^^xsd:date'))
    with pytest.raises(DataError, match=r'example-source\.trig:\d+: "1970-02-30" is not a valid xsd:date'):
        store.load_sources(graph_dir=graph_dir, ontology_dir=ontology_dir, bulk_threshold=0)
    assert store.dump(format="nquads") == before


def test_the_project_data_and_the_benchmark_generator_hold_no_refused_literal(tmp_path):
    sources = loading.discover_sources(graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR, base_iri=TEST_BASE)
    assert loading.parse_sources(sources, TEST_BASE).total > 1000
    from benchmarks import generate

    generate.generate(3000, tmp_path / "generated")
    generated = loading.discover_sources(
        graph_dir=tmp_path / "generated" / "graph", ontology_dir=ONTOLOGY_DIR, base_iri=TEST_BASE
    )
    assert loading.parse_sources(generated, TEST_BASE).total >= 3000


# -- the curate form, removal and revert ----------------------------------------------------------


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def test_the_curate_form_refuses_a_date_that_is_not_a_day(tmp_path):
    cur = make_curation(tmp_path)
    form = cur.client.get("/sign-in").get_data(as_text=True)
    assert cur.client.post("/sign-in", data={"token": cur.write_token, "csrf_token": _csrf(form)}).status_code == 303
    page = cur.client.get("/page/id/alice").get_data(as_text=True)
    before = cur.store.dump(format="nquads")
    fields = {
        "csrf_token": _csrf(page),
        "subject": f"{TEST_BASE}id/alice",
        "property": "schema:birthDate",
        "kind": "date",
        "value": "2021-02-29",
        "source": SOURCE,
    }
    response = cur.client.post("/curate/statement", data=fields)
    assert response.status_code == 400
    assert "2021 is not a leap year: February has 28 days" in response.get_data(as_text=True)
    assert cur.store.dump(format="nquads") == before
    accepted = cur.client.post("/curate/statement", data={**fields, "value": "2020-02-29"})
    assert accepted.status_code == 303, accepted.get_data(as_text=True)


def test_a_bad_literal_already_in_the_store_can_be_removed_but_not_put_back(tmp_path):
    cur = make_curation(tmp_path)
    bad = f'{ALICE} {TITLE} "twelve"^^<{XSD}integer>'
    cur.store.update(f"INSERT DATA {{ GRAPH <{GRAPH}> {{ {bad} }} }}")  # as an older zkg might have let in
    removed = cur.update(f"DELETE DATA {{ GRAPH <{GRAPH}> {{ {bad} }} }}")
    assert removed.status_code == 200, removed.get_data(as_text=True)
    assert not cur.store.query(f"ASK {{ GRAPH <{GRAPH}> {{ {bad} }} }}")
    log = ChangeLog.for_store(cur.store)
    with pytest.raises(IllTypedLiteral, match='"twelve" is not a valid xsd:integer'):
        revert(cur.store, removed.headers["ZKG-Changeset"], log=log, agent="Reviewer")
    assert not cur.store.query(f"ASK {{ GRAPH <{GRAPH}> {{ {bad} }} }}")


def test_the_changeset_message_and_citation_may_not_hold_nul(tmp_path):
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    log = ChangeLog.for_store(store)
    quads = parse_quads(f'{ALICE} {TITLE} "Director" .', format=ox.RdfFormat.TURTLE, base_iri=TEST_BASE)
    before = store.dump(format="nquads")
    for message, source in (("a\x00b", SOURCE), ("", "a talk\x00, 2016")):
        changeset = Changeset.new(base_iri=TEST_BASE, agent="Ada", source=source, message=message, additions=quads)
        with pytest.raises(IllTypedLiteral, match=r"U\+0000 \(NUL\)"):
            apply_changeset(store, changeset, log=log)
    assert store.dump(format="nquads") == before and not log.entries()


# -- a live zkg serve on the managed engine (RemoteStore) -----------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    data = tmp_path_factory.mktemp("lexical-live") / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE, graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    token = tokens.create(data, "lexical", scope=tokens.WRITE)
    server = LiveServer(data, base_iri=TEST_BASE, options=("--threads", "2", "--workers", "1"))
    deadline = time.monotonic() + 60  # generous: a loaded two-core machine
    while not _answers(server):
        assert time.monotonic() < deadline, f"zkg serve did not answer: {server.log()[-500:]}"
        time.sleep(0.2)
    server.headers = {"Authorization": f"Bearer {token}", "ZKG-Source": SOURCE}
    yield server
    server.stop()


def _answers(server) -> bool:
    try:
        return requests.get(server.sparql, params={"query": "ASK {}"}, timeout=30).status_code == 200
    except requests.RequestException:
        return False


def _written(live) -> bool:
    answer = requests.get(
        live.sparql,
        params={"query": f"ASK {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    return answer.json()["boolean"]


@pytest.mark.parametrize(
    "kind,body",
    [
        ("upload", f'{ALICE} {TITLE} "maybe"^^<{XSD}boolean> .'),
        ("upload", f'{ALICE} {TITLE} "a\\u0000b" .'),
        ("update", f'INSERT DATA {{ GRAPH <{GRAPH}> {{ {ALICE} {TITLE} "128"^^<{XSD}byte> }} }}'),
        (
            "update",
            f'INSERT {{ GRAPH <{GRAPH}> {{ {ALICE} {TITLE} ?v }} }} WHERE {{ BIND(STRDT("twelve", <{XSD}integer>) AS ?v) }}',
        ),
    ],
    ids=["upload-boolean", "upload-nul", "update-byte", "update-where-integer"],
)
def test_a_live_server_on_the_engine_refuses_them_too(live, kind, body):
    if kind == "upload":
        response = requests.put(
            live.url + "graph-store",
            params={"graph": GRAPH},
            data=body.encode(),
            timeout=60,
            headers={**live.headers, "Content-Type": "text/turtle"},
        )
    else:
        response = requests.post(
            live.sparql,
            data=body.encode(),
            timeout=60,
            headers={**live.headers, "Content-Type": "application/sparql-update"},
        )
    assert response.status_code == 400, response.text
    assert response.text.startswith("refused: ") and "Traceback" not in response.text
    assert not _written(live)


def test_a_live_server_on_the_engine_accepts_a_valid_edge_case(live):
    response = requests.post(
        live.sparql,
        timeout=60,
        headers={**live.headers, "Content-Type": "application/sparql-update"},
        data=f'INSERT DATA {{ GRAPH <{GRAPH}-ok> {{ {ALICE} {TITLE} "2024-02-29"^^<{XSD}date> }} }}',
    )
    assert response.status_code == 200, response.text
    assert live.engine_pids(), "zkg serve runs no engine process: not the RemoteStore path"
