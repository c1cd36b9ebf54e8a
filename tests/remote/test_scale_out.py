"""Scale-out (issue 17, point 5): two ``zkg serve --store …`` front ends, separate processes
with separate data directories and runtime directories, on ONE remote engine. A curator's
write through one is seen by the other within the stated bound: the engine's version marker
is read at most once per CHECK_INTERVAL (zkg.store.engine_version), and a new marker moves
the dataset version (page, twin, ETags, search index, SPARQL answers) at once.

The bound asserted is CHECK_INTERVAL plus a slack for a loaded test machine (two cores
shared); the time measured is printed (``pytest -s``)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.parse

import pyoxigraph as ox
import pytest

from tests.remote.test_remote_engine import ID, get, post_update, sparql
from tests.support.live_server import LiveServer, zkg_env
from tests.support.zkg_testing import TEST_BASE
from zkg.base.errors import StoreError
from zkg.curation import apply, reserved
from zkg.curation.changelog import ChangeLog
from zkg.curation.changesets import Changeset
from zkg.store import engine_version, fronted_engine, opening
from zkg.store.remote import RemoteStore

#: Seconds allowed beyond CHECK_INTERVAL: one request to the engine and the search index's
#: rebuild, on a machine whose two cores run other tests too.
SLACK = 4.0
LABEL = "Scaleoutia Quarter"


@pytest.fixture(scope="module")
def front_ends(remote_spec, tmp_path_factory):
    """(A, B): two front ends on the engine, each with its own data and runtime directory
    (B with two worker processes: each has its own search index and must catch up)."""
    servers = []
    try:
        for name, workers in (("a", "1"), ("b", "2")):
            root = tmp_path_factory.mktemp(f"front-end-{name}")
            (root / "tmp").mkdir()
            servers.append(
                LiveServer(
                    root / "zkg-data",
                    base_iri=TEST_BASE,
                    options=("--store", remote_spec, "--workers", workers, "--threads", "4"),
                    env={"TMPDIR": str(root / "tmp")},
                )
            )
        yield tuple(servers)
    finally:
        for server in servers:
            server.stop()


def token_for(server) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "zkg.cli.main", "--data", str(server.data_dir), "token", "create", "scale-out"],
        env=zkg_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def searched(server, words: str) -> list[str]:
    status, _, body = get(server.url + "search?" + urllib.parse.urlencode({"q": words, "format": "json"}))
    assert status == 200
    return [hit["iri"] for hit in json.loads(body)["results"]]


def asked(server, text: str) -> bool:
    status, _, body = sparql(server, text)
    assert status == 200, body
    return bool(json.loads(body)["boolean"])


def test_the_marker_lives_in_the_metadata_graph_curators_cannot_write():
    assert engine_version.METADATA_GRAPH_NAME == reserved.METADATA_GRAPH_NAME


def test_a_write_through_one_front_end_is_seen_by_the_other_within_the_bound(front_ends):
    a, b = front_ends
    page, twin = b.url + "page/id/z-park", b.url + "data/id/z-park.ttl"
    fact = f'ASK {{ <{ID}z-park> schema:alternateName "{LABEL}"@en }}'
    _, page_before, _ = get(page, "text/html")
    _, twin_before, _ = get(twin)
    assert not asked(b, fact) and ID + "z-park" not in searched(b, "scaleoutia")
    time.sleep(engine_version.CHECK_INTERVAL)  # B has read the marker as it is before the write

    addition = (
        f'INSERT DATA {{ GRAPH <{TEST_BASE}graph/reference> {{ <{ID}z-park> schema:alternateName "{LABEL}"@en }} }}'
    )
    status, headers, text = post_update(a, addition, token_for(a))
    written = time.monotonic()
    assert status == 200 and headers.get("ZKG-Changeset"), text
    assert asked(a, fact)  # the writer knows at once

    def caught_up() -> bool:
        # Every check several times: connections spread over both of B's workers.
        for _ in range(4):
            status, headers, body = get(page, "text/html")
            if status != 200 or LABEL.encode() not in body or headers["ETag"] == page_before["ETag"]:
                return False
            if get(page, "text/html", headers={"If-None-Match": page_before["ETag"]})[0] != 200:
                return False
            status, headers, body = get(twin)
            if LABEL.encode() not in body or headers["ETag"] == twin_before["ETag"]:
                return False
            if get(twin, headers={"If-None-Match": twin_before["ETag"]})[0] != 200:
                return False
            if not asked(b, fact) or ID + "z-park" not in searched(b, "scaleoutia"):
                return False
        return True

    while not caught_up():
        assert time.monotonic() - written < engine_version.CHECK_INTERVAL + SLACK, "front end B never caught up"
        time.sleep(0.05)
    elapsed = time.monotonic() - written
    print(f"front end B saw A's write {elapsed:.2f} s after it committed")
    assert elapsed < engine_version.CHECK_INTERVAL + SLACK

    # Once caught up, B stays consistent: its new ETags answer 304 again.
    _, now, _ = get(twin)
    assert get(twin, headers={"If-None-Match": now["ETag"]})[0] == 304


# -- commands on a front end's data directory reach its engine (issue 17, point 4) ------------------

ADDED = "Added through front end B's data directory, with no store setting."


def zkg(data, *args, **env):
    """A command on ``data`` as a user types it: no ZKG_STORE, no base IRI."""
    return subprocess.run(
        [sys.executable, "-m", "zkg.cli.main", "--data", str(data), *map(str, args)],
        env=zkg_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_commands_on_a_front_ends_data_directory_reach_its_engine(front_ends, tmp_path):
    a, b = front_ends
    record = json.loads((b.data_dir / fronted_engine.RECORD_FILE).read_text(encoding="utf-8"))
    assert record["store"].endswith("/query") and record["base_iri"] == TEST_BASE
    addition = tmp_path / "addition.trig"
    addition.write_text(
        f'<{TEST_BASE}graph/reference> {{ <{ID}z-park> <https://schema.org/slogan> "{ADDED}"@en . }}\n',
        encoding="utf-8",
    )
    done = zkg(b.data_dir, "add", addition, "--by", "tester", "--source", "a test")
    assert done.returncode == 0, done.stderr
    changeset = done.stdout.split("changeset ")[1].split()[0]
    fact = f'ASK {{ <{ID}z-park> schema:slogan "{ADDED}"@en }}'
    assert zkg(a.data_dir, "query", fact).stdout.strip() == "true"  # A's directory: the same engine
    deadline = time.monotonic() + engine_version.CHECK_INTERVAL + SLACK
    while not (asked(a, fact) and asked(b, fact)):  # both servers, neither of which wrote it
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # The engine's metadata is the history's truth: every front end lists every changeset, in
    # the list and in the entity's history, and has its statements (its log caught up).
    for server in (a, b):
        for listed in (zkg(server.data_dir, "log"), zkg(server.data_dir, "log", "--entity", "id:z-park")):
            assert listed.returncode == 0 and changeset in listed.stdout, listed.stderr
        patch = zkg(server.data_dir, "log", "--patch", changeset)
        assert patch.returncode == 0 and ADDED in patch.stdout, patch.stderr
    _, _, page = get(a.url + "page/id/z-park", "text/html")
    assert changeset in page.decode("utf-8").split('id="curation"', 1)[1]
    # A changeset one front end committed is reverted through another.
    reverted = zkg(a.data_dir, "revert", changeset, "--by", "tester", "-m", "undo the test")
    assert reverted.returncode == 0 and f"reverted {changeset}" in reverted.stdout, reverted.stderr
    assert zkg(b.data_dir, "query", fact).stdout.strip() == "false"
    # zkg load never builds a local store beside a remote engine: one line says what to do.
    done = zkg(b.data_dir, "load")
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "load that engine with its own tools" in done.stderr


def test_the_engine_is_remembered_without_its_password(tmp_path):
    fronted_engine.remember(tmp_path, "sparql+http://dba:secret@db.example:8890/sparql", None, TEST_BASE)
    assert "secret" not in (tmp_path / fronted_engine.RECORD_FILE).read_text(encoding="utf-8")
    with pytest.raises(StoreError, match="needs a user name and password: give them with ZKG_STORE"):
        fronted_engine.store_setting(tmp_path)
    assert opening.remembered_base_iri(tmp_path) == TEST_BASE


# -- two front ends writing at once --------------------------------------------------------------


def test_a_change_committed_by_another_front_end_during_the_check_is_checked_again(remote_spec, tmp_path, monkeypatch):
    """Front end A removes a statement; while A validates, front end B removes it too and
    commits. A's check is done again on the engine's data as it now is: A gets a Conflict
    instead of recording the removal of a statement that was already gone."""
    stores = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        stores.append(RemoteStore.from_spec(remote_spec, base_iri=TEST_BASE, data_dir=tmp_path / name))
    a, b = stores
    logs = {store: ChangeLog.for_store(store) for store in stores}
    statement = ox.Quad(
        ox.NamedNode(ID + "z-park"),
        ox.NamedNode("https://schema.org/slogan"),
        ox.Literal("Removed by two front ends at once", language="en"),
        ox.NamedNode(TEST_BASE + "graph/reference"),
    )

    def changeset(**quads):
        return Changeset.new(base_iri=TEST_BASE, agent="tester", source="https://example.org/race", **quads)

    apply.apply_changeset(a, changeset(additions=[statement]), log=logs[a])
    judge, checks = apply.judge_change, []

    def judge_while_b_writes(store, **kwargs):
        checks.append(store)
        if store is a and len(checks) == 1:
            apply.apply_changeset(b, changeset(removals=[statement]), log=logs[b])
        return judge(store, **kwargs)

    monkeypatch.setattr(apply, "judge_change", judge_while_b_writes)
    with pytest.raises(apply.Conflict, match="not there"):
        apply.apply_changeset(a, changeset(removals=[statement]), log=logs[a])
    assert checks == [a, b]  # A's second check found the statement gone before validating again
    assert logs[a].catch_up(a) == 1  # B's changeset, from the engine
    removals = [e for e in logs[a].committed() if statement in e.changeset.removals]
    assert len(removals) == 1  # B's; none of A's
