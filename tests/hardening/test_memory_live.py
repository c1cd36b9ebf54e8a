"""Caches count every byte they keep (issue 13, item 4), measured as the resident memory of
a real ``zkg serve --workers 2``'s worker processes (``VmRSS`` in /proc).

Hostile requests make every key distinct and as long as allowed: page URLs (IRI
resolutions, waitress's split of the request line), query strings on cached answers (the
front cache's URL keys), query texts (the answer cache's keys), search texts (the response
cache), ``Accept`` values just under the header limit (the front cache's variants),
``Accept-Language`` lists (page keys), and ``Accept`` values past the limit (431). Each
worker's memory may grow by no more than ``ZKG_CACHE_BYTES`` plus :data:`MARGIN`.

Before the fix one worker grew from 44 MB to 808 MB on 300 such requests (megabyte URLs);
here, with 200 kB keys and a 16 MiB cache budget, main grew by a few hundred MB.
About 20 s: 320 requests of up to 200 kB each, from two clients at once (one per worker).
"""

from __future__ import annotations

import http.client
import random
import string
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer, children, wait_answering, zkg_load
from tests.support.zkg_testing import TEST_BASE

pytestmark = pytest.mark.slow

MAX_BYTES = 200_000
CACHE_BYTES = 16 * 2**20
#: What a worker may grow by besides its caches: the garbage of the requests of the last
#: second (collected at most once a second), the allocator's and Python's own slack.
MARGIN = 32 * 2**20
JSON = "application/sparql-results+json"


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def _noise(length: int, rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=length))


class Client:
    """One kept-alive connection, opened again when the server closes it (after a 431)."""

    def __init__(self, url: str):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.connection = None

    def get(self, target: str, headers: dict | None = None) -> int:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.connection.putrequest("GET", target, skip_accept_encoding=True)
                for name, value in (headers or {}).items():
                    self.connection.putheader(name, value)
                self.connection.endheaders()
                response = self.connection.getresponse()
                response.read()
                if response.will_close:
                    self.close()
                return response.status
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def hostile_requests(rng: random.Random):
    """(target, headers, statuses allowed) of every hostile request, distinct keys each."""
    long = MAX_BYTES - 1000
    for _ in range(30):  # IRI resolutions; the request line itself
        yield "/page/id/" + _noise(long, rng), {}, {404}
    for _ in range(50):  # a cached answer's URL keys: one query, distinct query strings
        yield "/sparql?query=ASK%7B%7D&pad=" + _noise(long, rng), {"Accept": JSON}, {200}
    for _ in range(30):  # the answer cache's keys: distinct query texts (a comment)
        yield "/sparql?query=ASK%7B%7D%23" + _noise(long, rng), {"Accept": JSON}, {200}
    for _ in range(50):  # the response cache: search texts (past 200 characters refused, never kept)
        yield "/search?q=" + _noise(long, rng), {"Accept": "application/json"}, {200, 400}
    for _ in range(50):  # the response cache: search texts under that limit
        yield "/search?q=" + _noise(190, rng), {"Accept": "application/json"}, {200}
    for _ in range(100):  # the front cache's variants: distinct Accept values under the limit (4096)
        yield "/sparql?query=ASK%7B%7D", {"Accept": f"{JSON}, x/{_noise(3900, rng)}"}, {200}
    for _ in range(40):  # page keys by language; a list of many tags (under 4096 characters)
        tags = ",".join(f"x-{_noise(8, rng)}" for _ in range(340))
        yield "/page/id/z-park", {"Accept-Language": tags}, {200}
    for _ in range(20):  # an Accept past the limit of one header (main took them, up to the URL limit)
        yield "/sparql?query=ASK%7B%7D", {"Accept": f"{JSON}, x/{_noise(150_000, rng)}"}, {400, 431}


def test_hostile_keys_leave_each_worker_within_its_cache_budget(tmp_path):
    data = tmp_path / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE)
    live = LiveServer(
        data,
        base_iri=TEST_BASE,
        options=("--workers", "2", "--threads", "4"),
        env={"ZKG_RATE_LIMIT": "0", "ZKG_MAX_REQUEST_BYTES": str(MAX_BYTES), "ZKG_CACHE_BYTES": str(CACHE_BYTES)},
    )
    try:
        wait_answering(live)
        workers = [pid for pid, name in children(live.pid) if not name.startswith("oxigraph")]
        assert len(workers) == 2, workers
        client = Client(live.url)
        for _ in range(4):  # warm: templates, the label index, engine connections, in both workers
            for target in ("/page/id/z-park", "/search?q=park", "/sparql?query=ASK%7B%7D"):
                client.get(target)
                client.close()
        before = {pid: _rss(pid) for pid in workers}
        started = time.monotonic()
        statuses: dict[int, int] = {}
        unexpected: list = []
        counting = threading.Lock()
        requests = list(hostile_requests(random.Random(13)))

        def send(share: list) -> None:
            own = Client(live.url)  # each client's connection is kept by one worker
            try:
                for target, headers, allowed in share:
                    status = own.get(target, headers)
                    with counting:
                        statuses[status] = statuses.get(status, 0) + 1
                    if status not in allowed:
                        unexpected.append((target[:80], status))
            except Exception as error:  # noqa: BLE001 (said by the assertion below)
                unexpected.append(repr(error))
            finally:
                own.close()

        clients = [threading.Thread(target=send, args=(requests[i::2],)) for i in range(2)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        took = time.monotonic() - started
        assert not unexpected, unexpected[:5]
        grown = {pid: _rss(pid) - before[pid] for pid in workers}
        print(
            f"{sum(statuses.values())} requests in {took:.1f} s {statuses}; RSS before "
            f"{[before[p] // 2**20 for p in workers]} MB, grown by {[grown[p] // 2**20 for p in workers]} MB"
        )
        for pid in workers:
            assert grown[pid] <= CACHE_BYTES + MARGIN, (
                f"worker {pid} grew by {grown[pid] / 2**20:.0f} MB on hostile keys: more than its cache budget "
                f"of {CACHE_BYTES / 2**20:.0f} MB plus {MARGIN / 2**20:.0f} MB"
            )
        assert statuses.get(431, 0) == 20  # an Accept of 150 kB is refused by the header limit
        assert client.get("/page/id/z-park") == 200  # and the server still serves
    finally:
        live.stop()
    assert "Traceback" not in live.log_path.read_text(encoding="utf-8")
