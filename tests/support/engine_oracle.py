"""The engine itself as the judge of how a text reads: a raw ``oxigraph serve`` (no sandbox,
no zkg in front) and a canary listener on loopback that counts who connects to it.

The guard's differential tests send generated texts straight to the raw engine, exactly as
zkg used to hand them on, and watch the canary: a connection means the engine read a SERVICE
or LOAD, whatever the guard thought. See tests/hardening/test_guard_differential.py.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

OXIGRAPH = str(Path(sys.executable).with_name("oxigraph"))


class Canary:
    """A loopback HTTP listener that counts connections and answers each with an empty
    SPARQL result (so an engine calling it finishes at once)."""

    BODY = b'{"head":{"vars":[]},"results":{"bindings":[]}}'
    ANSWER = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nConnection: close\r\n"
        b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
    )

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                peer, _ = self.socket.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1  # counted before any answer: the engine waits for one
            threading.Thread(target=self._answer, args=(peer,), daemon=True).start()

    def _answer(self, peer: socket.socket) -> None:
        try:
            peer.settimeout(2)
            peer.recv(65536)
            peer.sendall(self.ANSWER)
        except OSError:
            pass
        finally:
            peer.close()

    def close(self) -> None:
        self._stop = True
        self.socket.close()


class RawEngine:
    """``oxigraph serve`` on a fresh store, as it comes (its HTTP client enabled)."""

    def __init__(self, *, data: str = "", stack: str | None = None):
        self.directory = Path(tempfile.mkdtemp(prefix="zkg-oracle-"))
        probe = socket.create_server(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = None if stack is None else {"RUST_MIN_STACK": stack, "PATH": "/usr/bin:/bin"}
        self.process = subprocess.Popen(
            [OXIGRAPH, "serve", "--location", str(self.directory / "store"), "--bind", f"127.0.0.1:{self.port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.query("ASK {}")
                break
            except OSError:
                assert time.monotonic() < deadline, "oxigraph serve did not start"
                time.sleep(0.05)
        if data:
            status, body = self.update(data)
            assert status in (200, 204), body

    def _post(self, path: str, text: str, content_type: str, timeout: float) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.url + path,
            data=text.encode("utf-8"),
            headers={"Content-Type": content_type, "Accept": "application/sparql-results+json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def query(self, text: str, *, timeout: float = 10) -> tuple[int, bytes]:
        return self._post("query", text, "application/sparql-query", timeout)

    def update(self, text: str, *, timeout: float = 10) -> tuple[int, bytes]:
        return self._post("update", text, "application/sparql-update", timeout)

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def solutions(body: bytes) -> object:
    """A SPARQL JSON answer, comparable across runs (blank node labels replaced)."""
    document = json.loads(body)
    if "boolean" in document:
        return document["boolean"]
    rows = []
    for binding in document["results"]["bindings"]:
        row = {}
        for name, term in binding.items():
            row[name] = ("bnode",) if term["type"] == "bnode" else tuple(sorted(term.items()))
        rows.append(tuple(sorted(row.items())))
    return sorted(rows)
