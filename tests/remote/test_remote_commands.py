"""Every command follows the store setting (``ZKG_STORE``) as ``zkg serve`` does (issue 17,
point 4): on a remote engine, reads, validation, the export and the write path (checks,
change log, revert) all work, with the data directory keeping only the change log."""

from __future__ import annotations

import subprocess
import sys

from tests.support.live_server import zkg_env
from tests.support.zkg_testing import TEST_BASE

ADDED = "Added on the remote engine from the command line."
ADDITION = f"""@prefix id: <{TEST_BASE}id/> .
@prefix schema: <https://schema.org/> .
<{TEST_BASE}graph/reference> {{ id:z-park schema:slogan "{ADDED}"@en . }}
"""


def test_commands_on_a_remote_engine(remote_spec, tmp_path):
    data = tmp_path / "zkg-data"  # not made yet: reads need none, the first write makes it
    env = zkg_env(ZKG_STORE=remote_spec, ZKG_BASE_IRI=TEST_BASE, ZKG_DATA=str(data))

    def zkg(*args):
        done = subprocess.run(
            [sys.executable, "-m", "zkg.cli.main", *map(str, args)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    asked = f'ASK {{ ?s ?p "{ADDED}"@en }}'
    assert "(1 row)" in zkg("query", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    assert zkg("query", "ASK { id:z-park ?p ?o }").strip() == "true"
    assert f"<{TEST_BASE}id/z-park>" in zkg("export", "--format", "nquads")
    assert "conforms" in zkg("validate")
    assert "(0 changesets)" in zkg("log")
    assert not data.exists()

    addition = tmp_path / "addition.trig"
    addition.write_text(ADDITION, encoding="utf-8")
    committed = zkg("add", addition, "--by", "tester", "--source", "a test")
    changeset = committed.split("changeset ")[1].split()[0]
    assert zkg("query", asked).strip() == "true"
    assert changeset in zkg("log") and (data / "changes.rdfp").is_file()
    assert f"reverted {changeset}" in zkg("revert", changeset, "--by", "tester", "-m", "undo the test")
    assert zkg("query", asked).strip() == "false"
    assert "(0 tokens)" in zkg("token", "list")
