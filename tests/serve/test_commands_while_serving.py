"""Every command works while ``zkg serve`` runs on the same data directory (issue 17, point 4):
the commands find the server's engine in the data directory's runtime record
(zkg.store.running_engine) and read and write through it, with the server's write path,
change log and lock; the app sees their writes. A stale record is ignored. No command
is given a base IRI here: the store remembers the one it was loaded with."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from tests.support.live_server import ZKG, LiveServer, zkg_env, zkg_load
from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE
from zkg.store import running_engine

ADDED = "Bob, added from the command line while serving."
ADDITION = f"""@prefix id: <{TEST_BASE}id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{TEST_BASE}graph/example-source> {{ id:bob rdfs:comment "{ADDED}"@en . }}
"""


def zkg(data, *args, stdin=None, **env):
    """A command on ``data`` as a user types it: no --base-iri, no ZKG_* variables but ``env``."""
    return subprocess.run(
        [*ZKG, "--data", str(data), *map(str, args)],
        env=zkg_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
    )


def answered(done) -> str:
    assert done.returncode == 0, done.stderr
    assert "in use" not in done.stderr
    return done.stdout


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.status, answer.headers, answer.read().decode("utf-8")


def asks(server, text: str) -> bool:
    query = urllib.parse.urlencode({"query": text})
    request = urllib.request.Request(f"{server.sparql}?{query}", headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return bool(json.loads(answer.read())["boolean"])


@pytest.fixture(params=[1, 2], ids=["one-process", "two-workers"])
def serving(request, tmp_path):
    """A data directory loaded by ``zkg load`` and served by ``zkg serve`` (one process, or
    two workers); yields (data directory, server)."""
    data = tmp_path / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE, graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    server = LiveServer(data, base_iri=TEST_BASE, options=("--workers", str(request.param)))
    try:
        from tests.support.live_server import wait_answering

        wait_answering(server)
        yield data, server
    finally:
        server.stop()


def test_every_command_answers_while_serving(serving, tmp_path):
    data, server = serving
    record = json.loads((data / running_engine.RECORD_FILE).read_text())
    assert record["server_pid"] == server.pid
    assert urllib.parse.urlsplit(record["query_url"]).hostname == "127.0.0.1"

    assert "(1 row)" in answered(zkg(data, "query", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"))
    assert answered(zkg(data, "query", "ASK { id:alice ?p ?o }")).strip() == "true"
    exported = answered(zkg(data, "export", "--format", "nquads"))
    assert f"<{TEST_BASE}id/alice>" in exported
    assert "conforms" in answered(zkg(data, "validate"))
    assert "(0 changesets)" in answered(zkg(data, "log"))
    assert "(0 tokens)" in answered(zkg(data, "token", "list"))

    _, before, _ = fetch(server.url + "page/id/bob")
    addition = tmp_path / "addition.trig"
    addition.write_text(ADDITION, encoding="utf-8")
    committed = answered(zkg(data, "add", addition, "--by", "tester", "--source", "a test", "-m", "while serving"))
    changeset = committed.split("changeset ")[1].split()[0]
    # Seen by the app at once: the endpoint, the page, and a new ETag (a new dataset version).
    assert asks(server, f'ASK {{ ?s ?p "{ADDED}"@en }}')
    status, after, page = fetch(server.url + "page/id/bob")
    assert status == 200 and ADDED in page
    assert after["ETag"] != before["ETag"]
    # Written through the server's change log: the command's log and the server's agree.
    assert changeset in answered(zkg(data, "log"))
    assert changeset in (data / "changes.rdfp").read_text(encoding="utf-8")

    reverted = answered(zkg(data, "revert", changeset, "--by", "tester", "-m", "undo the test"))
    assert f"reverted {changeset}" in reverted
    assert not asks(server, f'ASK {{ ?s ?p "{ADDED}"@en }}')
    # Gone from the description; the page's history (its "Changes and curation" section,
    # issue 16) shows it as the revert's removal.
    description, history = fetch(server.url + "page/id/bob")[2].split('id="curation"', 1)
    assert ADDED not in description
    assert "removed:" in history and ADDED in history.split("removed:", 1)[1]
    assert "reverted by" in answered(zkg(data, "log"))

    # zkg load cannot load through a server: it says so, and what to do.
    done = zkg(data, "load", "--graph-dir", FIXTURE_PROJECT / "graph", "--ontology-dir", FIXTURE_PROJECT / "ontology")
    assert done.returncode == 1 and "stop it before `zkg load`" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "zkg add" in done.stderr, done.stderr
    # A command's query past its time limit is stopped and told to the server's supervisor
    # (a signal the server hears, one process or workers); the server serves on.
    endless = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?o ?p . ?q ?r ?s }"
    done = zkg(data, "query", endless, ZKG_QUERY_TIMEOUT="1")
    assert done.returncode == 1 and "time limit" in done.stderr, done.stderr
    assert server.process.poll() is None
    deadline = time.monotonic() + 20  # the engine had not begun to answer: the server restarts it
    while "restarting the SPARQL engine" not in server.log():
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.1)
    # The restarted engine has a new port: the server publishes it, and commands find it.
    assert "(1 row)" in answered(zkg(data, "query", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"))
    assert json.loads((data / running_engine.RECORD_FILE).read_text())["generation"] >= 2
    # An explicit other base IRI is still refused, in the same words as without a server.
    done = zkg(data, "--base-iri", "https://other.example/", "query", "ASK {}")
    assert done.returncode == 1 and f"was loaded with base IRI {TEST_BASE}" in done.stderr


def test_the_record_goes_with_the_server_and_a_stale_one_is_ignored(tmp_path):
    data = tmp_path / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE, graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    server = LiveServer(data, base_iri=TEST_BASE)
    record_file = data / running_engine.RECORD_FILE
    left = record_file.read_text(encoding="utf-8")
    server.stop()
    assert not record_file.exists()  # removed at stop

    # A server killed outright leaves its record: the next command ignores it (the server
    # and its engine are gone) and opens the store itself.
    record_file.write_text(left, encoding="utf-8")
    assert answered(zkg(data, "query", "ASK { id:alice ?p ?o }")).strip() == "true"
    # Nor is a record followed that names a live process which is no engine of this store,
    # or an address off loopback.
    forged = {**json.loads(left), "server_pid": os.getpid(), "engine_pid": os.getpid()}
    record_file.write_text(json.dumps(forged), encoding="utf-8")
    assert running_engine.find(data) is None
    record_file.write_text(json.dumps({**forged, "query_url": "http://192.0.2.1:7001/query"}), encoding="utf-8")
    assert running_engine.find(data) is None
    assert "(0 changesets)" in answered(zkg(data, "log"))


def test_the_store_remembers_its_base_iri(tmp_path):
    """No server here: `zkg --data D export` on a store loaded with another base IRI than the
    default uses the recorded one (it used to refuse until --base-iri was repeated)."""
    data = tmp_path / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE, graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    assert f"<{TEST_BASE}id/alice>" in answered(zkg(data, "export", "--format", "nquads"))
    assert answered(zkg(data, "query", "ASK { <id/alice> ?p ?o }")).strip() == "true"  # relative: the recorded base
    done = zkg(data, "--base-iri", "https://other.example/", "export")
    assert done.returncode == 1 and f"was loaded with base IRI {TEST_BASE}" in done.stderr
    # ZKG_BASE_IRI is as explicit as the option.
    env_done = subprocess.run(
        [*ZKG, "--data", str(data), "export"],
        env=zkg_env(ZKG_BASE_IRI="https://other.example/"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert env_done.returncode == 1 and "was loaded with base IRI" in env_done.stderr
