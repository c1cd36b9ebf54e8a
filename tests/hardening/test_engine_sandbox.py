"""The engine has no network (zkg/store/engine_sandbox.py): even a query that bypasses zkg's guard,
sent straight to the engine's own loopback port, makes it connect nowhere.

Real kernel, real engine, real listeners: a TCP "canary" on loopback counts the connections
that reach it, and a DNS canary (UDP port 53 on a loopback address of its own, answering
NXDOMAIN) counts the lookups. The engine's resolver is pointed at the DNS canary through a
bind-mounted ``/etc/resolv.conf`` in a private mount namespace (tests/support/mount_namespace.py:
root and util-linux, as CI has), where ``zkg serve`` and a control engine run. The control,
an ``oxigraph serve`` started without the filter, sends the canaries the same requests' worth
of connections and lookups: that is what the sandboxed engine must not do, and proves the
counting works. Also here: the engine's thread stacks survive a long chain of ``OPTIONAL``,
and ``zkg serve`` says at start when the filter is unavailable (the kernel's refusal made
real by tests/support/seccomp_refused.py).
"""

from __future__ import annotations

import contextlib
import random
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.support.live_server import REPO, LiveServer, zkg_env, zkg_load
from tests.support.mount_namespace import MountNamespace, NamespaceUnavailable
from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE
from zkg.store import engine_sandbox
from zkg.store.local import Store
from zkg.store.managed_engine import ManagedEngine, free_port, oxigraph_executable

pytestmark = pytest.mark.slow

CANARY_HOST = "zkg-canary.test"
UNAVAILABLE = "the SPARQL engine runs without its network filter"


# -- the canaries -----------------------------------------------------------------------------------


class Canary:
    """A loopback socket that counts who reaches it. A thread answers (TCP: accepts and
    closes, so a client gives up at once; DNS: NXDOMAIN); :meth:`count` also takes what is
    still queued, so a connection or lookup made before the engine answered is counted
    without waiting."""

    def __init__(self, kind: int, address: tuple[str, int]):
        self.socket = socket.socket(socket.AF_INET, kind)
        self.socket.bind(address)
        if kind == socket.SOCK_STREAM:
            self.socket.listen(64)
        self.socket.setblocking(False)
        self.address = self.socket.getsockname()
        self.seen: list[bytes] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            if select.select([self.socket], [], [], 0.05)[0]:
                with self._lock:
                    self._take()

    def _take(self) -> None:
        while True:
            try:
                if self.socket.type == socket.SOCK_STREAM:
                    connection, _ = self.socket.accept()
                    connection.close()
                    self.seen.append(b"connection")
                else:
                    packet, sender = self.socket.recvfrom(4096)
                    self.seen.append(packet)
                    self.socket.sendto(nxdomain(packet), sender)
            except (BlockingIOError, InterruptedError):
                return

    def count(self) -> int:
        with self._lock:
            self._take()
            return len(self.seen)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.socket.close()


def nxdomain(query: bytes) -> bytes:
    """The answer "no such name" to a DNS query: its id and question, flags QR RD RA NXDOMAIN."""
    end = 12
    while end < len(query) and query[end]:
        end += query[end] + 1
    return query[:2] + b"\x81\x83" + query[4:6] + b"\0" * 6 + query[12 : end + 5]


@pytest.fixture
def tcp_canary():
    canary = Canary(socket.SOCK_STREAM, ("127.0.0.1", 0))
    yield canary
    canary.close()


@pytest.fixture(scope="module")
def namespace(tmp_path_factory):
    """A mount namespace whose resolver asks a DNS canary (its ``dns`` attribute)."""
    try:
        ns = MountNamespace()
    except NamespaceUnavailable as error:
        pytest.fail(f"the engine-sandbox tests need a private mount namespace (root, util-linux): {error}")
    address = f"127.53.{random.randrange(256)}.{random.randrange(1, 255)}"
    ns.dns = Canary(socket.SOCK_DGRAM, (address, 53))
    etc = tmp_path_factory.mktemp("etc")
    (etc / "resolv.conf").write_text(f"nameserver {address}\noptions attempts:1 timeout:1\n")
    (etc / "nsswitch.conf").write_text("hosts: files dns\n")
    for name in ("resolv.conf", "nsswitch.conf"):
        ns.run("mount", "--bind", str(etc / name), f"/etc/{name}", check=True)
    yield ns
    ns.dns.close()
    ns.close()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("sandbox") / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE, graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    return data


# -- requests straight to an engine -----------------------------------------------------------------


def send(url: str, field: str, text: str) -> bytes:
    """POST one query or update to an engine's /query or /update; its body, whatever the status
    (the engine streams results, so a failure may come after a 200 and some rows)."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode({field: text}).encode())
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.read()
    except urllib.error.HTTPError as error:
        return error.read()


def outbound_requests(engine: str, port: int) -> dict[str, bytes]:
    """SERVICE, SERVICE SILENT and LOAD toward the TCP canary, by address and by host name:
    what the guard refuses, handed to the engine (``http://127.0.0.1:PORT``) directly."""
    by_address, by_name = f"http://127.0.0.1:{port}", f"http://{CANARY_HOST}:{port}"
    answers = {}
    for name, target in (("address", by_address), ("name", by_name)):
        answers[f"SERVICE to the {name}"] = send(
            engine + "/query", "query", f"SELECT * {{ SERVICE <{target}/sparql> {{ ?s ?p ?o }} }}"
        )
        silent = f"SELECT * {{ OPTIONAL {{ SERVICE SILENT <{target}/sparql> {{ ?s ?p ?o }} }} }}"
        answers[f"SERVICE SILENT to the {name}"] = send(engine + "/query", "query", silent)
        answers[f"LOAD from the {name}"] = send(engine + "/update", "update", f"LOAD <{target}/data.ttl>")
    return answers


def engine_url(pid: int) -> str:
    """The address an engine listens on, from its command line (``--bind HOST:PORT``)."""
    arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    return "http://" + arguments[arguments.index("--bind") + 1]


def seccomp_mode(pid: int) -> str:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(line.split(":")[1].strip() for line in status.splitlines() if line.startswith("Seccomp:"))


@contextlib.contextmanager
def serving(data: Path, **options):
    server = LiveServer(data, base_iri=TEST_BASE, options=("--workers", "1"), **options)
    try:
        (engine,) = server.engine_pids()
        yield server, engine
    finally:
        server.stop()


def wait_answering(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=2) as answer:
                if answer.status == 200:
                    return
        time.sleep(0.05)
    raise AssertionError(f"the engine at {url} does not answer (exit status {process.poll()})")


# -- the tests --------------------------------------------------------------------------------------


def test_the_engine_zkg_serve_starts_connects_nowhere(namespace, data_dir, tcp_canary):
    lookups_before = namespace.dns.count()
    with serving(data_dir, prefix=namespace.prefix) as (server, engine):
        answers = outbound_requests(engine_url(engine), tcp_canary.address[1])
        assert tcp_canary.count() == 0, "the sandboxed engine connected to the canary"
        assert namespace.dns.count() == lookups_before, "the sandboxed engine sent a DNS query"
        for what, body in answers.items():
            if "SILENT" in what:
                assert b'"bindings":[{}]' in body, (what, body)  # nothing fetched, nothing failed
            elif "address" in what:
                assert b"Operation not permitted" in body, (what, body)
            else:
                assert b"failed to lookup address" in body, (what, body)
        assert b'"boolean":true' in send(engine_url(engine) + "/query", "query", "ASK { GRAPH ?g { ?s ?p ?o } }")
        assert server.engine_pids() == [engine]  # the same engine, still serving
        assert seccomp_mode(engine) == "2"  # under a seccomp filter
        assert UNAVAILABLE not in server.log()


def test_an_engine_without_the_filter_does_connect(namespace, data_dir, tmp_path, tcp_canary):
    """The control: the same requests to an ``oxigraph serve`` started without the filter reach
    both canaries, so the counts above can fail."""
    lookups_before = namespace.dns.count()
    address = f"127.0.0.1:{free_port()}"
    url = f"http://{address}"
    command = [oxigraph_executable(), "serve", "--location", str(tmp_path / "store"), "--bind", address]
    control = subprocess.Popen(
        [*namespace.prefix, *command], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_answering(url, control)
        outbound_requests(url, tcp_canary.address[1])
    finally:
        control.terminate()
        control.wait(10)
    assert tcp_canary.count() == 3  # SERVICE, SERVICE SILENT and LOAD by address
    assert namespace.dns.count() - lookups_before >= 3  # the same by name (A, and AAAA too)


def test_the_filter_denies_every_way_out_and_leaves_the_listener(tcp_canary):
    """The launcher on a small program: each way to reach the canary is denied, and a TCP
    listener can still be made (the engine's own; that it serves is the engine tests' work);
    without the launcher each way succeeds."""
    port = tcp_canary.address[1]
    probe = f"""
import socket
def attempt(make):
    try:
        make()
        return "ok"
    except OSError as error:
        return error.strerror
print(attempt(lambda: socket.create_connection(("127.0.0.1", {port}), timeout=5).close()))
print(attempt(lambda: socket.socket().sendto(b"x", socket.MSG_FASTOPEN, ("127.0.0.1", {port}))))
print(attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()))
print(attempt(lambda: socket.socket(socket.AF_UNIX).close()))
print(attempt(lambda: socket.create_server(("127.0.0.1", 0)).close()))
"""
    sandboxed = subprocess.run(
        engine_sandbox.sandboxed_command([sys.executable, "-c", probe]), capture_output=True, text=True, timeout=30
    )
    assert sandboxed.stdout.splitlines() == ["Operation not permitted"] * 4 + ["ok"], sandboxed.stderr
    assert tcp_canary.count() == 0
    plain = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)
    assert plain.stdout.splitlines() == ["ok"] * 5, plain.stderr
    assert tcp_canary.count() == 2  # connect, and sendto with TCP Fast Open


def test_a_long_chain_of_optionals_does_not_crash_the_engine(tmp_path):
    """64 MiB thread stacks: 20,000 chained ``OPTIONAL {}``, sent straight to the managed
    engine, are answered; with Rust's default 2 MiB the engine aborted at 7,000."""
    data = tmp_path / "zkg-data"
    with Store.open(data, base_iri=TEST_BASE, create=True) as store:
        store._write_own_record({"base_iri": TEST_BASE, "files": []})
    with ManagedEngine(data / "store", query_timeout=30) as engine:
        pid = engine.pid
        optionals = send(engine.query_url, "query", "SELECT * { " + "OPTIONAL {} " * 20_000 + "}")
        assert optionals == b'{"head":{"vars":[]},"results":{"bindings":[{}]}}', optionals[:200]
        assert engine.process.poll() is None and engine.pid == pid and engine.restarts == 0


def test_where_the_filter_is_unavailable():
    assert "Linux-only" in engine_sandbox.unavailable_reason("Darwin", "arm64")
    assert "riscv64" in engine_sandbox.unavailable_reason("Linux", "riscv64")
    assert engine_sandbox.unavailable_reason("Linux", "aarch64") is None
    assert engine_sandbox.unavailable_reason() is None, "this machine (and CI) must have seccomp filters"


def test_zkg_serve_says_when_the_engine_can_reach_the_network(data_dir, tcp_canary):
    """Where the kernel refuses seccomp filters, ``zkg serve`` says so in one line at start,
    and it is true: the engine connects to the canary."""
    refused = (sys.executable, str(REPO / "tests" / "support" / "seccomp_refused.py"), "--")
    with serving(data_dir, prefix=refused) as (server, engine):
        canary = f"http://127.0.0.1:{tcp_canary.address[1]}/"
        send(engine_url(engine) + "/query", "query", f"ASK {{ SERVICE <{canary}> {{}} }}")
        warnings = [line for line in server.log().splitlines() if line.strip()]
    assert warnings == [
        f"zkg: WARNING: {UNAVAILABLE} (the kernel refuses seccomp filters (Invalid argument)): "
        "it can reach the network, and only the query guard stands between clients and "
        "outbound requests (SERVICE, LOAD)"
    ]
    assert tcp_canary.count() == 1
    refused_launcher = subprocess.run(
        [*refused, *engine_sandbox.sandboxed_command(["true"])],
        capture_output=True,
        text=True,
        env=zkg_env(),
        timeout=30,
    )
    assert (refused_launcher.returncode, refused_launcher.stderr.strip()) == (
        1,
        "Error: cannot sandbox true: the kernel refuses seccomp filters (Invalid argument)",
    )  # fails closed
