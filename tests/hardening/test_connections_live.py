"""A client that holds sockets open cannot starve others (issue 13, item 5), and request
headers are small, on a real ``zkg serve`` with one worker process and with two.

- 210 sockets from 127.0.0.1, idle, with half the headers sent, or trickling a body a byte
  at a time (waitress serves 100 connections per process and closed none of them for 120 s):
  past ``ZKG_CONNECTIONS_PER_CLIENT`` they are answered 429 and closed at once, counted once for
  all worker processes; a request from 127.0.0.2 (another client on loopback) is answered
  within 1 s; and the sockets kept are closed after ``ZKG_REQUEST_READ_TIMEOUT`` (408 for
  those that had sent part of a request), trickling ones included.
- What a legitimate client needs still works: a kept-alive connection used now and then
  for longer than the deadline, and a response read slowly for longer than the deadline.
- Headers: one past 8 KiB is 431 naming it; headers past 64 KiB together are 431 as soon as
  those bytes are in, without waiting for the rest (:mod:`zkg.serve.http_server`).

Two servers; about 30 s in all.
"""

from __future__ import annotations

import select
import shutil
import socket
import threading
import time
import urllib.parse

import pytest

from tests.support.live_server import LiveServer, wait_answering, zkg_load
from tests.support.zkg_testing import TEST_BASE

pytestmark = pytest.mark.slow

PER_CLIENT = 16
READ_TIMEOUT = 2.0
SOCKETS = 210
SECOND_CLIENT = "127.0.0.2"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    template = tmp_path_factory.mktemp("connections-template") / "zkg-data"
    zkg_load(template, base_iri=TEST_BASE)
    return template


@pytest.fixture(scope="module", params=[1, 2], ids=["one-worker", "two-workers"])
def live(request, loaded, tmp_path_factory):
    data = tmp_path_factory.mktemp(f"connections-{request.param}") / "zkg-data"
    shutil.copytree(loaded, data)
    server = LiveServer(
        data,
        base_iri=TEST_BASE,
        options=("--workers", str(request.param), "--threads", "4"),
        env={
            "ZKG_RATE_LIMIT": "0",
            "ZKG_CONNECTIONS_PER_CLIENT": str(PER_CLIENT),
            "ZKG_REQUEST_READ_TIMEOUT": str(READ_TIMEOUT),
        },
    )
    try:
        wait_answering(server)
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log_path.read_text(encoding="utf-8")


def _address(live) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(live.url)
    return parts.hostname, parts.port


def _connect(live, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.connect(_address(live))
    return sock


def _request(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: zkg.test\r\n{extra}\r\n".encode("ascii")


def _read_response(sock: socket.socket, timeout: float) -> bytes:
    """One whole response (by Content-Length) from ``sock``, within ``timeout`` seconds."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed before a whole response: {data[:200]!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "closed mid-body"
        body += chunk
    return head + b"\r\n\r\n" + body


def _closed_by_server(sock: socket.socket) -> bytes | None:
    """What the server sent before closing ``sock`` (b"" for nothing), or None while it is open."""
    if not select.select([sock], [], [], 0)[0]:
        return None
    sock.setblocking(False)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
    except BlockingIOError:
        return None if not data else data  # answered, not yet closed: treat as closed once read
    except ConnectionResetError:
        return data


def test_idle_sockets_from_one_address_do_not_starve_another(live):
    held = [_connect(live) for _ in range(SOCKETS)]
    opened = time.monotonic()
    for index, sock in enumerate(held):  # a third idle, a third half the headers, a third trickling a body
        if index % 3 == 1:
            sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: zkg.test\r\n")
        elif index % 3 == 2:
            sock.sendall(
                b"POST /sparql HTTP/1.1\r\nHost: zkg.test\r\nContent-Type: application/sparql-query\r\n"
                b"Content-Length: 100000\r\n\r\nASK"
            )
    trickling = held[2::3]
    stop = threading.Event()

    def trickle():
        while not stop.wait(0.3):
            for sock in trickling:
                try:
                    sock.send(b" ")
                except OSError:
                    pass

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        started = time.monotonic()
        other = _connect(live, SECOND_CLIENT)
        other.sendall(_request("/sparql?query=ASK%7B%7D"))
        answer = _read_response(other, timeout=5)
        took = time.monotonic() - started
        other.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert took < 1.0, f"the second client waited {took:.2f} s behind {SOCKETS} sockets of another"

        # Past the limit, each is answered and closed at once; the limit is one for all workers.
        answers: dict[int, bytes] = {}
        deadline = opened + READ_TIMEOUT - 0.5
        while len(answers) < SOCKETS - PER_CLIENT and time.monotonic() < deadline:
            for index, sock in enumerate(held):
                if index not in answers:
                    seen = _closed_by_server(sock)
                    if seen is not None:
                        answers[index] = seen
            time.sleep(0.05)
        assert len(answers) == SOCKETS - PER_CLIENT, f"{len(answers)} of {SOCKETS} closed, {PER_CLIENT} kept"
        refusals = [a for a in answers.values() if a]
        assert refusals and all(a.startswith(b"HTTP/1.1 429 ") for a in refusals), refusals[:2]
        assert b"ZKG_CONNECTIONS_PER_CLIENT" in refusals[0]

        # The kept ones are closed after the read deadline, whatever they send meanwhile.
        kept = [index for index in range(SOCKETS) if index not in answers]
        while time.monotonic() < opened + READ_TIMEOUT + 4 and any(i not in answers for i in kept):
            for index in kept:
                if index not in answers:
                    seen = _closed_by_server(held[index])
                    if seen is not None:
                        answers[index] = seen
            time.sleep(0.1)
        late = time.monotonic() - opened
        assert all(i in answers for i in kept), f"{sum(i not in answers for i in kept)} kept sockets still open"
        assert late >= READ_TIMEOUT - 0.5
        for index in kept:
            if index % 3 != 0:  # they had sent part of a request: told why
                assert answers[index].startswith(b"HTTP/1.1 408 ") and b"ZKG_REQUEST_READ_TIMEOUT" in answers[index]
    finally:
        stop.set()
        trickler.join()
        for sock in held:
            sock.close()


def test_a_kept_alive_connection_used_now_and_then_is_not_cut(live):
    sock = _connect(live, SECOND_CLIENT)
    try:
        started = time.monotonic()
        while time.monotonic() - started < READ_TIMEOUT * 1.5:  # longer than the deadline, in pauses under it
            sock.sendall(_request("/sparql?query=ASK%7B%7D"))
            assert _read_response(sock, timeout=5).startswith(b"HTTP/1.1 200")
            time.sleep(READ_TIMEOUT * 0.6)
    finally:
        sock.close()


def test_a_response_read_slowly_is_not_cut(live):
    # About 2 MB of rows, read at about 600 kB/s: the transfer outlasts the read deadline.
    query = (
        "SELECT ?x { VALUES ?i { "
        + " ".join(map(str, range(60)))
        + " } VALUES ?j { "
        + " ".join(map(str, range(40)))
        + ' } BIND(CONCAT(STR(?i), "-", STR(?j), "'
        + "x" * 800
        + '") AS ?x) }'
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)  # a small window: the server must wait
    sock.bind((SECOND_CLIENT, 0))
    sock.connect(_address(live))
    try:
        sock.sendall(
            _request("/sparql?" + urllib.parse.urlencode({"query": query, "format": "csv"}), "Connection: close\r\n")
        )
        started, data = time.monotonic(), b""
        sock.settimeout(10)
        while chunk := sock.recv(8192):  # until the server closes it, after the whole response
            data += chunk
            time.sleep(0.012)
        took = time.monotonic() - started
        assert data.startswith(b"HTTP/1.1 200"), data[:200]
        assert data.count(b"x" * 800) == 2400, "the response was cut"
        assert took > READ_TIMEOUT, f"read in {took:.1f} s: not slower than the deadline, the test shows nothing"
    finally:
        sock.close()


def test_a_header_past_its_limit_is_refused_naming_it(live):
    sock = _connect(live, SECOND_CLIENT)
    try:
        sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: zkg.test\r\nAccept: " + b"x" * 9000 + b"\r\n\r\n")
        answer = _read_response(sock, timeout=5)
        assert answer.startswith(b"HTTP/1.1 431 ") and b"Accept is longer than the limit of 8192 bytes" in answer
    finally:
        sock.close()
    sock = _connect(live, SECOND_CLIENT)
    try:  # under the limit: served
        sock.sendall(
            b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: zkg.test\r\nAccept: application/json, "
            + b"x/y, " * 700
            + b"*/*\r\n\r\n"
        )  # (past 4096 characters: 400, zkg/web/request_limits.py)
        assert _read_response(sock, timeout=5).startswith(b"HTTP/1.1 200")
    finally:
        sock.close()


def test_headers_past_their_total_are_refused_before_the_rest_is_sent(live):
    sock = _connect(live, SECOND_CLIENT)
    try:
        sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: zkg.test\r\n")
        sent = 0
        for index in range(40):  # headers of 4 kB each, the request never finished...
            sock.sendall(f"X-Padding-{index}: ".encode() + b"y" * 4000 + b"\r\n")
            sent += 4000
            if select.select([sock], [], [], 0.05)[0]:  # ...until the server answers
                break
        assert 65536 < sent <= 65536 + 8000, f"answered after {sent} bytes of headers"
        answer = _read_response(sock, timeout=2)
        assert answer.split(b"\r\n")[0].endswith(
            b" 431 Request Header Fields Too Large"
        )  # (HTTP/1.0: no request line was read)
        assert b"65536 bytes together" in answer
    finally:
        sock.close()
