"""The remote engine's conformance probe (zkg.store.engine_probe) against real engines: what
``zkg serve --store`` says the engine does, serving read-only when it refuses updates, and
refusing to start, in one line, in front of something that is no SPARQL engine."""

from __future__ import annotations

import http.server
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.support.live_server import LiveServer, zkg_env
from tests.support.stub_http import serving
from tests.support.zkg_testing import TEST_BASE
from zkg.base.settings import ENGINES, Settings
from zkg.store import engine_probe, engine_profiles
from zkg.store.managed_engine import free_port
from zkg.store.opening import remote_store
from zkg.store.remote import RemoteStore

ID = TEST_BASE + "id/"
ALL_YES = "SELECT yes; ASK yes; CONSTRUCT yes; union default graph yes; updates yes"


def test_the_probe_finds_everything_zkg_needs_at_oxigraph_server(remote_spec):
    found = engine_probe.probe(RemoteStore.from_spec(remote_spec, base_iri=TEST_BASE))
    assert found.engine == "Oxigraph" and found.summary() == ALL_YES
    assert found.refusal() is None and found.writes


def test_zkg_serve_says_what_the_engine_does(remote_server):
    assert remote_server.notes == [
        f"zkg: the SPARQL engine at {remote_server_query(remote_server)} is Oxigraph: {ALL_YES}"
    ]


def remote_server_query(server: LiveServer) -> str:
    """The query URL the server was given (after --store sparql+)."""
    command = open(f"/proc/{server.pid}/cmdline", "rb").read().split(b"\0")
    return command[command.index(b"--store") + 1].decode()[len("sparql+") :]


def _write(server: LiveServer, token: str) -> tuple[int, str]:
    request = urllib.request.Request(
        server.sparql,
        data=f'INSERT DATA {{ GRAPH <{TEST_BASE}graph/reference> {{ <{ID}z-park> schema:slogan "read-only?"@en }} }}'.encode(),
        method="POST",
        headers={
            "Content-Type": "application/sparql-update",
            "Authorization": f"Bearer {token}",
            "ZKG-Source": "https://example.org/probe-test",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_an_engine_refusing_updates_is_served_read_only(remote_engine, remote_spec, tmp_path):
    # The update URL answers 404 (Oxigraph has no such route): the engine takes no update.
    refusing = f"{remote_engine}/no-update-here"
    server = LiveServer(
        tmp_path / "data",
        base_iri=TEST_BASE,
        options=("--store", remote_spec, "--update-url", refusing, "--workers", "2"),
    )
    try:
        (note,) = server.notes
        assert "SELECT yes; ASK yes; CONSTRUCT yes; union default graph yes; updates no (" in note
        token = subprocess.run(
            [sys.executable, "-m", "zkg.cli.main", "--data", str(server.data_dir), "token", "create", "probe"],
            env=zkg_env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for _ in range(4):  # both workers
            status, text = _write(server, token)
            assert status == 503, text
            assert f"the SPARQL engine at {refusing} refuses updates: zkg serves it read-only" in text
        with urllib.request.urlopen(
            server.sparql + "?query=ASK%7B%3Fs%20schema%3Aslogan%20%3Fo%7D", timeout=30
        ) as answer:
            assert answer.status == 200 and b'"boolean":false' in answer.read().replace(b" ", b"")
    finally:
        server.stop()


class _NotSparql(http.server.BaseHTTPRequestHandler):
    """A web server that is no SPARQL engine: every request gets an HTML page."""

    def _page(self) -> None:
        body = b"<html><body>hello</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _page

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def not_sparql():
    with serving(_NotSparql) as url:
        yield url + "/sparql"


def _serve_refused(store: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "zkg.cli.main", "serve", "--data", str(tmp_path / "d"), "--port", "0", "--store", store],
        env=zkg_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("where", ["closed port", "not a SPARQL engine"])
def test_no_start_in_front_of_what_cannot_serve_zkg(where, not_sparql, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/sparql" if where == "closed port" else not_sparql
    done = _serve_refused("sparql+" + url, tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith(
        f"zkg: error: the SPARQL engine at {url} cannot serve zkg (read with zkg's Oxigraph profile): "
    )
    if where == "closed port":
        assert line.endswith("the SPARQL engine is not answering ([Errno 111] Connection refused)")
    else:
        assert line.endswith("): the SPARQL engine answered with unexpected text/html content")


def test_the_engine_setting_names_a_profile_without_asking_the_engine():
    closed = f"sparql+http://127.0.0.1:{free_port()}/sparql"
    settings = Settings.from_env(environ={"ZKG_ENGINE": "Virtuoso", "ZKG_STORE": closed})
    assert remote_store(settings).engine is engine_profiles.VIRTUOSO  # no request made: the port is closed
    assert set(ENGINES) == {"auto", *engine_profiles.PROFILES}
    done = subprocess.run(
        [sys.executable, "-m", "zkg.cli.main", "serve", "--store", closed, "--engine", "fuseki"],
        env=zkg_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "zkg: error: --engine must be one of auto, oxigraph, virtuoso, got 'fuseki'"
