"""The sources curated after the first article: shipped as changesets (graph/changes/), applied
by `zkg load` through the one write path, in history, attributed, each in its own graph.

Every test runs the real `zkg load` on the repository's own graph/ and ontology/."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE
from zkg.curation.shipped_changes import read_changeset, shipped_files

ZKG = shutil.which("zkg", path=str(Path(sys.executable).parent)) or shutil.which("zkg")

#: The sources, the graph each fills, and the document's address (the changeset's source).
SOURCES = {
    "china-daily-2008-03-31-p2": "http://covid-19.chinadaily.com.cn/bw/2008-03/31/content_6576612.htm",
    "beijing-haidian-2016-08-25": "http://www.beijing-haidian.com/2016/0825/40602.html",
    "china-daily-2018-04-11": "http://www.chinadaily.com.cn/m/beijing/zhongguancun/2018-04/11/content_36018424.htm",
}


def run(*args, cwd, graph_dir=GRAPH_DIR):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZKG_")}
    dirs = ["--graph-dir", graph_dir, "--ontology-dir", ONTOLOGY_DIR] if args and args[-1] == "load" else []
    return subprocess.run(
        [ZKG, *map(str, args), *map(str, dirs)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The repository's data loaded by `zkg load` at the test base IRI (not the files' own)."""
    root = tmp_path_factory.mktemp("shipped")
    common = ["--data", root / "data", "--base-iri", TEST_BASE]
    result = run(*common, "load", cwd=root)
    assert result.returncode == 0, result.stderr
    return root, result, lambda *args: run(*common, *args, cwd=root)


def select(zkg, query: str) -> list[dict]:
    result = zkg("query", "--format", "json", query)
    assert result.returncode == 0, result.stderr
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(result.stdout)["results"]["bindings"]]


def test_the_load_applies_each_shipped_changeset_and_says_so(loaded):
    _, result, _ = loaded
    assert f"shipped changesets: {len(SOURCES)} applied, 0 already in the change log" in result.stdout


def test_each_source_has_its_own_graph_described_with_its_address(loaded):
    _, _, zkg = loaded
    for name, url in SOURCES.items():
        rows = select(
            zkg,
            f"""SELECT ?doc ?url ?publisher ?date (COUNT(*) AS ?n) WHERE {{
                GRAPH <{TEST_BASE}graph/{name}> {{ ?s ?p ?o }}
                <{TEST_BASE}graph/{name}> prov:wasDerivedFrom ?doc .
                ?doc schema:url ?url ; schema:publisher ?publisher ; schema:datePublished ?date .
            }} GROUP BY ?doc ?url ?publisher ?date""",
        )
        assert len(rows) == 1, (name, rows)
        assert rows[0]["url"] == url and int(rows[0]["n"]) > 10, rows


def test_each_is_in_history_as_the_curator_made_it(loaded, tmp_path):
    _, _, zkg = loaded
    log = zkg("log", "--limit", "50")
    assert log.returncode == 0, log.stderr
    for path in shipped_files(GRAPH_DIR):
        changeset = read_changeset(path, base_iri=TEST_BASE)
        line = next((row for row in log.stdout.splitlines() if row.startswith(changeset.id)), None)
        assert line is not None, (changeset.id, log.stdout)
        assert changeset.source in line and changeset.time.strftime("%Y-%m-%dT%H:%M:%S") in line
        # The patch the log gives back is the shipped one, read under this base IRI.
        patch = zkg("log", "--patch", changeset.id)
        shipped = path.read_text(encoding="utf-8").replace("http://localhost:8080/", TEST_BASE)
        assert sorted(filter(None, patch.stdout.split("\n"))) == sorted(filter(None, shipped.split("\n")))


def test_a_second_load_applies_nothing_and_keeps_the_history(loaded):
    root, _, zkg = loaded
    before = zkg("export", "--format", "nquads").stdout
    again = run("--data", root / "data", "--base-iri", TEST_BASE, "load", cwd=root)
    assert again.returncode == 0, again.stderr
    assert f"0 applied, {len(SOURCES)} already in the change log" in again.stdout
    assert zkg("export", "--format", "nquads").stdout == before  # history included: nothing lost
    assert f"({len(SOURCES)} changesets)" in zkg("log").stdout


def test_a_triple_two_sources_state_is_in_both_graphs(loaded):
    _, _, zkg = loaded
    rows = select(zkg, "SELECT ?g WHERE { GRAPH ?g { id:z-park schema:foundingDate ?d } }")
    assert sorted(r["g"].rsplit("/", 1)[-1] for r in rows) == ["china-daily-2008-03-31-p2", "china-daily-2016-03-05-p7"]


def test_a_curators_change_stays_in_history_after_a_reload(tmp_path):
    """`zkg load` replaces the metadata graph from its file: the history in it is put back."""
    common = ["--data", tmp_path / "data", "--base-iri", TEST_BASE]
    assert run(*common, "load", cwd=tmp_path).returncode == 0
    change = tmp_path / "change.ttl"
    change.write_text('<http://zkg.test/id/z-park> <https://schema.org/alternateName> "ZGC Park"@en .\n')
    added = run(*common, "add", change, "--source", "https://example.org/talk", "--by", "Ann Lee", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    changeset_id = re.search(r"changeset (\S+)", added.stdout).group(1)
    assert run(*common, "load", cwd=tmp_path).returncode == 0
    log = run(*common, "log", "--entity", "id:z-park", cwd=tmp_path).stdout
    assert changeset_id in log and "https://example.org/talk" in log, log


def test_a_shipped_file_that_is_no_changeset_is_one_line_of_error(tmp_path):
    graph_dir = tmp_path / "graph"
    shutil.copytree(GRAPH_DIR, graph_dir)
    (graph_dir / "changes" / "99-broken.rdfp").write_text('TX .\nA <id/x> <https://schema.org/name> "X" .\nTC .\n')
    result = run("--data", tmp_path / "data", "--base-iri", TEST_BASE, "load", cwd=tmp_path, graph_dir=graph_dir)
    assert result.returncode == 1, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("zkg: error: ") and "99-broken.rdfp" in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout
