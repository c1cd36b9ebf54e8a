"""`zkg add`, `remove`, `apply`, `revert`, `log` and `token`, end to end in subprocesses."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE, shipped_changesets, shipped_touching

ZKG = shutil.which("zkg", path=str(Path(sys.executable).parent)) or shutil.which("zkg")
pytestmark = pytest.mark.skipif(ZKG is None, reason="the zkg console script is not installed (pip install -e .[test])")

SOURCE = ["--source", "https://example.org/interview-2016", "--by", "Ada Curator"]


def run(*args, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZKG_")}
    return subprocess.run([ZKG, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def zkg(tmp_path):
    common = ["--data", tmp_path / "data", "--base-iri", TEST_BASE]
    loaded = run(*common, "load", "--graph-dir", GRAPH_DIR, "--ontology-dir", ONTOLOGY_DIR, cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    return lambda *args: run(*common, *args, cwd=tmp_path)


def _export(zkg) -> str:
    """The export's named graphs, as its N-Quads lines; its default graph (the set union of
    the named graphs, for another engine to load) checked to be exactly that union."""
    result = zkg("export", "--format", "nquads")
    assert result.returncode == 0
    named, union = [], set()
    for line in result.stdout.splitlines():
        (quad,) = ox.parse(line.encode(), format=ox.RdfFormat.N_QUADS)
        if isinstance(quad.graph_name, ox.DefaultGraph):
            union.add(str(ox.Triple(quad.subject, quad.predicate, quad.object)))
        else:
            named.append((line, str(ox.Triple(quad.subject, quad.predicate, quad.object))))
    assert union == {triple for _, triple in named}
    return "".join(line + "\n" for line, _ in named)


def test_add_dry_run_add_log_revert(zkg, tmp_path):
    fact = tmp_path / "fact.ttl"
    fact.write_text('id:luo-wei schema:description "Luo Wei heads the overseas arm."@en .\n')
    before = _export(zkg)

    dry = zkg("add", fact, *SOURCE, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert '+ id:luo-wei schema:description "Luo Wei heads the overseas arm."@en' in dry.stdout
    assert "conforms: 0 violation(s)" in dry.stdout and "nothing was written" in dry.stdout
    assert _export(zkg) == before

    added = zkg("add", fact, *SOURCE, "-m", "from an interview")
    assert added.returncode == 0, added.stderr
    changeset_id = re.search(r"committed changeset (\S+) \(1 addition\(s\), 0 removal\(s\)\)", added.stdout).group(1)
    assert _export(zkg) != before

    log = zkg("log")
    assert changeset_id in log.stdout and "Ada Curator" in log.stdout and "from an interview" in log.stdout
    assert f"({1 + len(shipped_changesets())} changesets)" in log.stdout  # (and the shipped sources')
    assert changeset_id in zkg("log", "--entity", "id:luo-wei").stdout
    z_park = f"{TEST_BASE}id/z-park"
    assert f"({shipped_touching(z_park)} changesets)" in zkg("log", "--entity", z_park).stdout
    patch = zkg("log", "--patch", changeset_id)
    assert patch.stdout.startswith(f"H id <{TEST_BASE}graph/changes/{changeset_id}> .")

    reverted = zkg("revert", changeset_id, "--by", "Bo Reviewer", "-m", "unsourced")
    assert reverted.returncode == 0, reverted.stderr
    assert f"reverted {changeset_id} with changeset" in reverted.stdout
    log = zkg("log", "--limit", "5").stdout
    assert f"reverts {changeset_id}" in log and "reverted by" in log and "Bo Reviewer" in log
    restored = [line for line in _export(zkg).splitlines() if "/graph/metadata>" not in line]
    assert restored == [line for line in before.splitlines() if "/graph/metadata>" not in line]


def test_revert_asks_a_reason_and_borrows_no_source(zkg, tmp_path):
    # Issue 16: `zkg revert` records its curator, their reason as the message, and a source
    # only when they give one (never the reverted changeset's).
    fact = tmp_path / "fact.ttl"
    fact.write_text('id:luo-wei schema:description "Luo Wei heads the overseas arm."@en .\n')
    added = zkg("add", fact, *SOURCE, "-m", "from an interview")
    changeset_id = re.search(r"committed changeset (\S+)", added.stdout).group(1)
    before = _export(zkg)

    silent = zkg("revert", changeset_id, "--by", "Bo Reviewer")
    assert silent.returncode == 1 and "give the reason for reverting" in silent.stderr and "-m" in silent.stderr
    assert len(silent.stderr.splitlines()) == 1 and _export(zkg) == before
    dry = zkg("revert", changeset_id, "--by", "Bo Reviewer", "--dry-run")  # records nothing: no reason needed
    assert dry.returncode == 0 and "nothing was written" in dry.stdout and _export(zkg) == before
    assert "- id:luo-wei schema:description" in dry.stdout and "source" not in dry.stdout.split("graph ")[0]

    reverted = zkg("revert", changeset_id, "--by", "Bo Reviewer", "-m", "the interview says nothing of it")
    assert reverted.returncode == 0, reverted.stderr
    revert_id = re.search(r"with changeset (\S+)", reverted.stdout).group(1)
    patch = zkg("log", "--patch", revert_id).stdout
    assert "H source" not in patch and 'H message "the interview says nothing of it"' in patch
    assert f"H reverts <{TEST_BASE}graph/changes/{changeset_id}>" in patch
    assert "https://example.org/interview-2016" not in patch
    assert f"<{TEST_BASE}id/agent/bo-reviewer>" in patch

    again = zkg("revert", revert_id, "--by", "Ada Curator", "-m", "it does", "--source", "notes of 2 May")
    assert again.returncode == 0, again.stderr
    redo_id = re.search(r"with changeset (\S+)", again.stdout).group(1)
    assert 'H source "notes of 2 May"' in zkg("log", "--patch", redo_id).stdout


def test_rejected_write_exits_1_with_the_report_and_changes_nothing(zkg, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("id:luo-wei org:memberOf id:nowhere .\n")
    before = _export(zkg)
    result = zkg("add", bad, *SOURCE)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "zkg: error: changeset rejected: 1 violation(s)"
    assert any("id:nowhere" in line and "must point to an organisation" in line for line in lines[1:])
    assert "Traceback" not in result.stderr
    assert _export(zkg) == before
    assert f"({len(shipped_changesets())} changesets)" in zkg("log").stdout  # the shipped sources' only


def test_remove_and_apply_patch(zkg, tmp_path):
    gone = tmp_path / "gone.nt"
    gone.write_text(
        f"<{TEST_BASE}id/z-park-area> <https://schema.org/description> "
        '"The land the park covers: 488 square kilometers including 16 subparks."@en .\n'
    )
    removed = zkg("remove", gone, *SOURCE)
    assert removed.returncode == 0, removed.stderr and "0 addition(s), 1 removal(s)" in removed.stdout
    stale = zkg("remove", gone, *SOURCE)
    assert stale.returncode == 1 and stale.stderr.startswith("zkg: error: the changeset conflicts with the store")

    patch = tmp_path / "fix.rdfp"
    patch.write_text(
        'TX .\nD id:luo-wei schema:name "Luo Wei"@en graph:china-daily-2016-03-05-p7 .\n'
        'A id:luo-wei schema:name "LUO Wei"@en graph:china-daily-2016-03-05-p7 .\nTC .\n'
    )
    applied = zkg("apply", patch, *SOURCE, "-m", "capitals")
    assert applied.returncode == 0, applied.stderr
    assert "LUO Wei" in zkg("query", "SELECT ?n { id:luo-wei schema:name ?n }").stdout


def test_usage_errors_are_one_line(zkg, tmp_path):
    fact = tmp_path / "fact.ttl"
    fact.write_text('id:a schema:name "A" .\n')
    missing = zkg("add", fact, "--by", "x")
    assert missing.returncode == 1 and "--source" in missing.stderr and len(missing.stderr.splitlines()) == 1
    unknown = zkg("revert", "20260101T000000000000Z-00000000", "--by", "x", "-m", "why")
    assert unknown.returncode == 1 and "no changeset" in unknown.stderr
    broken = tmp_path / "broken.ttl"
    broken.write_text("id:a schema:name .\n")
    result = zkg("add", broken, *SOURCE)
    assert result.returncode == 1 and "broken.ttl:1:" in result.stderr


def test_tokens(zkg, tmp_path):
    created = zkg("token", "create", "ci-bot")
    assert created.returncode == 0
    secret = created.stdout.strip()
    assert secret.startswith("zkg_") and "shown this once" in created.stderr
    assert zkg("token", "create", "viewer", "--read-only").returncode == 0
    listing = zkg("token", "list").stdout
    assert "ci-bot" in listing and "write" in listing and "viewer" in listing and "read" in listing
    assert secret not in listing
    stored = (tmp_path / "data" / "tokens.json").read_text()
    assert secret not in stored
    assert zkg("token", "create", "ci-bot").returncode == 1
    assert zkg("token", "revoke", "ci-bot").returncode == 0
    assert "ci-bot" not in zkg("token", "list").stdout
    assert zkg("token", "revoke", "ci-bot").returncode == 1


def test_a_reload_keeps_the_curated_removals_from_source_graphs(zkg, tmp_path):
    """A curator removes a fact of the article's graph; `zkg load` reads the article's file
    again, which still has it: the removal stands (and the load says so); reverting the removal
    and reloading brings the fact back."""
    fact = tmp_path / "fact.trig"
    graph = f"<{TEST_BASE}graph/china-daily-2016-03-05-p7>"
    fact.write_text(
        f"GRAPH {graph} {{ id:z-park schema:description \"China's first science park, a dynamic center "
        f'for innovation and entrepreneurship and the birthplace for emerging industries in China."@en }}\n'
    )
    removed = zkg("remove", fact, *SOURCE, "-m", "a test of reloads")
    assert removed.returncode == 0, removed.stderr
    changeset_id = re.search(r"committed changeset (\S+)", removed.stdout).group(1)
    # The statement in the article's graph, as an N-Quads line (the history's patches quote it too).
    description = "China's first science park, a dynamic center"

    def in_article(export: str) -> bool:
        return any(description in line and line.endswith(f"{graph} .") for line in export.splitlines())

    assert not in_article(_export(zkg))

    reloaded = zkg("load", "--graph-dir", GRAPH_DIR, "--ontology-dir", ONTOLOGY_DIR)
    assert reloaded.returncode == 0, reloaded.stderr
    assert "kept 1 curated removal(s) from the reloaded graphs" in reloaded.stdout
    assert not in_article(_export(zkg))

    assert zkg("revert", changeset_id, "--by", "Bo Reviewer", "-m", "the article says it").returncode == 0
    assert in_article(_export(zkg))
    again = zkg("load", "--graph-dir", GRAPH_DIR, "--ontology-dir", ONTOLOGY_DIR)
    assert again.returncode == 0 and "curated removal" not in again.stdout
    assert in_article(_export(zkg))


def test_blank_nodes_through_the_command_line(zkg, tmp_path):
    # A blank node whose only statement an IRI shares: `zkg apply` changes the node's value
    # (on the node: no orphan), `zkg remove` removes it by its statements, and `zkg revert`
    # of both gives the dataset back (was: "match 2 ways", and the value on a new node).
    scene = tmp_path / "lookalikes.trig"
    scene.write_text("graph:lookalikes { [ schema:value 9 ] . id:thing schema:value 9 . }\n")
    assert zkg("add", scene, *SOURCE).returncode == 0
    before = [line for line in _export(zkg).splitlines() if "/graph/metadata>" not in line]
    patch = tmp_path / "fix.rdfp"
    patch.write_text("TX .\nD _:x schema:value 9 graph:lookalikes .\nA _:x schema:value 10 graph:lookalikes .\nTC .\n")
    applied = zkg("apply", patch, *SOURCE)
    assert applied.returncode == 0, applied.stderr
    lines = [line for line in _export(zkg).splitlines() if line.endswith("/graph/lookalikes> .")]
    assert len(lines) == 2 and any(line.startswith("_:") and '"10"' in line for line in lines)
    assert any(line.startswith(f"<{TEST_BASE}id/thing>") and '"9"' in line for line in lines)
    gone = tmp_path / "gone.trig"
    gone.write_text("graph:lookalikes { [ schema:value 10 ] . }\n")
    removed = zkg("remove", gone, *SOURCE)
    assert removed.returncode == 0, removed.stderr
    for output in (removed.stdout, applied.stdout):
        changeset_id = re.search(r"committed changeset (\S+)", output).group(1)
        reverted = zkg("revert", changeset_id, "--by", "Bo Reviewer", "-m", "back as it was")
        assert reverted.returncode == 0, reverted.stderr
    assert [line for line in _export(zkg).splitlines() if "/graph/metadata>" not in line] == before


def test_add_shows_what_the_change_causes_apart_from_what_was_there(tmp_path):
    # An organisation loaded without its name (zkg load takes it; a write would not).
    from tests.support.broken_data import NAMELESS, project_with_a_nameless_organisation

    project = project_with_a_nameless_organisation(tmp_path / "project")
    common = ["--data", tmp_path / "data", "--base-iri", TEST_BASE]
    loaded = run(
        *common, "load", "--graph-dir", project / "graph", "--ontology-dir", project / "ontology", cwd=tmp_path
    )
    assert loaded.returncode == 0, loaded.stderr
    unrelated, bad = tmp_path / "unrelated.ttl", tmp_path / "bad.ttl"
    unrelated.write_text(f'{NAMELESS} schema:alternateName "Software Park"@en .\n')
    bad.write_text(f'{NAMELESS} schema:foundingDate "x" .\n')

    accepted = run(*common, "add", unrelated, *SOURCE, "--dry-run", cwd=tmp_path)
    assert accepted.returncode == 0, accepted.stderr
    assert "already in the graph before this change (not blocking: 1 violation(s), 1 warning(s)" in accepted.stdout
    assert "conforms: 0 violation(s), 0 warning(s), 0 info(s) caused by this change" in accepted.stdout

    rejected = run(*common, "add", bad, *SOURCE, cwd=tmp_path)
    assert rejected.returncode == 1
    lines = rejected.stderr.splitlines()
    assert lines[0] == (
        "zkg: error: changeset rejected: 1 violation(s) (and 1 already in the graph before this change, not blocking)"
    )
    assert lines[1] == "what this change causes (blocking: 1 violation(s), 0 warning(s), 0 info(s)):"
    apart = next(i for i, line in enumerate(lines) if line.startswith("already in the graph before this change"))
    assert any("schema:foundingDate" in line for line in lines[2:apart])
    assert any("schema:name" in line and NAMELESS in line for line in lines[apart:])
