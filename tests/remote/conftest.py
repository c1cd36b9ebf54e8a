"""Fixtures of the remote-engine tests: zkg in front of a REAL Oxigraph server.

The engine is the one named by ``ZKG_TEST_REMOTE_ENGINE`` (``http://127.0.0.1:PORT``; CI's
``.ci/run`` starts one), else one started here (``oxigraph serve`` on a temporary folder,
stopped at the end). The project's graph/ and ontology/ are loaded into it with standard
SPARQL Update (DROP ALL, then one INSERT DATA), as on any SPARQL 1.1 engine; then one
``zkg serve --store sparql+http://…/query --workers 2`` serves it for the whole session.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.support.live_server import LiveServer, zkg_env
from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE
from zkg.store import loading
from zkg.store.managed_engine import free_port, oxigraph_executable
from zkg.store.remote import RemoteStore


def _answering(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def remote_engine(tmp_path_factory):
    """The base URL of a running Oxigraph server (``http://127.0.0.1:PORT``)."""
    given = os.environ.get("ZKG_TEST_REMOTE_ENGINE", "").strip().rstrip("/")
    if given:  # started by .ci/run: give it a moment to open its store
        deadline = time.monotonic() + 30
        while not _answering(given):
            assert time.monotonic() < deadline, f"ZKG_TEST_REMOTE_ENGINE={given} does not answer SPARQL queries"
            time.sleep(0.1)
        yield given
        return
    port = free_port()
    location = tmp_path_factory.mktemp("remote-engine")
    process = subprocess.Popen(
        [oxigraph_executable(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not _answering(url):
        assert process.poll() is None and time.monotonic() < deadline, "the Oxigraph server did not start"
        time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def remote_spec(remote_engine) -> str:
    """The engine loaded with the project's data; the ``--store`` setting that names it."""
    spec = f"sparql+{remote_engine}/query"
    store = RemoteStore.from_spec(spec, base_iri=TEST_BASE)
    sources = loading.discover_sources(graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR, base_iri=TEST_BASE)
    parsed = loading.parse_sources(sources, TEST_BASE)
    store.update("DROP ALL")
    store.update(loading.replace_graphs_update(sorted(parsed.graphs), parsed.quads))
    return spec


@pytest.fixture(scope="session")
def remote_server(remote_spec, tmp_path_factory):
    """``zkg serve`` with two worker processes in front of the remote engine."""
    data = tmp_path_factory.mktemp("remote") / "zkg-data"
    server = LiveServer(
        data,
        base_iri=TEST_BASE,
        options=("--store", remote_spec, "--workers", "2", "--threads", "4", "--row-limit", "100"),
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def write_token(remote_server) -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "zkg.cli.main",
            "--data",
            str(remote_server.data_dir),
            "token",
            "create",
            "remote-tests",
        ],
        env=zkg_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
