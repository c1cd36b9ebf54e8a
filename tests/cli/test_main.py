"""The installed `zkg` console script, end to end, in subprocesses."""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE

ZKG = shutil.which("zkg", path=str(Path(sys.executable).parent)) or shutil.which("zkg")
pytestmark = pytest.mark.skipif(ZKG is None, reason="the zkg console script is not installed (pip install -e .[test])")


def run(*args, cwd, stdin=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZKG_")}
    return subprocess.run(
        [ZKG, *map(str, args)], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def assert_one_line_error(result, *fragments):
    assert result.returncode == 1, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("zkg: error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def loaded(tmp_path):
    """A data directory loaded from the fixture project through `zkg load`; returns a runner."""
    common = ["--data", tmp_path / "data", "--base-iri", TEST_BASE]
    result = run(
        *common,
        "load",
        "--graph-dir",
        FIXTURE_PROJECT / "graph",
        "--ontology-dir",
        FIXTURE_PROJECT / "ontology",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "graph:example-source" in result.stdout and "total:" in result.stdout
    return lambda *args, stdin=None: run(*common, *args, cwd=tmp_path, stdin=stdin)


def test_version(tmp_path):
    result = run("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("zkg ")


def test_load_is_idempotent_and_options_go_anywhere(loaded, tmp_path):
    first = loaded("export", "--format", "nquads").stdout
    # Global options after the subcommand work too.
    again = run(
        "load",
        "--data",
        tmp_path / "data",
        "--base-iri",
        TEST_BASE,
        "--graph-dir",
        FIXTURE_PROJECT / "graph",
        "--ontology-dir",
        FIXTURE_PROJECT / "ontology",
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr
    assert loaded("export", "--format", "nquads").stdout == first


def test_query_table(loaded):
    result = loaded("query", "SELECT ?person ?name { ?person schema:name ?name } ORDER BY ?name")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["person", "|", "name"]
    assert "id:alice" in lines[2] and '"Alice"@en' in lines[2]
    assert lines[-1] == "(3 rows)"


def test_query_csv_tsv_json(loaded):
    query = "SELECT ?name { id:bob schema:name ?name }"
    rows = list(csv.reader(io.StringIO(loaded("query", query, "--format", "csv").stdout)))
    assert rows == [["name"], ["Bob"]]
    tsv = loaded("query", query, "--format", "tsv").stdout.splitlines()
    assert tsv == ["?name", '"Bob"@en']
    data = json.loads(loaded("query", query, "--format", "json").stdout)
    assert data["head"]["vars"] == ["name"]
    assert data["results"]["bindings"] == [{"name": {"type": "literal", "value": "Bob", "xml:lang": "en"}}]


def test_query_ask_and_construct(loaded, tmp_path):
    assert loaded("query", "ASK { id:alice schema:knows id:bob }").stdout.strip() == "true"
    assert json.loads(loaded("query", "ASK { id:bob schema:knows id:alice }", "--format", "json").stdout) == {
        "head": {},
        "boolean": False,
    }
    turtle = loaded("query", "CONSTRUCT WHERE { id:alice schema:knows ?o }").stdout
    assert "id:alice schema:knows id:bob" in turtle
    ntriples = loaded("query", "CONSTRUCT WHERE { id:alice schema:knows ?o }", "--format", "ntriples").stdout
    assert ntriples.strip() == f"<{TEST_BASE}id/alice> <https://schema.org/knows> <{TEST_BASE}id/bob> ."
    jsonld = json.loads(loaded("query", "DESCRIBE id:alice", "--format", "jsonld").stdout)
    assert jsonld
    query_file = tmp_path / "q.rq"
    query_file.write_text("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    assert loaded("query", "--file", query_file, "--format", "csv").returncode == 0
    assert loaded("query", "--file", "-", "--format", "csv", stdin="ASK {}").stdout.strip() == "true"


def test_validate_and_export(loaded, tmp_path):
    result = loaded("validate")
    assert result.returncode == 0, result.stderr
    assert "Warning" in result.stdout and "id:bob" in result.stdout
    assert result.stdout.splitlines()[-1] == "conforms: 0 violation(s), 1 warning(s), 0 info(s)"
    trig = loaded("export").stdout
    assert trig.startswith("@prefix ") and "graph:example-source {" in trig
    assert loaded("export", "--output", tmp_path / "out.trig").returncode == 0
    assert (tmp_path / "out.trig").read_text() == trig
    assert loaded("export", "--format", "nquads").stdout == loaded("export", "--format", "nquads").stdout


def test_validate_exits_1_on_violations(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(FIXTURE_PROJECT, project)
    source = project / "graph" / "sources" / "example-source.trig"
    source.write_text(source.read_text().replace('schema:name "Bob"@en ;', ""))
    common = ["--data", tmp_path / "data", "--base-iri", TEST_BASE]
    assert (
        run(
            *common, "load", "--graph-dir", project / "graph", "--ontology-dir", project / "ontology", cwd=tmp_path
        ).returncode
        == 0
    )
    result = run(*common, "validate", cwd=tmp_path)
    assert result.returncode == 1 and "Violation" in result.stdout and "a person needs a name" in result.stdout
    assert result.stderr == ""


def test_error_bad_sparql(loaded):
    assert_one_line_error(loaded("query", "SELECT ?x WHERE { ?x }"), "SPARQL syntax error", "1:")


def test_error_bad_format_for_the_query_form(loaded):
    assert_one_line_error(loaded("query", "SELECT * {}", "--format", "turtle"), "--format turtle")
    assert_one_line_error(loaded("query", "CONSTRUCT WHERE {}", "--format", "csv"), "--format csv")


def test_error_missing_store(tmp_path):
    for command in (["query", "ASK {}"], ["validate"], ["export"]):
        result = run("--data", tmp_path / "nothing", *command, cwd=tmp_path)
        assert_one_line_error(result, "no store at", "run `zkg load` first")
    assert not (tmp_path / "nothing").exists()


def test_error_unparseable_file_leaves_store_unchanged(loaded, tmp_path):
    before = loaded("export", "--format", "nquads").stdout
    project = tmp_path / "project"
    shutil.copytree(FIXTURE_PROJECT, project)
    (project / "graph" / "sources" / "broken.trig").write_text(
        '@prefix id: <id/> .\n<graph/x> {\n  id:a id:b "oops .\n}\n'
    )
    result = loaded("load", "--graph-dir", project / "graph", "--ontology-dir", project / "ontology")
    assert_one_line_error(result, "broken.trig:3:")
    assert loaded("export", "--format", "nquads").stdout == before


def test_error_bad_base_iri_and_settings(loaded, tmp_path):
    assert_one_line_error(run("--base-iri", "zkg.example.org", "query", "ASK {}", cwd=tmp_path), "--base-iri")
    assert_one_line_error(
        loaded("--base-iri", "https://other.example/", "query", "ASK {}"),
        "was loaded with base IRI",
        "zkg load --base-iri https://other.example/",
    )
    env_result = subprocess.run(
        [ZKG, "--data", tmp_path / "data", "query", "ASK {}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "ZKG_PORT": "abc"},
    )
    assert_one_line_error(env_result, "ZKG_PORT")


def test_error_usage(tmp_path):
    assert_one_line_error(run("query", cwd=tmp_path))
    assert_one_line_error(run("frobnicate", cwd=tmp_path))
    assert_one_line_error(run("export", "--format", "rdfxml", cwd=tmp_path))


def test_error_locked_store(loaded, tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from zkg.store.local import Store; s = Store.open(sys.argv[1], base_iri=sys.argv[2]); "
            "print('ready', flush=True); sys.stdin.read()",
            str(tmp_path / "data"),
            TEST_BASE,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert_one_line_error(loaded("query", "ASK {}"), "in use by another process", "zkg serve")
        assert_one_line_error(
            loaded("load", "--graph-dir", FIXTURE_PROJECT / "graph", "--ontology-dir", FIXTURE_PROJECT / "ontology"),
            "in use by another process",
        )
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert loaded("query", "ASK {}").returncode == 0


def test_a_reader_that_goes_away_is_no_error(loaded, tmp_path):
    """`zkg query … | head -1`: the pipe closes early; zkg ends quietly, as Unix tools do."""
    command = [
        ZKG,
        "--data",
        str(tmp_path / "data"),
        "--base-iri",
        TEST_BASE,
        "query",
        "SELECT ?s ?o ?b WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 20000",
    ]  # (more than a pipe holds)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZKG_")}
    zkg = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    zkg.stdout.readline()
    zkg.stdout.close()  # the reader is gone
    _, errors = zkg.communicate(timeout=60)
    assert zkg.returncode == 0 and errors == b"", errors


def test_query_refuses_what_the_endpoint_refuses(loaded):
    assert_one_line_error(loaded("query", "SELECT * { SERVICESILENT<http://127.0.0.1:9/>{} }"), "SERVICE at line 1")
    assert_one_line_error(loaded("query", "SELECT * { ?s ?p ?o } LIMIT10"), "'LIMIT10' is no SPARQL keyword")
