"""``zkg serve --workers N`` spreads connections evenly over its workers (least connections
first, :class:`zkg.serve.workers.AcceptBalance`): left to the kernel, whichever worker wakes
first accepts, and a burst of 13 keep-alive connections was seen split 12 to 1, so one core
served what two could."""

from __future__ import annotations

import os
import socket
import urllib.parse

from tests.support.live_server import LiveServer, children, wait_answering, zkg_load
from tests.support.zkg_testing import TEST_BASE
from zkg.serve.workers import AcceptBalance, InFlight


def test_a_worker_accepts_only_while_it_has_no_more_connections_than_any_other(tmp_path):
    counts = InFlight(tmp_path / "serve-connections", 3, create=True)
    first, second, third = (AcceptBalance(InFlight(tmp_path / "serve-connections", 3), slot) for slot in range(3))
    assert first.may_accept() and second.may_accept() and third.may_accept()
    first.opened()
    assert not first.may_accept() and second.may_accept() and third.may_accept()
    second.opened(), third.opened()
    assert counts.values() == [1, 1, 1] and first.may_accept()
    second.closed()
    assert second.may_accept() and not first.may_accept() and not third.may_accept()


def _established(pid: int, port: int) -> int:
    """Connections accepted on ``port`` that process ``pid`` holds (from /proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table, encoding="ascii").read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
                count += 1
    return count


def test_connections_are_spread_evenly_over_the_workers(tmp_path):
    data = tmp_path / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE)
    live = LiveServer(
        data, base_iri=TEST_BASE, options=("--workers", "2", "--threads", "2"), env={"ZKG_RATE_LIMIT": "0"}
    )
    held: list[socket.socket] = []
    try:
        wait_answering(live)
        host, port = urllib.parse.urlsplit(live.url).netloc.rsplit(":", 1)
        workers = [pid for pid, name in children(live.pid) if name.startswith("python")]
        assert len(workers) == 2, children(live.pid)
        for _ in range(16):  # one after another, each answered and kept open
            sock = socket.create_connection((host, int(port)), timeout=10)
            sock.sendall(
                f"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Accept: application/sparql-results+json\r\n\r\n".encode()
            )
            assert sock.recv(65536).startswith(b"HTTP/1.1 200"), "no answer"
            held.append(sock)
        spread = sorted(_established(pid, int(port)) for pid in workers)
        assert sum(spread) == 16 and spread[1] - spread[0] <= 1, spread
    finally:
        for sock in held:
            sock.close()
        live.stop()
