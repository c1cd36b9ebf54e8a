"""The site search's index on a real ``zkg serve --workers 2`` (issue 18): ``zkg load`` builds
``search.sqlite`` once; a write through the HTTP write path is found by /search in every
worker within a second, and a renamed or removed name is gone, with no rebuild of the whole
index; a restart answers its first search from the file, again without a rebuild; a server
started on a data directory without the file builds it once at start."""

from __future__ import annotations

import time

import requests

from tests.support.live_server import LiveServer, wait_answering, zkg_load
from tests.support.zkg_testing import TEST_BASE
from zkg.curation import tokens
from zkg.linked_data.search_database import DATABASE_FILE, SearchDatabase

QUOKKA = TEST_BASE + "id/quokka-hub"
GRAPH = TEST_BASE + "graph/reference"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SOURCE = "https://example.org/search-index-test-source"
#: Requests per check, each on a new connection: the kernel spreads them over both workers.
ROUNDS = 12


def found(live: LiveServer, query: str) -> set[str]:
    """The IRIs /search answers ``query`` with, asked ROUNDS times (both workers): all alike."""
    answers = set()
    for _ in range(ROUNDS):
        response = requests.get(live.url + "search", params={"q": query, "format": "json"}, timeout=30)
        assert response.status_code == 200, response.text[:300]
        answers.add(frozenset(hit["iri"] for hit in response.json()["results"]))
    assert len(answers) == 1, answers
    return set(next(iter(answers)))


def builds(data) -> int:
    database = SearchDatabase(data / DATABASE_FILE)
    try:
        return database.builds()
    finally:
        database.close()


def write(live: LiveServer, token: str, text: str) -> float:
    """A SPARQL Update through the write path; returns when its answer came."""
    response = requests.post(
        live.sparql,
        data=text.encode("utf-8"),
        timeout=60,
        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {token}", "ZKG-Source": SOURCE},
    )
    assert response.status_code == 200, response.text
    return time.monotonic()


def searchable_within(live: LiveServer, query: str, wanted: bool, since: float) -> float:
    """Seconds from ``since`` until /search shows (or no longer shows) QUOKKA for ``query``."""
    while (QUOKKA in found(live, query)) != wanted:
        assert time.monotonic() - since < 10, (query, wanted)
        time.sleep(0.02)
    return time.monotonic() - since


def test_a_write_is_searchable_at_once_in_every_worker_and_a_restart_rebuilds_nothing(tmp_path):
    data = tmp_path / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE)
    assert (data / DATABASE_FILE).exists() and builds(data) == 1  # zkg load built it
    token = tokens.create(data, "search-index", scope=tokens.WRITE)
    options = ("--workers", "2", "--threads", "2")
    live = LiveServer(data, base_iri=TEST_BASE, options=options, env={"ZKG_RATE_LIMIT": "0"})
    try:
        wait_answering(live)
        assert QUOKKA not in found(live, "quokka")
        assert TEST_BASE + "id/z-park" in found(live, "z-park")

        done = write(
            live, token, f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <{QUOKKA}> <{LABEL}> "Quokka Innovation Hub"@en }} }}'
        )
        assert searchable_within(live, "quokka innovation", True, done) < 1.0
        assert QUOKKA in found(live, "quoka hub")  # a typo: the word index has the new words

        # Renamed: the old name is gone, the new one found.
        rename = (
            f'DELETE DATA {{ GRAPH <{GRAPH}> {{ <{QUOKKA}> <{LABEL}> "Quokka Innovation Hub"@en }} }} ; '
            f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <{QUOKKA}> <{LABEL}> "Wombat Accelerator"@en }} }}'
        )
        done = write(live, token, rename)
        assert searchable_within(live, "quokka", False, done) < 1.0
        assert QUOKKA in found(live, "wombat accelerator")

        # Removed: found by nothing.
        done = write(
            live, token, f'DELETE DATA {{ GRAPH <{GRAPH}> {{ <{QUOKKA}> <{LABEL}> "Wombat Accelerator"@en }} }}'
        )
        assert searchable_within(live, "wombat", False, done) < 1.0
        assert builds(data) == 1  # every write followed, none rebuilt the index
    finally:
        live.stop()
    assert "Traceback" not in live.log_path.read_text(encoding="utf-8")

    # A restart: the first search is answered from the file as it was left.
    live = LiveServer(data, base_iri=TEST_BASE, options=options, env={"ZKG_RATE_LIMIT": "0"})
    try:
        wait_answering(live)
        started = time.monotonic()
        assert TEST_BASE + "id/z-park" in found(live, "z-park")
        assert time.monotonic() - started < 2 * ROUNDS
        assert QUOKKA not in found(live, "wombat")
        assert builds(data) == 1
    finally:
        live.stop()

    # No file (a data directory of before issue 18): the server builds it at start, once,
    # before any search asks, and the workers read it.
    for name in (DATABASE_FILE, DATABASE_FILE + "-wal", DATABASE_FILE + "-shm"):
        (data / name).unlink(missing_ok=True)
    live = LiveServer(data, base_iri=TEST_BASE, options=options, env={"ZKG_RATE_LIMIT": "0"})
    try:
        wait_answering(live)
        deadline = time.monotonic() + 60
        while not (data / DATABASE_FILE).exists() or builds(data) < 1:
            assert time.monotonic() < deadline, "the server did not build the search file"
            time.sleep(0.1)
        assert TEST_BASE + "id/z-park" in found(live, "z-park")
        assert builds(data) == 1
    finally:
        live.stop()
