"""The base IRI follows the address zkg serves on, and ``zkg serve`` refuses a base IRI that
would not dereference where it listens (its links would all be dead), unless a proxy serves it."""

from __future__ import annotations

import socket
import subprocess
import urllib.request

import pytest

from tests.support.live_server import ZKG, LiveServer, zkg_env, zkg_load
from tests.support.zkg_testing import FIXTURE_PROJECT
from zkg.base.settings import Settings, default_base_iri
from zkg.serve.address import refusal, why_not_served


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the default base IRI ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, "http://localhost:8080/"),
        ({"ZKG_PORT": "9000"}, "http://localhost:9000/"),
        ({"ZKG_PORT": "80"}, "http://localhost/"),
        ({"ZKG_HOST": "0.0.0.0", "ZKG_PORT": "8081"}, "http://localhost:8081/"),
        ({"ZKG_HOST": "::1", "ZKG_PORT": "8081"}, "http://localhost:8081/"),
        ({"ZKG_HOST": "192.0.2.7", "ZKG_PORT": "8081"}, "http://192.0.2.7:8081/"),
        ({"ZKG_HOST": "2001:db8::7", "ZKG_PORT": "8081"}, "http://[2001:db8::7]:8081/"),
        ({"ZKG_HOST": "zkg.lan"}, "http://zkg.lan:8080/"),
        ({"ZKG_PORT": "0"}, "http://localhost:8080/"),  # any free port: nothing to follow
        ({"ZKG_PORT": "9000", "ZKG_BASE_IRI": "https://zkg.example/"}, "https://zkg.example/"),
    ],
)
def test_the_default_base_iri_follows_host_and_port(environ, expected):
    assert Settings.from_env(environ=environ).base_iri == expected


def test_an_option_moves_the_default_base_iri_as_the_variable_does():
    assert Settings.from_env(environ={"ZKG_PORT": "9000"}, port="9100").base_iri == "http://localhost:9100/"
    assert default_base_iri("127.0.0.1", 9100) == "http://localhost:9100/"


# -- what dereferences where ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "base, host, port",
    [
        ("http://localhost:8080/", "127.0.0.1", 8080),
        ("http://127.0.0.1:8080/", "localhost", 8080),
        ("http://[::1]:8080/", "127.0.0.1", 8080),
        ("http://localhost/", "127.0.0.1", 80),
        ("http://zkg.example.org:8080/", "0.0.0.0", 8080),
        ("http://zkg.example.org/", "::", 80),
        ("http://zkg.lan:8080/", "192.0.2.7", 8080),  # a name is taken at its word (no DNS)
        ("http://192.0.2.7:8080/", "192.0.2.7", 8080),
    ],
)
def test_a_base_iri_served_where_it_points(base, host, port):
    assert why_not_served(base, host, port) is None
    assert refusal(base, host, port) is None


@pytest.mark.parametrize(
    "base, host, port, reason",
    [
        ("http://localhost:8080/", "127.0.0.1", 9000, "port 8080, not 9000"),
        ("http://localhost/", "127.0.0.1", 8080, "port 80, not 8080"),
        ("https://zkg.example.org/", "0.0.0.0", 443, "https"),
        ("http://zkg.example.org/zkg/", "0.0.0.0", 80, "path is /zkg/"),
        ("http://zkg.test/", "127.0.0.1", 80, "reachable only from this machine"),
        ("http://192.0.2.8:8080/", "192.0.2.7", 8080, "address 192.0.2.8"),
        ("http://localhost:8080/", "192.0.2.7", 8080, "not on a loopback address"),
    ],
)
def test_a_base_iri_that_would_leave_dead_links(base, host, port, reason):
    assert reason in why_not_served(base, host, port)
    message = refusal(base, host, port)
    assert "--behind-proxy" in message and "--base-iri" in message and "\n" not in message


# -- zkg serve -----------------------------------------------------------------------------------


def serve(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ZKG, "serve", *args], env=zkg_env(**(env or {})), capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def loaded(tmp_path):
    """A store of the fixture project loaded with nothing set: base http://localhost:8080/."""
    data = tmp_path / "zkg-data"
    zkg_load(data, base_iri=None, graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    return data


def test_serve_refuses_a_base_iri_its_port_does_not_serve(loaded):
    port = str(free_port())
    done = serve("--data", str(loaded), "--base-iri", "http://localhost:8080/", "--port", port)
    assert done.returncode == 1 and done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("zkg: error: the base IRI http://localhost:8080/ does not dereference where zkg serves")
    assert f"it names port 8080, not {port}" in line and f"--base-iri http://localhost:{port}/" in line


def test_serve_on_any_free_port_checks_the_port_it_got(loaded):
    done = serve("--data", str(loaded), "--base-iri", "http://localhost:8080/", "--port", "0")
    assert done.returncode == 1 and "does not dereference where zkg serves" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_serve_with_workers_refuses_too(loaded):
    done = serve("--data", str(loaded), "--base-iri", "http://localhost:8080/", "--port", "0", "--workers", "2")
    assert done.returncode == 1 and "does not dereference where zkg serves" in done.stderr


def test_a_port_set_for_serve_only_says_to_load_again(loaded):
    """``zkg load`` then ``ZKG_PORT=… zkg serve``: the store's IRIs point to 8080; serve says how."""
    done = serve("--data", str(loaded), env={"ZKG_PORT": str(free_port())})
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert "was loaded with base IRI http://localhost:8080/" in line


def test_behind_a_proxy_the_base_is_served_as_told(loaded):
    server = LiveServer(loaded, base_iri="http://localhost:8080/", behind_proxy=True)
    try:
        with urllib.request.urlopen(server.sparql + "?query=ASK%7B%7D", timeout=30) as answer:
            assert answer.status == 200
    finally:
        server.stop()


def test_the_variable_says_behind_a_proxy_too(loaded):
    server = LiveServer(loaded, base_iri="http://localhost:8080/", behind_proxy=False, env={"ZKG_BEHIND_PROXY": "1"})
    server.stop()


@pytest.mark.parametrize("workers", ["1", "2"])  # one process (waitress binds), or a pool (zkg binds)
def test_load_and_serve_on_one_port_link_where_they_serve(tmp_path, workers):
    """The issue's case: ZKG_PORT set, no base IRI given; every link on a page is live."""
    port = str(free_port())
    data = tmp_path / "zkg-data"
    graph, ontology = FIXTURE_PROJECT / "graph", FIXTURE_PROJECT / "ontology"
    zkg_load(data, base_iri=None, graph_dir=graph, ontology_dir=ontology, env={"ZKG_PORT": port})
    server = LiveServer(data, base_iri=None, behind_proxy=False, env={"ZKG_PORT": port, "ZKG_WORKERS": workers})
    try:
        assert server.url == f"http://127.0.0.1:{port}/"
        query = "SELECT ?s { ?s ?p ?o } LIMIT 1"
        with urllib.request.urlopen(server.sparql + "?query=" + urllib.request.quote(query), timeout=30) as answer:
            body = answer.read().decode()
        iri = body.split('"value":"', 1)[1].split('"', 1)[0]
        assert iri.startswith(f"http://localhost:{port}/")
        with urllib.request.urlopen(iri, timeout=30) as followed:  # it dereferences: 303, then the page
            assert followed.status == 200 and "text/html" in followed.headers["Content-Type"]
    finally:
        server.stop()
